"""A complaints service on a real database with an in-process stand-in for the pseudonyms.

The stand-in does what the pseudonym service and the domain key do together: it decrypts the
polymorphic pseudonym with the test master key and applies a fixed domain factor, so one BSN
always gives the same 32-byte klachten pseudonym, and it can be switched off ("down").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from stadskamer import pep
from stadskamer.client import DomainKey, decrypt_pseudonym, make_polymorphic_pseudonym
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.common.processing_log import JsonLinesProcessingLog
from stadskamer.common.request_ids import RequestDigest
from stadskamer.complaints.adapters.events import ProtoEventEncoder
from stadskamer.complaints.bootstrap import MIGRATIONS
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.inputs import Draft
from stadskamer.complaints.lifecycle import LifecycleService
from stadskamer.complaints.queries import ComplaintQueries
from stadskamer.complaints.routing import RoutingTable
from stadskamer.complaints.service import Dependencies, FilingService
from stadskamer.complaints.texts import TextCipher
from stadskamer.pep import group

MASTER_SECRET = pep.random_scalar()
MASTER_PUBLIC = pep.public_key(MASTER_SECRET)
DOMAIN_FACTOR = pep.random_scalar()
KLACHTEN_SECRET = pep.random_scalar()
KEY = DomainKey("klachten", "v1", KLACHTEN_SECRET, pep.public_key(KLACHTEN_SECRET))
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


def polymorphic(bsn: str) -> bytes:
    """A fresh polymorphic pseudonym of ``bsn`` under the test master key."""
    return make_polymorphic_pseudonym(bsn, MASTER_PUBLIC)


def klachten_pseudonym(bsn: str) -> bytes:
    """The klachten pseudonym the stand-in gives ``bsn``."""
    return group.point_mul(DOMAIN_FACTOR, pep.identity_point(bsn))


class FakeSubjects:
    """The pseudonym service and the klachten key, in process."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def domain_pseudonym(self, polymorphic: bytes) -> bytes:
        """Decrypt with the master key and apply the domain factor."""
        self.calls += 1
        if self.down:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")
        try:
            point = pep.decrypt(pep.Ciphertext.from_bytes(polymorphic), MASTER_SECRET)
        except pep.InvalidEncodingError:
            raise InvalidArgument.for_field("subject", "not a polymorphic pseudonym") from None
        return group.point_mul(DOMAIN_FACTOR, point)

    def open_encrypted(self, encrypted: bytes) -> bytes:
        """Decrypt an encrypted klachten pseudonym with the klachten key."""
        try:
            return decrypt_pseudonym(encrypted, KEY)
        except pep.InvalidEncodingError:
            raise InvalidArgument.for_field(
                "encrypted_subject", "not an encrypted pseudonym of klachten"
            ) from None


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
    subjects: FakeSubjects
    clock: Clock
    log: JsonLinesProcessingLog
    filing: FilingService
    lifecycle: LifecycleService
    queries: ComplaintQueries
    woken: list[int]


def build_world(url: str, folder: Path) -> World:
    """Migrate the database and wire the use cases."""
    engine = make_engine(url, "complaints")
    migrate(engine, MIGRATIONS, "complaints")
    subjects, clock = FakeSubjects(), Clock()
    log = JsonLinesProcessingLog.for_service(folder / "processing-log", "complaints")
    woken: list[int] = []
    deps = Dependencies(
        unit_of_work=lambda: UnitOfWork(session_factory(engine)),
        subjects=subjects,
        cipher=TextCipher(KLACHTEN_SECRET),
        processing_log=log,
        events=ProtoEventEncoder(KEY),
        deadlines=DeadlinePolicy(),
        routing=RoutingTable.load(None),
        request_digest=RequestDigest(KLACHTEN_SECRET),
        on_event=lambda: woken.append(1),
        clock=clock,
    )
    return World(
        engine,
        deps,
        subjects,
        clock,
        log,
        FilingService(deps),
        LifecycleService(deps),
        ComplaintQueries(deps),
        woken,
    )


def draft(request_id: str, bsn: str = "111222333", **changes: object) -> Draft:
    """A valid draft (received now unless given)."""
    fields: dict[str, object] = {
        "request_id": request_id,
        "subject": polymorphic(bsn),
        "channel": 4,
        "received_at": None,
        "org_unit": "belastingen",
        "about_official": False,
        "description": DESCRIPTION,
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]
