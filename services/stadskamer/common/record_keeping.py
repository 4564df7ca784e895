"""Keeping processing records: in the service's own transaction, relayed to the audit service.

A use case that processes personal data hands its records to a :class:`RecordKeeper`:

- :meth:`~RecordKeeper.ensure_open` first, before anything is read or converted: it raises
  ``Unavailable`` when records cannot reach the processing log now (fail-closed);
- :meth:`~RecordKeeper.keep` inside the unit of work that does the processing, before its
  commit;
- :meth:`~RecordKeeper.committed` after the commit.

:class:`OutboxRecords` (a service with an audit service) stores each record in the service's
``records`` outbox in that same transaction, so a change and its record are committed
together or not at all, and a read's record is committed before its answer leaves. A relay
(:class:`~stadskamer.common.outbox_relay.OutboxRelay` with :class:`AuditRecordSink`) appends
them to the audit service in batches of up to 500, at least once; the audit service
deduplicates by record id. The gate (:class:`~stadskamer.common.audit_gate.AuditGate`) keeps
the fail-closed answer: while the audit service cannot be reached or refuses records, new
processing is refused with UNAVAILABLE, and what was kept before is delivered when it
returns.

:class:`DirectRecords` (a service on its own, with a local JSON-lines log) appends each record
durably during :meth:`~RecordKeeper.keep`, before the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

import grpc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.common.audit_gate import AuditGate
from stadskamer.common.outbox import Outbox, OutboxEvent
from stadskamer.common.outbox_relay import OutboxRelay
from stadskamer.common.peers import peer_channel
from stadskamer.common.processing_log import ProcessingLog, ProcessingRecord, append_all
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.remote_processing_log import to_message

RECORD_EVENT_TYPE = "stadskamer.audit.v1.ProcessingRecord"
MAX_APPEND = 500
LINGER_SECONDS = 0.5


class RecordKeeper(Protocol):
    """Where a use case keeps the processing records of its work (see the module)."""

    def ensure_open(self) -> None:
        """Raise ``Unavailable`` when records cannot reach the processing log now."""

    def keep(self, session: Session, records: Sequence[ProcessingRecord]) -> None:
        """Keep ``records`` with the work of ``session``'s transaction (commit it next)."""

    def committed(self) -> None:
        """The transaction that kept records has committed."""


class DirectRecords:
    """Appends every record to a processing log at once, durably, before the commit."""

    def __init__(self, log: ProcessingLog) -> None:
        self._log = log

    def ensure_open(self) -> None:
        """Nothing to check: :meth:`keep` fails when the log cannot be written."""

    def keep(self, session: Session, records: Sequence[ProcessingRecord]) -> None:
        """Append the records now; raises ``Unavailable`` as the log does."""
        if records:
            append_all(self._log, list(records))

    def committed(self) -> None:
        """Nothing left to do."""


class OutboxRecords:
    """Keeps records in the service's outbox; the relay takes them to the audit service."""

    def __init__(
        self,
        outbox: Outbox,
        gate: AuditGate,
        wake: Callable[[], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._outbox = outbox
        self._gate = gate
        self._wake = wake
        self._clock = clock

    def ensure_open(self) -> None:
        """Raise ``Unavailable`` while the audit service cannot be reached or refuses."""
        self._gate.check()

    def keep(self, session: Session, records: Sequence[ProcessingRecord]) -> None:
        """Store the records in ``session``'s transaction, each under its record id."""
        now = self._clock()
        events = []
        for record in records:
            kept = record if record.record_id else replace(record, record_id=uuid.uuid4().hex)
            message = to_message(kept, now)
            events.append(
                OutboxEvent(kept.record_id, RECORD_EVENT_TYPE, message.SerializeToString(), now)
            )
        self._outbox.add_all(session.connection(), events)

    def committed(self) -> None:
        """Ask the relay to deliver soon."""
        self._wake()


class AuditRecordSink:
    """The relay's sink for kept records: ``AppendRecords`` of a whole batch at once."""

    def __init__(self, channel: grpc.Channel, timeout: float = 5.0) -> None:
        self._stub = pb_grpc.ProcessingLogServiceStub(channel)
        self._timeout = timeout

    def __call__(self, event: OutboxEvent) -> None:
        """Append one record."""
        self.deliver_many([event])

    def deliver_many(self, events: Sequence[OutboxEvent]) -> None:
        """Append the records of ``events`` in requests of up to 500; a gRPC error raises."""
        for start in range(0, len(events), MAX_APPEND):
            chunk = events[start : start + MAX_APPEND]
            request = pb.AppendRecordsRequest(
                records=[pb.ProcessingRecord.FromString(e.payload) for e in chunk]
            )
            self._stub.AppendRecords(request, timeout=self._timeout)


@dataclass
class KeptRecords:
    """A service's record keeper with what runs it: start after wiring, close on stop."""

    keeper: RecordKeeper
    start: Callable[[], None]
    close: Callable[[], None]


def keep_records(
    settings: ProcessingLogSettings,
    engine: Engine,
    outbox: Outbox,
    write_guard: AbstractContextManager[object] | None = None,
) -> KeptRecords:
    """Records kept in ``outbox`` and relayed to the audit service when one is configured;
    otherwise appended directly to the local log the settings name."""
    if not settings.audit_address or settings.token is None:
        return KeptRecords(DirectRecords(settings.open()), lambda: None, lambda: None)
    channel = peer_channel(settings.audit_address, settings.token)
    gate = AuditGate(channel)
    relay = OutboxRelay(
        engine,
        outbox,
        {"audit": AuditRecordSink(channel)},
        batch_size=MAX_APPEND,
        write_guard=write_guard,
        on_result=gate.delivered,
        linger_seconds=LINGER_SECONDS,
    )
    gate.when_ready(lambda: relay.retry_now("audit"))

    def close() -> None:
        relay.stop()
        gate.close()
        channel.close()

    return KeptRecords(OutboxRecords(outbox, gate, relay.wake), relay.start, close)
