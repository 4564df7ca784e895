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
from stadskamer.pep import tags

Response = TypeVar("Response")
SUBJECT_ALIASES = {"subject": "bsn", "subject_polymorphic": "bsn"}
TAGGED = "taggedPseudonym"


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
    """Has a BSN issued into one audience (implemented by :mod:`.citizens`)."""

    def issue(
        self,
        bsn: str,
        audience: str,
        purpose: str,
        token: str,
        timeout: float,
        audience_field: str = "audiences",
    ) -> list[bytes]:
        """The tagged pseudonyms of ``bsn`` for ``audience``; BadInput or a Problem otherwise."""


@dataclass
class Call:
    """One request being served: input, the caller's token and domains, and the deadline."""

    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    token: str
    deadline: float
    stubs: Any
    citizens: CitizenSource
    aliases: Mapping[str, str] = field(default_factory=dict)
    domains: tuple[str, ...] = ()  # the verified token's domains, in the token's order

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

    def subject(
        self,
        audience: str,
        purpose: str,
        required: bool = True,
        audience_field: str = "audiences",
    ) -> bytes:
        """The citizen of the body as a tagged pseudonym of ``audience``; empty when absent and
        not required.

        A ``bsn`` is issued by the pseudonym service as the caller, for ``purpose``, into
        ``audience`` (``audience_field`` names the body field that chose it, for errors). A
        ``taggedPseudonym`` (one the caller had issued itself) is passed on as received, once
        its tag is seen to name ``audience``; the receiving service verifies it.
        """
        found = self.subjects(audience, purpose, required, audience_field)
        return found[0] if found else b""

    def subjects(
        self,
        audience: str,
        purpose: str,
        required: bool = True,
        audience_field: str = "audiences",
    ) -> list[bytes]:
        """As :meth:`subject`, with every pseudonym the issuance answers (a privacy officer's
        ``audit``: one per reporting domain); empty when absent and not required."""
        bsn, tagged = self.body.get("bsn"), self.body.get(TAGGED)
        if bsn is not None and tagged is not None:
            raise BadInput.field("bsn", f"give either bsn or {TAGGED}, not both")
        if bsn is not None:
            return self.citizens.issue(
                str(bsn), audience, purpose, self.token, self.remaining(), audience_field
            )
        if tagged is not None:
            return [_tagged_for(unbase64(str(tagged), TAGGED), audience)]
        if required:
            raise BadInput([FieldViolation("bsn", "required")])
        return []


def _tagged_for(raw: bytes, audience: str) -> bytes:
    """``raw`` if it is a tagged pseudonym whose tag names ``audience``; BadInput otherwise."""
    try:
        parsed = tags.parse(raw)
    except tags.InvalidTagError:
        raise BadInput.field(TAGGED, "must be a tagged pseudonym as issued") from None
    if parsed.audience != audience:
        raise BadInput.field(TAGGED, f"must be a pseudonym of domain {audience}")
    return raw


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
