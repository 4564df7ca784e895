"""Concurrent RegisterContact calls are combined, yet each caller keeps its own answer.

On SQLite and PostgreSQL: many agents registering at once share conversion calls and
transactions; a subject the pseudonym service refuses fails only that registration; each
processing record names its own caller; concurrent retries of one request store one contact.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, session_factory
from stadskamer.common.errors import InvalidArgument
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import DirectRecords
from stadskamer.contacts.adapters.orm import contacts
from stadskamer.contacts.domain import Contact, Draft
from stadskamer.contacts.service import ContactsService
from tests.integration.contacts.conftest import (
    CIPHER,
    NOW,
    POLICY,
    REQUEST_KEYS,
    FakePseudonyms,
    person,
)

REFUSED = b"\x00" * 96  # the fake pseudonym service refuses subjects starting with zeros
BROKEN = b"\xff" * 96  # and fails unexpectedly on subjects starting with 0xff


@dataclass
class BrittlePseudonyms(FakePseudonyms):
    """A pseudonym port with a bug: one kind of subject makes the whole call raise."""

    failed: list[int] = field(default_factory=list)

    def domain_pseudonyms(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """As the fake, but a RuntimeError for any call that holds a broken subject."""
        if any(subject == BROKEN for subject, _ in items):
            self.failed.append(len(items))
            raise RuntimeError("an unexpected failure")
        return super().domain_pseudonyms(items)


@dataclass
class ListLog:
    """A processing log that keeps records in memory."""

    records: list[ProcessingRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, record: ProcessingRecord) -> None:
        """Keep one record."""
        with self.lock:
            self.records.append(record)


def _service(engine: Engine, log: ListLog, pseudonyms: FakePseudonyms) -> ContactsService:
    guard = threading.Lock() if engine.dialect.name == "sqlite" else None
    return ContactsService(
        POLICY,
        pseudonyms,
        CIPHER,
        REQUEST_KEYS,
        partial(UnitOfWork, session_factory(engine)),
        clock=lambda: NOW,
        write_guard=guard,
        records=DirectRecords(log),
    )


def _agent(n: int) -> Principal:
    return Principal(f"agent-{n}", frozenset({"kcc"}), frozenset({"agent"}))


def _draft(n: int, subject: bytes) -> Draft:
    return Draft(
        f"call-{n}", "kcc", subject, 2, "afval", "kcc-telefonie", NOW - timedelta(minutes=n), False
    )


def test_concurrent_registrations_share_calls_and_fail_one_by_one(engine: Engine) -> None:
    log, pseudonyms = ListLog(), FakePseudonyms()
    service = _service(engine, log, pseudonyms)

    def register(n: int) -> Contact | str:
        subject = REFUSED if n % 10 == 3 else person(f"citizen-{n % 5}")
        try:
            return service.register(_agent(n), _draft(n, subject))
        except InvalidArgument as error:
            return f"refused {error.violations[0].field}"

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(register, range(60)))
    refused = [n for n, a in enumerate(answers) if isinstance(a, str)]
    assert refused == [n for n in range(60) if n % 10 == 3]
    assert {answers[n] for n in refused} == {"refused subject"}
    stored = {a.request_id: a for a in answers if isinstance(a, Contact)}
    assert len(stored) == 54
    assert len(pseudonyms.calls) < 60, "concurrent registrations should share conversion calls"
    actors = {r.reference: r.actor for r in log.records}
    assert actors == {f"contacts/{c.id}": f"agent-{c.request_id[5:]}" for c in stored.values()}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(contacts)).scalar() == 54


def test_an_unexpected_failure_fails_only_the_registration_that_causes_it(engine: Engine) -> None:
    log, pseudonyms = ListLog(), BrittlePseudonyms()
    service = _service(engine, log, pseudonyms)

    def register(n: int) -> Contact | str:
        subject = {3: REFUSED, 7: BROKEN}.get(n % 10, person(f"citizen-{n % 5}"))
        try:
            return service.register(_agent(n), _draft(n, subject))
        except InvalidArgument as error:
            return f"refused {error.violations[0].field}"
        except RuntimeError:
            return "internal"

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(register, range(60)))
    assert [n for n, a in enumerate(answers) if a == "internal"] == [7, 17, 27, 37, 47, 57]
    assert [n for n, a in enumerate(answers) if a == "refused subject"] == [3, 13, 23, 33, 43, 53]
    assert sum(isinstance(a, Contact) for a in answers) == 48
    assert max(pseudonyms.failed) > 1, "a broken subject should have shared a batch"
    assert len(log.records) == 48
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(contacts)).scalar() == 48


def test_concurrent_retries_of_one_request_store_one_contact_and_one_record(
    engine: Engine,
) -> None:
    log = ListLog()
    service = _service(engine, log, FakePseudonyms())
    draft = _draft(1, person("Jan"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: service.register(_agent(n), draft), range(8)))
    assert len({a.id for a in answers}) == 1
    assert len({(a.repeat.is_repeat, a.repeat.previous_contacts) for a in answers}) == 1
    assert [r.reference for r in log.records] == [f"contacts/{answers[0].id}"]
