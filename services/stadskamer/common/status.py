"""The one mapping from exceptions to gRPC statuses with ``google.rpc.Status`` details.

Every interceptor and servicer turns errors into statuses through :func:`to_rpc_status`, so a
caller always sees the same shape: a code, a message, an ``ErrorInfo`` with a stable reason,
and ``BadRequest`` field violations or ``RetryInfo`` where they apply. Unknown exceptions
become INTERNAL with a generic message; their text (which might hold data) is never sent.
"""

from __future__ import annotations

from datetime import timedelta

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from stadskamer.common import errors

ERROR_DOMAIN = "stadskamer.nl"

_CODES: dict[type[errors.StadskamerError], int] = {
    errors.InvalidArgument: code_pb2.INVALID_ARGUMENT,
    errors.Unauthenticated: code_pb2.UNAUTHENTICATED,
    errors.PermissionDenied: code_pb2.PERMISSION_DENIED,
    errors.NotFound: code_pb2.NOT_FOUND,
    errors.AlreadyExists: code_pb2.ALREADY_EXISTS,
    errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    errors.ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
    errors.Unavailable: code_pb2.UNAVAILABLE,
    errors.DeadlineExceeded: code_pb2.DEADLINE_EXCEEDED,
}


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def code_of(error: errors.StadskamerError) -> int:
    """The ``google.rpc.Code`` for a domain error (its nearest mapped base class)."""
    for cls in type(error).__mro__:
        if cls in _CODES:
            return int(_CODES[cls])
    return int(code_pb2.INTERNAL)


def to_rpc_status(error: BaseException) -> status_pb2.Status:
    """Build the ``google.rpc.Status`` for any exception."""
    if not isinstance(error, errors.StadskamerError):
        info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN)
        return status_pb2.Status(
            code=code_pb2.INTERNAL, message="internal error", details=[_pack(info)]
        )
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
            )
        )
    ]
    if isinstance(error, errors.InvalidArgument) and error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        details.append(_pack(bad_request))
    if isinstance(error, errors.Unavailable):
        delay = duration_pb2.Duration()
        delay.FromTimedelta(timedelta(seconds=error.retry_after_seconds))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(code=code_of(error), message=error.message, details=details)


def abort(context: grpc.ServicerContext, error: BaseException) -> None:
    """Abort the RPC with the mapped status (raises, as ``context.abort_with_status`` does)."""
    context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))


def grpc_code(status: status_pb2.Status) -> grpc.StatusCode:
    """The ``grpc.StatusCode`` enum member for a ``google.rpc.Status``."""
    for member in grpc.StatusCode:
        if member.value[0] == status.code:
            return member
    return grpc.StatusCode.UNKNOWN


_FROM_CODES: dict[grpc.StatusCode, type[errors.StadskamerError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDenied,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.ALREADY_EXISTS: errors.AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: errors.FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: errors.Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.Unavailable,
}


def from_rpc_error(error: grpc.RpcError, peer: str) -> errors.StadskamerError:
    """Turn a peer service's error into a domain error of this service.

    ``peer`` names the service called (e.g. ``pseudonyms``). An unreachable or slow peer
    becomes UNAVAILABLE with a retry hint; a refusal keeps its code and reason.
    """
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    cls = _FROM_CODES.get(code)
    if cls is None:
        return errors.Unavailable(f"the {peer} service failed", "DEPENDENCY_FAILED")
    if cls is errors.Unavailable:
        return errors.Unavailable(f"the {peer} service is unavailable", "DEPENDENCY_UNAVAILABLE")
    reason = "DEPENDENCY_REFUSED"
    status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
    violations: list[errors.FieldViolation] = []
    details: list[any_pb2.Any] = list(status.details) if status else []
    for detail in details:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason = info.reason
        elif detail.Unpack(bad):
            violations = [
                errors.FieldViolation(v.field, v.description) for v in bad.field_violations
            ]
    message = f"{peer}: {error.details()}" if isinstance(error, grpc.Call) else peer
    if cls is errors.InvalidArgument:
        return errors.InvalidArgument(message, reason, violations=violations)
    return cls(message, reason)
