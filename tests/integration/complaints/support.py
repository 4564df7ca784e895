"""A complaints service on a real database with the real pseudonym service in process.

The pseudonym service runs its own use cases on a SQLite file beside the test
(:mod:`tests.support.pseudonyms`): it issues the tagged klachten pseudonyms the requests
carry, claims them for the complaints service, and can be switched off ("down").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from stadskamer.client import DomainKey
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.processing_log import JsonLinesProcessingLog
from stadskamer.common.request_ids import RequestDigest
from stadskamer.complaints.adapters.events import ProtoEventEncoder
from stadskamer.complaints.bootstrap import MIGRATIONS, migration_inputs
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.inputs import Draft
from stadskamer.complaints.lifecycle import LifecycleService
from stadskamer.complaints.queries import ComplaintQueries
from stadskamer.complaints.routing import RoutingTable
from stadskamer.complaints.service import Dependencies, FilingService
from stadskamer.complaints.texts import TextCipher
from tests.support.pseudonyms import LocalPseudonyms

SERVICE = Principal("complaints-service", frozenset({"klachten"}), frozenset({"service"}))
AGENT = Principal("agent-1", frozenset({"klachten"}), frozenset({"agent"}))
COORDINATOR = Principal("coordinator-1", frozenset({"klachten"}), frozenset({"coordinator"}))
ANALYST = Principal("analyst-1", frozenset({"klachten"}), frozenset({"analyst"}))
DESCRIPTION = "Mijn buurman Jan de Vries kreeg geen antwoord op zijn vraag over de WOZ-waarde."


def bsns(count: int) -> list[str]:
    """``count`` distinct BSNs that pass the 11-check."""
    found: list[str] = []
    number = 10_000_000
    while len(found) < count:
        number += 1
        first = f"{number:08d}"
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
        if check <= 9:
            found.append(first + str(check))
    return found


@dataclass
class Clock:
    """A settable clock."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, tzinfo=UTC))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self.lock:
            return self.now


@dataclass
class World:
    """The services on one database, with their collaborators."""

    engine: Engine
    deps: Dependencies
    pseudonyms: LocalPseudonyms
    clock: Clock
    log: JsonLinesProcessingLog
    filing: FilingService
    lifecycle: LifecycleService
    queries: ComplaintQueries
    woken: list[int]

    @property
    def key(self) -> DomainKey:
        """The klachten domain key."""
        return self.deps.key

    def subject(self, bsn: str = "111222333") -> bytes:
        """A fresh tagged klachten pseudonym of ``bsn``, as a front end has it issued."""
        return self.pseudonyms.issue(bsn, "klachten", "complaint-handling")

    def pseudonym(self, bsn: str = "111222333") -> bytes:
        """The klachten pseudonym of ``bsn``."""
        return self.pseudonyms.pseudonym(self.subject(bsn))

    def draft(self, request_id: str, bsn: str = "111222333", **changes: object) -> Draft:
        """A valid draft (received now unless given) with a fresh subject."""
        fields: dict[str, object] = {
            "request_id": request_id,
            "subject": self.subject(bsn),
            "channel": 4,
            "received_at": None,
            "org_unit": "belastingen",
            "about_official": False,
            "description": DESCRIPTION,
        }
        fields.update(changes)
        return Draft(**fields)  # type: ignore[arg-type]


def build_world(url: str, folder: Path, pseudonyms: LocalPseudonyms) -> World:
    """Migrate the database and wire the use cases."""
    engine = make_engine(url, "complaints")
    key = pseudonyms.key("klachten")
    migrate(engine, MIGRATIONS, "complaints", migration_inputs(key))
    clock = Clock()
    log = JsonLinesProcessingLog.for_service(folder / "processing-log", "complaints")
    woken: list[int] = []
    deps = Dependencies(
        unit_of_work=lambda: UnitOfWork(session_factory(engine)),
        pseudonyms=pseudonyms,
        key=key,
        cipher=TextCipher(key.secret_key),
        processing_log=log,
        events=ProtoEventEncoder(),
        deadlines=DeadlinePolicy(),
        routing=RoutingTable.load(None),
        request_digest=RequestDigest(key.secret_key),
        on_event=lambda: woken.append(1),
        clock=clock,
    )
    return World(
        engine,
        deps,
        pseudonyms,
        clock,
        log,
        FilingService(deps),
        LifecycleService(deps),
        ComplaintQueries(deps),
        woken,
    )
