"""The one exception → google.rpc.Status mapping."""

from __future__ import annotations

from google.rpc import code_pb2, error_details_pb2

from stadskamer.common import errors
from stadskamer.common.status import to_rpc_status


def _unpack(status, message_type):  # type: ignore[no-untyped-def]
    for detail in status.details:
        message = message_type()
        if detail.Unpack(message):
            return message
    return None


def test_invalid_argument_names_the_fields_in_bad_request() -> None:
    error = errors.InvalidArgument.for_field("subject", "must be 96 bytes", "MALFORMED_PSEUDONYM")
    status = to_rpc_status(error)
    assert status.code == code_pb2.INVALID_ARGUMENT
    bad_request = _unpack(status, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("subject", "must be 96 bytes")
    ]
    assert _unpack(status, error_details_pb2.ErrorInfo).reason == "MALFORMED_PSEUDONYM"


def test_each_domain_error_has_its_code() -> None:
    expected = {
        errors.Unauthenticated: code_pb2.UNAUTHENTICATED,
        errors.PermissionDenied: code_pb2.PERMISSION_DENIED,
        errors.NotFound: code_pb2.NOT_FOUND,
        errors.AlreadyExists: code_pb2.ALREADY_EXISTS,
        errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
        errors.ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
        errors.Unavailable: code_pb2.UNAVAILABLE,
        errors.DeadlineExceeded: code_pb2.DEADLINE_EXCEEDED,
    }
    for cls, code in expected.items():
        assert to_rpc_status(cls("message", "REASON")).code == code


def test_unavailable_carries_a_retry_hint() -> None:
    status = to_rpc_status(
        errors.Unavailable("down", "DEPENDENCY_UNAVAILABLE", retry_after_seconds=2)
    )
    assert _unpack(status, error_details_pb2.RetryInfo).retry_delay.seconds == 2


def test_unexpected_exceptions_become_internal_without_their_text() -> None:
    status = to_rpc_status(ValueError("BSN 111222333 broke something"))
    assert status.code == code_pb2.INTERNAL
    assert "111222333" not in status.message
    assert "111222333" not in str(status)
