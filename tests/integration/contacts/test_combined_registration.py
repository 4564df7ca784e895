"""Concurrent RegisterContact calls are combined, yet each caller keeps its own answer.

On SQLite and PostgreSQL: many agents registering at once share claim calls and
transactions; a subject refused by its own checks fails only that registration; an
unexpected failure is narrowed to the registration that causes it; each processing record
names its own caller and the subject its claim gave; concurrent retries of one request store
one contact.
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

from stadskamer.client import Claim
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, session_factory
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.processing_log import ProcessingRecord
from stadskamer.common.record_keeping import DirectRecords
from stadskamer.contacts.adapters.orm import contacts
from stadskamer.contacts.domain import Contact, Draft
from stadskamer.contacts.service import ContactsService
from stadskamer.contacts.subjects import Subjects
from stadskamer.pep import tags
from tests.integration.contacts.conftest import (
    CIPHER,
    NOW,
    POLICY,
    REQUEST_KEYS,
    Register,
    ServicePseudonyms,
)

REFUSED = b"\x00" * 96  # not a tagged pseudonym: refused by its own checks


@dataclass
class BrittlePseudonyms(ServicePseudonyms):
    """A pseudonym port with a bug: a call that holds a subject of ``broken`` raises."""

    broken: set[bytes] = field(default_factory=set)
    failed: list[int] = field(default_factory=list)

    def claim_many(self, items: Sequence[tuple[bytes, str]]) -> list[Claim]:
        """As the service, but a RuntimeError for any call with a broken subject."""
        if any(subject in self.broken for subject, _ in items):
            self.failed.append(len(items))
            raise RuntimeError("an unexpected failure")
        return super().claim_many(items)


@dataclass
class ListLog:
    """A processing log that keeps records in memory."""

    records: list[ProcessingRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, record: ProcessingRecord) -> None:
        """Keep one record."""
        with self.lock:
            self.records.append(record)


def _service(engine: Engine, log: ListLog, register: Register) -> ContactsService:
    guard = threading.Lock() if engine.dialect.name == "sqlite" else None
    return ContactsService(
        POLICY,
        Subjects(register.pseudonyms, register.keys),
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


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(contacts)).scalar_one())


def test_concurrent_registrations_share_calls_and_fail_one_by_one(
    engine: Engine, register: Register
) -> None:
    log = ListLog()
    service = _service(engine, log, register)
    subjects = [
        REFUSED if n % 10 == 3 else register.person(f"citizen-{n % 5}", "kcc") for n in range(60)
    ]

    def attempt(n: int) -> Contact | str:
        try:
            return service.register(_agent(n), _draft(n, subjects[n]))
        except InvalidArgument as error:
            return f"refused {error.violations[0].field}"

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(attempt, range(60)))
    refused = [n for n, a in enumerate(answers) if isinstance(a, str)]
    assert refused == [n for n in range(60) if n % 10 == 3]
    assert {answers[n] for n in refused} == {"refused subject"}
    stored = {a.request_id: a for a in answers if isinstance(a, Contact)}
    assert len(stored) == 54
    assert len(register.pseudonyms.calls) < 54, "concurrent registrations share claim calls"
    actors = {r.reference: r.actor for r in log.records}
    assert actors == {f"contacts/{c.id}": f"agent-{c.request_id[5:]}" for c in stored.values()}
    audiences = {tags.parse(r.subject_tagged).audience for r in log.records}
    assert audiences == {"audit/kcc"}, "each record names its subject as the claim gave it"
    assert _count(engine) == 54


def test_an_unexpected_failure_fails_only_the_registration_that_causes_it(
    engine: Engine, register: Register
) -> None:
    log = ListLog()
    brittle = BrittlePseudonyms(register.pseudonyms.parts)
    register.pseudonyms = brittle
    service = _service(engine, log, register)
    subjects = [
        REFUSED if n % 10 == 3 else register.person(f"citizen-{n % 5}", "kcc") for n in range(60)
    ]
    brittle.broken = {subjects[n] for n in range(60) if n % 10 == 7}

    def attempt(n: int) -> Contact | str:
        try:
            return service.register(_agent(n), _draft(n, subjects[n]))
        except InvalidArgument as error:
            return f"refused {error.violations[0].field}"
        except RuntimeError:
            return "internal"

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(attempt, range(60)))
    assert [n for n, a in enumerate(answers) if a == "internal"] == [7, 17, 27, 37, 47, 57]
    assert [n for n, a in enumerate(answers) if a == "refused subject"] == [3, 13, 23, 33, 43, 53]
    assert sum(isinstance(a, Contact) for a in answers) == 48
    assert max(brittle.failed) > 1, "a broken subject should have shared a batch"
    assert len(log.records) == 48
    assert _count(engine) == 48


def test_concurrent_retries_of_one_request_store_one_contact_and_one_record(
    engine: Engine, register: Register
) -> None:
    log = ListLog()
    service = _service(engine, log, register)
    draft = _draft(1, register.person("Jan", "kcc"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: service.register(_agent(n), draft), range(8)))
    assert len({a.id for a in answers}) == 1
    assert len({(a.repeat.is_repeat, a.repeat.previous_contacts) for a in answers}) == 1
    assert [r.reference for r in log.records] == [f"contacts/{answers[0].id}"]


def test_a_replayed_subject_fails_only_its_own_registrations(
    engine: Engine, register: Register
) -> None:
    log = ListLog()
    service = _service(engine, log, register)
    spent = register.person("attacker", "kcc")
    service.register(_agent(999), _draft(999, spent))
    honest = [register.person(f"citizen-{n}", "kcc") for n in range(120)]
    stop = threading.Event()

    def replay(worker: int) -> set[str]:
        reasons = set()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                service.register(_agent(worker), _draft(10_000 * worker + n, spent))
            except PermissionDenied as error:
                reasons.add(error.reason)
        return reasons

    def attempt(n: int) -> Contact | str:
        try:
            return service.register(_agent(n), _draft(n, honest[n]))
        except PermissionDenied as error:
            return error.reason

    with ThreadPoolExecutor(18) as pool:
        replays = [pool.submit(replay, worker) for worker in (1, 2)]
        answers = list(pool.map(attempt, range(120)))
        stop.set()
        reasons = set().union(*(r.result() for r in replays))
    assert [a for a in answers if isinstance(a, str)] == []
    assert reasons == {"TAG_SPENT"}
    assert _count(engine) == 121
