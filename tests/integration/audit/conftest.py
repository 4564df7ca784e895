"""A migrated processing log on each database, and helpers to fill (and attack) it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.adapters.database import MIGRATIONS, SERVICE, audit_engine
from stadskamer.audit.adapters.log_writer import LogWriter
from stadskamer.audit.adapters.record_queries import RecordQueries
from stadskamer.audit.adapters.tree_reader import TreeReader
from stadskamer.audit.domain import NewRecord, ProcessingEntry, Status
from stadskamer.audit.tree_heads import TreeHeadSigner
from stadskamer.common.db import migrate

NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@dataclass
class Log:
    """One processing log: database, signer, writer and readers."""

    url: str
    engine: Engine
    signer: TreeHeadSigner
    writer: LogWriter
    reader: TreeReader
    queries: RecordQueries
    register: ActivityRegister
    private_key: Ed25519PrivateKey

    def another_writer(self) -> LogWriter:
        """A second writer on the same database, as another process would have."""
        return LogWriter(self.engine, self.signer)


def record(
    number: int,
    name: str = "contacts.register",
    actor: str = "agent-1",
    subject: bytes = b"",
    record_id: str | None = None,
    domain: str = "kcc",
    activity: str = "klantcontacten",
) -> NewRecord:
    """A new record; ``number`` goes into the reference so records differ."""
    entry = ProcessingEntry(
        record_id=record_id or uuid.uuid4().hex,
        trace_id=bytes(range(16)),
        operation_id=number.to_bytes(8, "big"),
        parent_operation_id=b"",
        name=name,
        start_time=NOW,
        end_time=NOW,
        status=Status.OK,
        outcome="OK",
        purpose="customer-contact",
        legal_basis="AVG art. 6 lid 1 sub e",
        actor=actor,
        requester_domain=domain,
        target_domain=domain,
        basis="own-domain",
        reference=str(number),
    )
    return NewRecord(entry, activity, 1, subject, "contacts-service")


def fill(log: Log, count: int, batch: int = 1) -> None:
    """Append ``count`` records in batches of ``batch``."""
    for start in range(0, count, batch):
        log.writer.append([record(n) for n in range(start, min(count, start + batch))])


@pytest.fixture
def log(database_url: str) -> Iterator[Log]:
    """An empty, migrated processing log."""
    engine = audit_engine(database_url)
    migrate(engine, MIGRATIONS, SERVICE)
    private_key = Ed25519PrivateKey.generate()
    signer = TreeHeadSigner(private_key)
    yield Log(
        database_url,
        engine,
        signer,
        LogWriter(engine, signer),
        TreeReader(engine),
        RecordQueries(engine),
        ActivityRegister.load(),
        private_key,
    )
    engine.dispose()
