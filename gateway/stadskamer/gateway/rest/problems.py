"""Errors as ``application/problem+json`` (RFC 9457), and the gRPC status → HTTP mapping.

A service's refusal keeps its meaning: the HTTP status follows the gRPC code, ``code`` carries
the ``ErrorInfo`` reason, and ``invalidParams`` the ``BadRequest`` field violations under their
JSON (camelCase) names. FAILED_PRECONDITION is 409 Conflict: the request is well-formed but the
resource is not in a state that allows it. UNAVAILABLE (503) and RESOURCE_EXHAUSTED (429) carry
``Retry-After`` (the service's ``RetryInfo`` when given). Anything else a service answers is 502
with a generic text: an unexpected error's message is never passed on. A refusal the client
library raised as a domain error (the pseudonym service's, through ``PseudonymClient``) maps
the same way (:func:`from_domain_error`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from starlette.responses import JSONResponse

from stadskamer.common.errors import FieldViolation, InvalidArgument, StadskamerError, Unavailable
from stadskamer.common.status import code_of, grpc_code
from stadskamer.gateway.rest.codec import BadInput, json_path

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_STATUSES = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
_PASSED_ON = frozenset(s for s in _STATUSES.values() if s < 500)


@dataclass
class Problem(Exception):
    """An error answer; ``detail`` must never hold personal data."""

    status: int
    detail: str
    code: str = ""
    invalid_params: list[FieldViolation] = field(default_factory=list)
    retry_after: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @classmethod
    def bad_input(cls, error: BadInput) -> Problem:
        """400 for input the gateway itself could not read or map."""
        names = ", ".join(v.field for v in error.violations)
        return cls(400, f"invalid request: {names}", "INVALID_FIELD", error.violations)

    def body(self, instance: str) -> dict[str, Any]:
        """The problem document."""
        document: dict[str, Any] = {
            "type": "about:blank",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.code:
            document["code"] = self.code
        if self.invalid_params:
            document["invalidParams"] = [
                {"name": v.field, "reason": v.description} for v in self.invalid_params
            ]
        return document

    def response(self, instance: str) -> JSONResponse:
        """The HTTP response."""
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return JSONResponse(
            self.body(instance), self.status, headers=headers, media_type=PROBLEM_JSON
        )


def from_rpc_error(error: grpc.RpcError, peer: str, aliases: Mapping[str, str]) -> Problem:
    """The problem for a service's error; ``aliases`` rename proto fields (``subject``: ``bsn``)."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    reason, violations, retry = "", [], None
    call_status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
    for detail in call_status.details if call_status is not None else []:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        delay = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            reason = info.reason
        elif detail.Unpack(bad):
            violations = [
                FieldViolation(json_path(v.field, aliases), v.description)
                for v in bad.field_violations
            ]
        elif detail.Unpack(delay):
            retry = max(1, math.ceil(delay.retry_delay.ToTimedelta().total_seconds()))
    message = error.details() if isinstance(error, grpc.Call) else ""
    return _problem(code, peer, message or "", reason, violations, retry)


def from_domain_error(error: StadskamerError, peer: str, aliases: Mapping[str, str]) -> Problem:
    """The problem for a peer's refusal as the client library raises it (the same mapping)."""
    code = grpc_code(status_pb2.Status(code=code_of(error)))
    violations = [
        FieldViolation(json_path(v.field, aliases), v.description)
        for v in (error.violations if isinstance(error, InvalidArgument) else [])
    ]
    retry = None
    if isinstance(error, Unavailable):
        retry = max(1, math.ceil(error.retry_after_seconds))
    return _problem(code, peer, error.message, error.reason, violations, retry)


def _problem(
    code: grpc.StatusCode,
    peer: str,
    message: str,
    reason: str,
    violations: list[FieldViolation],
    retry: int | None,
) -> Problem:
    status = _STATUSES.get(code, 502)
    if status in _PASSED_ON:
        wait = (retry or 1) if status == 429 else None
        text = message or f"the {peer} service refused"
        return Problem(status, text, reason, violations, wait)
    if status == 503:
        return Problem(
            503, f"the {peer} service is unavailable", reason or "UNAVAILABLE", [], retry or 1
        )
    if status == 504:
        return Problem(504, f"the {peer} service did not answer in time", "DEADLINE_EXCEEDED")
    if status == 501:
        return Problem(501, f"the {peer} service does not offer this", "UNIMPLEMENTED")
    return Problem(502, f"the {peer} service failed", "DEPENDENCY_FAILED")
