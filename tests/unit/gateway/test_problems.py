"""gRPC statuses with google.rpc details become problem documents with the right HTTP status."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from stadskamer.gateway.rest.problems import from_rpc_error


class FakeCall(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """A failed call carrying a rich status, as a stub raises it."""

    def __init__(self, code: grpc.StatusCode, message: str, details: list[object]) -> None:
        packed = []
        for detail in details:
            item = any_pb2.Any()
            item.Pack(detail)  # type: ignore[arg-type]
            packed.append(item)
        status = status_pb2.Status(code=code.value[0], message=message, details=packed)
        self._code, self._message = code, message
        self._trailers = (("grpc-status-details-bin", status.SerializeToString()),)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._message

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return self._trailers

    def initial_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: object) -> bool:
        return False


def _info(reason: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain="stadskamer.nl")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
        (grpc.StatusCode.INTERNAL, 502),
        (grpc.StatusCode.UNKNOWN, 502),
    ],
)
def test_each_code_has_its_http_status(code: grpc.StatusCode, status: int) -> None:
    problem = from_rpc_error(FakeCall(code, "refused", [_info("SOME_REASON")]), "contacts", {})
    assert problem.status == status
    body = problem.body("/api/v1/contacts")
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    if status in (429, 503):
        assert problem.retry_after is not None and problem.retry_after >= 1
    if status >= 500:
        assert "refused" not in problem.detail


def test_field_violations_keep_their_meaning_under_json_names() -> None:
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="org_unit", description="a code"),
            error_details_pb2.BadRequest.FieldViolation(field="subject", description="96 bytes"),
            error_details_pb2.BadRequest.FieldViolation(
                field="requests[3].occurred_at", description="required"
            ),
        ]
    )
    error = FakeCall(grpc.StatusCode.INVALID_ARGUMENT, "invalid request", [_info("X"), bad])
    problem = from_rpc_error(error, "contacts", {"subject": "bsn"})
    body = problem.body("/api/v1/contacts")
    assert body["code"] == "X"
    assert body["invalidParams"] == [
        {"name": "orgUnit", "reason": "a code"},
        {"name": "bsn", "reason": "96 bytes"},
        {"name": "requests[3].occurredAt", "reason": "required"},
    ]


def test_the_services_retry_hint_becomes_retry_after() -> None:
    delay = duration_pb2.Duration()
    delay.FromTimedelta(timedelta(seconds=7.2))
    error = FakeCall(
        grpc.StatusCode.UNAVAILABLE,
        "down",
        [_info("DEPENDENCY_UNAVAILABLE"), error_details_pb2.RetryInfo(retry_delay=delay)],
    )
    problem = from_rpc_error(error, "consent", {})
    assert problem.retry_after == 8
    assert problem.response("/x").headers["Retry-After"] == "8"
