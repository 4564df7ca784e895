"""Conversions between the audit contract's messages and the domain objects."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.audit.domain import LogRecord, ProcessingEntry, RecordFilter, Status
from stadskamer.audit.tree_heads import SignedTreeHead

_STATUS_TO_PROTO = {Status.OK: pb.PROCESSING_STATUS_OK, Status.ERROR: pb.PROCESSING_STATUS_ERROR}
_STATUS_FROM_PROTO = {value: key for key, value in _STATUS_TO_PROTO.items()}


def timestamp(moment: datetime) -> Timestamp:
    """A protobuf Timestamp of a timezone-aware time."""
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def moment(stamp: Timestamp) -> datetime:
    """The UTC time of a Timestamp (microsecond precision)."""
    return stamp.ToDatetime(tzinfo=UTC)


def entry_from_proto(record: pb.ProcessingRecord) -> ProcessingEntry:
    """The domain entry of a reported record (end_time defaults to start_time)."""
    start = moment(record.start_time)
    return ProcessingEntry(
        record_id=record.record_id,
        trace_id=record.trace_id,
        operation_id=record.operation_id,
        parent_operation_id=record.parent_operation_id,
        name=record.name,
        start_time=start,
        end_time=moment(record.end_time) if record.HasField("end_time") else start,
        status=_STATUS_FROM_PROTO[record.status],
        outcome=record.outcome,
        purpose=record.purpose,
        legal_basis=record.legal_basis,
        actor=record.actor,
        requester_domain=record.requester_domain,
        target_domain=record.target_domain,
        basis=record.basis,
        reference=record.reference,
    )


def entry_to_proto(entry: ProcessingEntry) -> pb.ProcessingRecord:
    """The contract form of an entry (without subject)."""
    return pb.ProcessingRecord(
        record_id=entry.record_id,
        trace_id=entry.trace_id,
        operation_id=entry.operation_id,
        parent_operation_id=entry.parent_operation_id,
        name=entry.name,
        start_time=timestamp(entry.start_time),
        end_time=timestamp(entry.end_time),
        status=_STATUS_TO_PROTO[entry.status],
        outcome=entry.outcome,
        purpose=entry.purpose,
        legal_basis=entry.legal_basis,
        actor=entry.actor,
        requester_domain=entry.requester_domain,
        target_domain=entry.target_domain,
        basis=entry.basis,
        reference=entry.reference,
    )


def logged_record(record: LogRecord, leaf_hash: bytes) -> pb.LoggedRecord:
    """The contract form of a stored record."""
    return pb.LoggedRecord(
        leaf_index=record.index,
        record=entry_to_proto(record.entry),
        processing_activity_id=record.activity_id,
        processing_activity_version=record.activity_version,
        subject=record.subject,
        reporter=record.reporter,
        logged_time=timestamp(record.logged_at),
        leaf_hash=leaf_hash,
    )


def record_of(message: pb.LoggedRecord) -> LogRecord:
    """The domain record of a listed record (the inverse of :func:`logged_record`)."""
    return LogRecord(
        index=message.leaf_index,
        entry=entry_from_proto(message.record),
        activity_id=message.processing_activity_id,
        activity_version=message.processing_activity_version,
        subject=message.subject,
        reporter=message.reporter,
        logged_at=moment(message.logged_time),
    )


def tree_head(signed: SignedTreeHead) -> pb.SignedTreeHead:
    """The contract form of a signed tree head."""
    stamp = Timestamp()
    stamp.FromMilliseconds(signed.head.timestamp_ms)
    return pb.SignedTreeHead(
        tree_size=signed.head.tree_size,
        root_hash=signed.head.root_hash,
        timestamp=stamp,
        signature=signed.signature,
        key_id=signed.key_id,
    )


def record_filter(message: pb.ProcessingFilter) -> RecordFilter:
    """The domain filter of a request (its subject is converted by the service)."""
    return RecordFilter(
        actor=message.actor,
        purpose=message.purpose,
        domain=message.domain,
        from_time=moment(message.from_time) if message.HasField("from_time") else None,
        until_time=moment(message.until_time) if message.HasField("until_time") else None,
    )
