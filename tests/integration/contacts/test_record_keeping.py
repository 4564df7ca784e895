"""Processing records kept with the registration, relayed to an audit service, fail-closed.

On SQLite and PostgreSQL: a contact and its record are committed together; the relay appends
kept records in one AppendRecords per pass; while the audit service cannot be reached or
refuses, registration is refused with UNAVAILABLE and writes nothing; what was kept before is
delivered once the audit service takes records again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import grpc
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from stadskamer.api.audit.v1 import audit_pb2 as pb
from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.common.audit_gate import AuditGate
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, session_factory
from stadskamer.common.errors import Unavailable
from stadskamer.common.outbox_relay import OutboxRelay
from stadskamer.common.record_keeping import AuditRecordSink, OutboxRecords
from stadskamer.contacts.adapters.orm import contacts, record_outbox
from stadskamer.contacts.domain import Draft
from stadskamer.contacts.request_ids import record_id
from stadskamer.contacts.service import ContactsService
from stadskamer.contacts.subjects import Subjects
from stadskamer.pep import tags
from tests.integration.contacts.conftest import CIPHER, NOW, POLICY, REQUEST_KEYS, Register

AGENT = Principal("agent-1", frozenset({"kcc"}), frozenset({"agent"}))
FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 300),
]


@dataclass
class FakeAudit(pb_grpc.ProcessingLogServiceServicer):
    """AppendRecords that keeps each record id once, or refuses every request."""

    refuse: bool = False
    requests: list[int] = field(default_factory=list)
    records: dict[str, pb.ProcessingRecord] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def AppendRecords(
        self, request: pb.AppendRecordsRequest, context: grpc.ServicerContext
    ) -> pb.AppendRecordsResponse:
        """Keep the records (deduplicated by record id) unless refusing."""
        if self.refuse:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not a service")
        with self.lock:
            self.requests.append(len(request.records))
            for record in request.records:
                self.records.setdefault(record.record_id, record)
        return pb.AppendRecordsResponse()


@contextmanager
def serving(audit: FakeAudit, port: int = 0) -> Iterator[int]:
    """``audit`` on 127.0.0.1:``port`` (0: any); yields the port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_ProcessingLogServiceServicer_to_server(audit, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        yield bound
    finally:
        server.stop(0).wait()


@dataclass
class Keeping:
    """A contacts service whose records go through the outbox to the audit at ``port``."""

    engine: Engine
    service: ContactsService
    relay: OutboxRelay
    gate: AuditGate
    citizens: Register

    def register(self, request_id: str) -> str:
        """Register one contact of a fixed citizen; its id."""
        draft = Draft(
            request_id,
            "kcc",
            self.citizens.person("Jan", "kcc"),
            2,
            "afval",
            "kcc-telefonie",
            NOW - timedelta(hours=1),
            False,
        )
        return self.service.register(AGENT, draft).id

    def count(self, table: str) -> int:
        """Rows in ``contacts`` or pending in the record outbox."""
        with self.engine.connect() as connection:
            if table == "contacts":
                return int(connection.execute(select(func.count()).select_from(contacts)).scalar())
            return record_outbox.pending_count(connection)


@contextmanager
def keeping(engine: Engine, port: int, citizens: Register) -> Iterator[Keeping]:
    """Wire gate, relay and record keeper as ``keep_records`` does, with fast retries."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=FAST_RECONNECT)
    gate = AuditGate(channel, connect_seconds=0.5)
    guard = threading.Lock() if engine.dialect.name == "sqlite" else None
    relay = OutboxRelay(
        engine,
        record_outbox,
        {"audit": AuditRecordSink(channel)},
        batch_size=500,
        poll_seconds=0.05,
        initial_backoff_seconds=0.05,
        max_backoff_seconds=0.2,
        write_guard=guard,
        on_result=gate.delivered,
        linger_seconds=0.05,
    )
    gate.when_ready(lambda: relay.retry_now("audit"))
    records = OutboxRecords(record_outbox, gate, relay.wake)
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    service = ContactsService(
        POLICY,
        Subjects(citizens.pseudonyms, citizens.keys),
        CIPHER,
        REQUEST_KEYS,
        unit_of_work,
        clock=lambda: NOW,
        write_guard=guard,
        records=records,
    )
    relay.start()
    try:
        yield Keeping(engine, service, relay, gate, citizens)
    finally:
        relay.stop()
        gate.close()
        channel.close()


def _until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _free_port() -> int:
    with serving(FakeAudit()) as port:
        return port


def test_records_are_kept_with_their_contacts_and_appended_in_batches(
    engine: Engine, register: Register
) -> None:
    audit = FakeAudit()
    with serving(audit) as port, keeping(engine, port, register) as world:
        ids = [world.register(f"r-{n}") for n in range(20)]
        world.register("r-0")  # a retry: answered from the store, recorded once
        _until(lambda: world.count("records") == 0 and len(audit.records) == 20)
    expected = {
        record_id(REQUEST_KEYS.digest("kcc", f"r-{n}")): f"contacts/{ids[n]}" for n in range(20)
    }
    assert {k: r.reference for k, r in audit.records.items()} == expected
    assert all(r.name == "contacts.register" for r in audit.records.values())
    assert {tags.parse(r.subject_tagged).audience for r in audit.records.values()} == {"audit/kcc"}
    assert not any(r.subject_encrypted or r.subject_polymorphic for r in audit.records.values())
    assert len(audit.requests) < 20, "the relay should carry several records per append"


def test_an_unreachable_audit_service_refuses_registration_and_loses_nothing(
    engine: Engine, register: Register
) -> None:
    port = _free_port()
    audit = FakeAudit()
    with keeping(engine, port, register) as world:
        with pytest.raises(Unavailable) as refused:
            world.register("while-down")
        assert refused.value.reason == "PROCESSING_LOG_UNAVAILABLE"
        assert (world.count("contacts"), world.count("records")) == (0, 0)
        with serving(audit, port):
            _until(lambda: _accepts(world, "after-return"))
            _until(lambda: world.count("records") == 0)
        assert world.count("contacts") == 1
        assert set(audit.records) == {record_id(REQUEST_KEYS.digest("kcc", "after-return"))}


def test_records_kept_before_an_outage_are_delivered_after_it(
    engine: Engine, register: Register
) -> None:
    audit = FakeAudit()
    with serving(audit) as port, keeping(engine, port, register) as world:
        world.register("before")
        _until(lambda: world.count("records") == 0)
    with keeping(engine, port, register) as world:
        world.relay.stop()  # records now stay in the outbox, as when the relay lags behind
        with serving(audit, port):
            _until(lambda: _accepts(world, "kept"))
        assert world.count("records") == 1
        _until(lambda: _closed(world.gate))
        with pytest.raises(Unavailable):
            world.register("during")
        with serving(audit, port):
            world.relay.start()
            _until(lambda: world.count("records") == 0)
    assert set(audit.records) == {
        record_id(REQUEST_KEYS.digest("kcc", r)) for r in ("before", "kept")
    }
    assert world.count("contacts") == 2


def test_a_refusing_audit_service_closes_the_gate_until_it_takes_records(
    engine: Engine, register: Register
) -> None:
    audit = FakeAudit(refuse=True)
    with serving(audit) as port, keeping(engine, port, register) as world:
        world.register("first")  # accepted: the refusal is learnt on delivery
        _until(lambda: _closed(world.gate))
        with pytest.raises(Unavailable):
            world.register("second")
        assert world.count("contacts") == 1
        audit.refuse = False
        _until(lambda: world.count("records") == 0)
        _until(lambda: _accepts(world, "third"))
        _until(lambda: world.count("records") == 0)
    assert set(audit.records) == {
        record_id(REQUEST_KEYS.digest("kcc", r)) for r in ("first", "third")
    }


def _accepts(world: Keeping, request_id: str) -> bool:
    try:
        world.register(request_id)
    except Unavailable:
        return False
    return True


def _closed(gate: AuditGate) -> bool:
    try:
        gate.check()
    except Unavailable:
        return True
    return False
