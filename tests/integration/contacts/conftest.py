"""Fixtures of the contacts integration tests: a migrated database and the use cases."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy.engine import Engine

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.errors import Unavailable
from stadskamer.contacts.bootstrap import MIGRATIONS
from stadskamer.contacts.domain import ContactPolicy
from stadskamer.contacts.ports import RejectedPseudonym
from stadskamer.contacts.queries import ContactQueries
from stadskamer.contacts.request_ids import RequestKeys
from stadskamer.contacts.service import ContactsService
from stadskamer.contacts.summaries import SummaryCipher

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
POLICY = ContactPolicy(windows={"burgerzaken": 14})
SECRET_KEYS = {d: hashlib.sha256(d.encode()).digest() for d in POLICY.domains}
CIPHER = SummaryCipher(SECRET_KEYS)
REQUEST_KEYS = RequestKeys(SECRET_KEYS)


def person(name: str) -> bytes:
    """A stand-in polymorphic pseudonym: 96 bytes that the fake maps per domain."""
    return hashlib.sha512(name.encode()).digest()[:48] * 2


@dataclass
class FakePseudonyms:
    """The pseudonym port without a pseudonym service: a keyed hash per domain."""

    down: bool = False
    calls: list[int] = field(default_factory=list)

    def domain_pseudonyms(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """Deterministic per (subject, domain); refuses subjects starting with zero bytes."""
        self.calls.append(len(items))
        if self.down:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")
        for index, (subject, _) in enumerate(items):
            if subject.startswith(b"\x00" * 8):
                raise RejectedPseudonym(index, "MALFORMED_PSEUDONYM")
        return [hashlib.sha256(domain.encode() + s).digest() for s, domain in items]

    def with_record_subjects(self, items: Sequence[tuple[bytes, str]]) -> list[tuple[bytes, bytes]]:
        """The domain pseudonyms, each with a stand-in 96-byte record subject."""
        return [(p, hashlib.sha512(p).digest()[:48] * 2) for p in self.domain_pseudonyms(items)]


@dataclass
class Register:
    """The use cases over one real database."""

    engine: Engine
    service: ContactsService
    queries: ContactQueries
    pseudonyms: FakePseudonyms
    # The request_id each registered contact was answered with, by contact id (not stored).
    request_ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated contacts database (SQLite file or PostgreSQL schema)."""
    engine = make_engine(database_url, "contacts")
    migrate(engine, MIGRATIONS, "contacts")
    yield engine
    engine.dispose()


@pytest.fixture
def register(engine: Engine) -> Register:
    """The service and queries with a fake pseudonym port and a fixed clock."""
    pseudonyms = FakePseudonyms()
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    return Register(
        engine,
        ContactsService(POLICY, pseudonyms, CIPHER, REQUEST_KEYS, unit_of_work, clock=lambda: NOW),
        ContactQueries(POLICY, pseudonyms, CIPHER, unit_of_work, clock=lambda: NOW),
        pseudonyms,
    )
