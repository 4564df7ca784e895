"""The consent use cases on a real database with fake peers, a movable clock and a memory log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import column, func, insert, select, table
from sqlalchemy.engine import Connection, Engine

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.request_ids import RequestDigest
from stadskamer.consent.access import AccessService
from stadskamer.consent.adapters.orm import consents
from stadskamer.consent.bootstrap import MIGRATIONS
from stadskamer.consent.catalogue import load_catalogue
from stadskamer.consent.domain import Capture, CaptureMethod, Consent
from stadskamer.consent.policy import load_policy
from stadskamer.consent.receipts import ReceiptSigner
from stadskamer.consent.service import Collaborators, ConsentService, GrantCommand
from stadskamer.consent.subjects import Subjects
from tests.unit.consent.fakes import CONSENT_KEY, FakeClock, FakePseudonyms, MemoryLog, subject

HISTORY = "integrated-contact-history"


@dataclass
class Harness:
    """Everything a service-level test touches."""

    engine: Engine
    consents: ConsentService
    access: AccessService
    clock: FakeClock
    pseudonyms: FakePseudonyms
    log: MemoryLog
    key: Ed25519PrivateKey

    def rows(self) -> int:
        """How many consents are stored."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(consents)).scalar_one())

    def references(self) -> list[bytes]:
        """The stored subject references, in order."""
        with self.engine.connect() as connection:
            query = select(consents.c.subject_reference).order_by(consents.c.seq)
            return [bytes(value or b"") for value in connection.execute(query).scalars()]


def build_harness(database_url: str) -> Harness:
    """Migrate the database and wire the use cases."""
    engine = make_engine(database_url, "consent")
    migrate(engine, MIGRATIONS, "consent")
    catalogue = load_catalogue()
    key = Ed25519PrivateKey.generate()
    clock, pseudonyms, log = FakeClock(), FakePseudonyms(), MemoryLog()
    parts = Collaborators(
        catalogue=catalogue,
        subjects=Subjects(pseudonyms, CONSENT_KEY, clock),
        unit_of_work=partial(UnitOfWork, session_factory(engine)),
        receipts=ReceiptSigner(key),
        processing_log=log,
        clock=clock,
        request_digest=RequestDigest(b"consent secret key of the harness"),
    )
    access = AccessService(parts, load_policy(catalogue), key, timedelta(seconds=30))
    return Harness(engine, ConsentService(parts), access, clock, pseudonyms, log, key)


def grant_command(
    request_id: str = "req-1", person: int = 1, purpose: str = HISTORY, **changes: object
) -> GrantCommand:
    """A valid command to record a consent by phone, by the calling agent, with a freshly
    issued kcc pseudonym of person ``person``."""
    values: dict[str, object] = {
        "request_id": request_id,
        "subject": subject(person),
        "purpose": purpose,
        "purpose_version": 1,
        "capture": Capture("phone", CaptureMethod.AGENT),
        **changes,
    }
    return GrantCommand(**values)  # type: ignore[arg-type]


def insert_before_references(connection: Connection, consent: Consent, **request: object) -> None:
    """Insert ``consent`` as revisions before 0004 stored it (no subject reference), with its
    ``request_id`` (before 0003) or its ``request_digest`` (0003)."""
    row = {
        "id": consent.id,
        "subject": consent.subject,
        "purpose": consent.purpose,
        "purpose_version": consent.purpose_version,
        "notice_hash": consent.notice_hash,
        "channel": consent.capture.channel,
        "capture_method": consent.capture.method.value,
        "agent_id": consent.capture.agent_id,
        "recorded_by": consent.recorded_by,
        "given_at": consent.given_at,
        "expires_at": consent.expires_at,
        "receipt": consent.receipt,
        **request,
    }
    connection.execute(insert(table("consents", *(column(name) for name in row))).values(**row))
