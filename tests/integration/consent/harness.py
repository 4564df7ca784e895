"""The consent use cases on a real database with fake peers, a movable clock and a memory log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.request_ids import RequestDigest
from stadskamer.consent.access import AccessService
from stadskamer.consent.adapters.orm import consents
from stadskamer.consent.bootstrap import MIGRATIONS
from stadskamer.consent.catalogue import load_catalogue
from stadskamer.consent.domain import Capture, CaptureMethod
from stadskamer.consent.policy import load_policy
from stadskamer.consent.receipts import ReceiptSigner
from stadskamer.consent.service import Collaborators, ConsentService, GrantCommand
from tests.unit.consent.fakes import FakeClock, FakeResolver, MemoryLog, subject

HISTORY = "integrated-contact-history"


@dataclass
class Harness:
    """Everything a service-level test touches."""

    engine: Engine
    consents: ConsentService
    access: AccessService
    clock: FakeClock
    resolver: FakeResolver
    log: MemoryLog
    key: Ed25519PrivateKey

    def rows(self) -> int:
        """How many consents are stored."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(consents)).scalar_one())


def build_harness(database_url: str) -> Harness:
    """Migrate the database and wire the use cases."""
    engine = make_engine(database_url, "consent")
    migrate(engine, MIGRATIONS, "consent")
    catalogue = load_catalogue()
    key = Ed25519PrivateKey.generate()
    clock, resolver, log = FakeClock(), FakeResolver(), MemoryLog()
    parts = Collaborators(
        catalogue=catalogue,
        resolver=resolver,
        unit_of_work=partial(UnitOfWork, session_factory(engine)),
        receipts=ReceiptSigner(key),
        processing_log=log,
        clock=clock,
        request_digest=RequestDigest(b"consent secret key of the harness"),
    )
    access = AccessService(parts, load_policy(catalogue), key, timedelta(seconds=30))
    return Harness(engine, ConsentService(parts), access, clock, resolver, log, key)


def grant_command(
    request_id: str = "req-1", person: int = 1, purpose: str = HISTORY, **changes: object
) -> GrantCommand:
    """A valid command to record a consent by phone, by the calling agent."""
    values: dict[str, object] = {
        "request_id": request_id,
        "subject": subject(person),
        "purpose": purpose,
        "purpose_version": 1,
        "capture": Capture("phone", CaptureMethod.AGENT),
        **changes,
    }
    return GrantCommand(**values)  # type: ignore[arg-type]
