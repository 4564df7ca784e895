"""ProcessingRecord's new optional fields and their mapping onto AppendRecords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry import trace

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.remote_processing_log import to_message

TIME = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
TAGGED = b"\x01" + bytes(range(200))


def test_the_new_fields_are_optional_and_checked() -> None:
    record = ProcessingRecord(bytes(16), bytes(8), "consent.grant", TIME, "OK")
    assert (record.record_id, record.parent_operation_id, record.end_time) == ("", b"", None)
    for bad in (
        {"record_id": "xyz"},
        {"parent_operation_id": bytes(3)},
        {"end_time": datetime(2026, 6, 1)},
    ):
        with pytest.raises(ValueError):
            ProcessingRecord(bytes(16), bytes(8), "consent.grant", TIME, "OK", **bad)  # type: ignore[arg-type]


def test_the_untagged_subject_fields_are_gone() -> None:
    for name in ("subject_polymorphic", "subject_encrypted", "subject_domain"):
        with pytest.raises(TypeError):
            ProcessingRecord(bytes(16), bytes(8), "consent.grant", TIME, "OK", **{name: b""})  # type: ignore[arg-type]


def test_json_keeps_the_new_fields_but_never_the_tagged_subject() -> None:
    record = ProcessingRecord(
        bytes(16),
        bytes(8),
        "consent.grant",
        TIME,
        "OK",
        record_id="ab" * 16,
        parent_operation_id=b"\x01" * 8,
        end_time=TIME + timedelta(seconds=1),
        subject_tagged=TAGGED,
    )
    document = record.to_json()
    assert "subject_tagged" not in document
    assert TAGGED.hex() not in str(document)
    back = ProcessingRecord.from_json(document)
    assert back.parent_operation_id == b"\x01" * 8 and back.end_time == record.end_time
    assert back.subject_tagged == b""
    old_line = {
        k: v
        for k, v in document.items()
        if k not in ("record_id", "parent_operation_id", "end_time")
    }
    assert ProcessingRecord.from_json(old_line).record_id == ""


def test_now_takes_the_parent_span_as_parent_operation() -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("rpc") as parent, tracer.start_as_current_span("child"):
        record = ProcessingRecord.now("history.read", "OK", actor="agent-1")
    assert record.parent_operation_id == parent.get_span_context().span_id.to_bytes(8, "big")
    assert ProcessingRecord.now("history.read", "OK").parent_operation_id == b""


def test_the_message_maps_status_times_and_subject() -> None:
    record = ProcessingRecord(
        bytes(range(16)),
        bytes(range(8)),
        "link-grant.issue",
        TIME,
        "DENIED",
        subject="00" * 32,
        subject_tagged=TAGGED,
        basis="own-domain",
    )
    message = to_message(record, TIME + timedelta(seconds=2))
    assert message.status == pb.PROCESSING_STATUS_ERROR and message.outcome == "DENIED"
    assert message.end_time.ToDatetime(tzinfo=UTC) == TIME + timedelta(seconds=2)
    assert message.subject_tagged == TAGGED and message.basis == "own-domain"
    assert not (message.subject_polymorphic or message.subject_encrypted or message.subject_domain)
    assert len(message.record_id) == 32
    assert to_message(record, TIME).record_id != message.record_id
    replayed = ProcessingRecord(
        bytes(16), bytes(8), "consent.grant", TIME, "REPLAYED", record_id="cd" * 16
    )
    again = to_message(replayed, TIME)
    assert again.status == pb.PROCESSING_STATUS_OK and again.record_id == "cd" * 16
