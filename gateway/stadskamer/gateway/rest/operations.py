"""What one REST operation is: its route, parameters, schemas and handler, in one place.

The same :class:`Operation` objects serve the requests and write ``openapi.json``, so every
route is described and every description is a route. A handler gets a :class:`Call` (the
parsed input and the means to call the services as the caller) and returns a :class:`Reply`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import grpc

from stadskamer.common.errors import FieldViolation
from stadskamer.gateway.rest.codec import BadInput, unbase64
from stadskamer.gateway.rest.problems import Problem, from_rpc_error
from stadskamer.gateway.rest.schema import Schema

Response = TypeVar("Response")
SUBJECT_ALIASES = {"subject": "bsn", "subject_polymorphic": "bsn"}


@dataclass(frozen=True)
class Param:
    """A path or query parameter with its schema."""

    name: str
    schema: Schema
    description: str
    required: bool = False
    where: str = "query"


@dataclass(frozen=True)
class Reply:
    """A handler's answer: status and JSON body."""

    status: int
    body: dict[str, Any]


class CitizenSource(Protocol):
    """Turns a BSN into a polymorphic pseudonym (implemented by :mod:`.citizens`)."""

    def polymorphic(self, bsn: str, field: str, call: Call) -> bytes:
        """The polymorphic pseudonym of ``bsn``; BadInput naming ``field`` for an invalid one."""


@dataclass
class Call:
    """One request being served: input, the caller's token and the deadline."""

    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    token: str
    deadline: float
    stubs: Any
    citizens: CitizenSource
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The caller's identity for the services (nothing on public routes)."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def remaining(self) -> float:
        """Seconds left for this request; 504 when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Problem(504, "the request took too long", "DEADLINE_EXCEEDED")
        return left

    def rpc(self, peer: str, method: Callable[..., Response], request: Any) -> Response:
        """Call a service method as the caller, within the deadline; errors become problems."""
        try:
            return method(request, metadata=self.metadata, timeout=self.remaining())
        except grpc.RpcError as error:
            raise from_rpc_error(error, peer, {**SUBJECT_ALIASES, **self.aliases}) from None

    def subject(self, required: bool = True, source: dict[str, Any] | None = None) -> bytes:
        """The citizen of the body (``bsn`` or ``polymorphicPseudonym``) as a polymorphic
        pseudonym; empty when absent and not required."""
        data = self.body if source is None else source
        bsn, polymorphic = data.get("bsn"), data.get("polymorphicPseudonym")
        if bsn is not None and polymorphic is not None:
            raise BadInput.field("bsn", "give either bsn or polymorphicPseudonym, not both")
        if bsn is not None:
            return self.citizens.polymorphic(str(bsn), "bsn", self)
        if polymorphic is not None:
            return unbase64(str(polymorphic), "polymorphicPseudonym")
        if required:
            raise BadInput([FieldViolation("bsn", "required")])
        return b""


Handler = Callable[[Call], Reply]
DEFAULT_ERRORS = (400, 401, 403, 404, 409, 429, 503, 504)


@dataclass(frozen=True)
class Operation:
    """One route of the REST API."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    description: str
    handler: Handler
    response: str
    status: int = 200
    params: tuple[Param, ...] = ()
    body: str | None = None
    public: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[int, ...] = DEFAULT_ERRORS
    timeout_seconds: float | None = None
