"""The surveys use cases on a real database with in-process peers.

The pseudonym service is the real one in process (:mod:`tests.support.pseudonyms`), so the
use cases claim and convert real tagged pseudonyms; the consent service is a fake
(:class:`tests.unit.surveys.fakes.FakeConsents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.surveys.adapters.database import scrubber, secure_delete
from stadskamer.surveys.adapters.orm import invitations
from stadskamer.surveys.bootstrap import MIGRATIONS, migration_inputs, use_cases
from stadskamer.surveys.citizens import Citizens
from stadskamer.surveys.domain import InvitationRules, Sampler
from stadskamer.surveys.entrypoint import UseCases
from stadskamer.surveys.inputs import Address, Answer, InvitationDraft
from stadskamer.surveys.sealing import Keyring
from stadskamer.surveys.service import Dependencies
from tests.support.pseudonyms import LocalPseudonyms
from tests.unit.surveys.fakes import (
    Clock,
    FakeConsents,
    MemoryDelivery,
    MemoryLog,
    token_in,
)

AGENT = Principal("agent-1", frozenset({"onderzoek"}), frozenset({"agent"}))
ANALYST = Principal("analyst-1", frozenset({"onderzoek"}), frozenset({"analyst"}))
COORDINATOR = Principal("coordinator-1", frozenset({"onderzoek"}), frozenset({"coordinator"}))
SYSTEM = Principal("front-end", frozenset({"onderzoek"}), frozenset({"system"}))
COMPLAINTS = Principal("complaints-service", frozenset({"klachten"}), frozenset({"service"}))
SENDERS = {"klachten": COMPLAINTS}
ADDRESS = "petra.jansen@example.nl"


@dataclass
class World:
    """The use cases on one database with their collaborators."""

    url: str
    engine: Engine
    deps: Dependencies
    cases: UseCases
    pseudonyms: LocalPseudonyms
    consents: FakeConsents
    delivery: MemoryDelivery
    log: MemoryLog
    clock: Clock

    def count(self, table: str = "invitations") -> int:
        """Rows in a table."""
        with self.engine.connect() as connection:
            return int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())

    def statuses(self) -> list[str]:
        """Every invitation's status."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(invitations.c.status).order_by(invitations.c.id))
            return [row.status for row in rows]

    def delivered_count(self) -> int:
        """Invitations delivered."""
        with self.engine.connect() as connection:
            query = select(func.count()).where(invitations.c.delivered_at_us.is_not(None))
            return int(connection.execute(query).scalar_one())

    def last_token(self) -> str:
        """The token of the last message sent."""
        return token_in(self.delivery.messages[-1])

    def subject(self, bsn: str = "111222333") -> bytes:
        """A fresh tagged onderzoek pseudonym of ``bsn``, as a front end has it issued."""
        return self.pseudonyms.issue(bsn, "onderzoek", "satisfaction-survey")

    def pseudonym(self, bsn: str = "111222333") -> bytes:
        """The onderzoek pseudonym of ``bsn``."""
        return self.pseudonyms.pseudonym(self.subject(bsn))

    def pushed(self, bsn: str = "111222333", domain: str = "klachten") -> bytes:
        """What a sender of ``domain`` puts in an event: a fresh reference of its own."""
        sender = self.pseudonyms.as_caller(
            Principal(f"{domain}-service", frozenset({domain}), frozenset({"service"}))
        )
        claimed = sender.claim(self.pseudonyms.issue(bsn, domain), domain)
        return sender.convert(claimed.reference, domain)

    def draft(
        self, request_id: str, bsn: str | None = "111222333", **changes: object
    ) -> InvitationDraft:
        """A valid invitation request after a phone contact, with an address unless changed."""
        fields: dict[str, object] = {
            "request_id": request_id,
            "subject": self.subject(bsn) if bsn else b"",
            "trigger": 1,
            "channel": 2,
            "topic": "paspoort",
            "org_unit": "kcc-noord",
            "address": Address(1, ADDRESS),
        }
        fields.update(changes)
        return InvitationDraft(**fields)  # type: ignore[arg-type]


def build_world(
    url: str,
    pseudonyms: LocalPseudonyms,
    rules: InvitationRules | None = None,
    min_group_size: int = 10,
) -> World:
    """Migrate the database and wire the use cases with the peers in process."""
    engine = make_engine(url, "surveys")
    secure_delete(engine)
    key = pseudonyms.key("onderzoek")
    migrate(engine, MIGRATIONS, "surveys", migration_inputs(key))
    consents = FakeConsents(pseudonyms)
    delivery, log, clock = MemoryDelivery(), MemoryLog(), Clock()
    keys = Keyring(key.secret_key)
    deps = Dependencies(
        unit_of_work=partial(UnitOfWork, session_factory(engine)),
        citizens=Citizens(pseudonyms, consents, key),
        consents=consents,
        delivery=delivery,
        keys=keys,
        processing_log=log,
        scrubber=scrubber(engine),
        rules=rules or InvitationRules(),
        sampler=Sampler(b"test-seed-of-sixteen-bytes"),
        min_group_size=min_group_size,
        clock=clock,
    )
    return World(url, engine, deps, use_cases(deps), pseudonyms, consents, delivery, log, clock)


def answer(token: str, score: int = 8, **changes: object) -> Answer:
    """A valid answer."""
    fields: dict[str, object] = {
        "token": token,
        "score": score,
        "what_was_good": "De medewerker Karin was erg vriendelijk.",
        "what_can_be_better": "Ik wachtte twintig minuten aan de telefoon.",
        "aspect": "snelheid",
    }
    fields.update(changes)
    return Answer(**fields)  # type: ignore[arg-type]


def database_files(folder: Path) -> list[Path]:
    """The SQLite database files (with their WAL and shared-memory files) below ``folder``."""
    return [p for p in folder.rglob("*") if p.is_file() and ".db" in p.name]
