"""Fixtures of the contacts integration tests: a migrated database, the real pseudonym
service's use cases in this process (its own SQLite file), and the contacts use cases.

Citizens are named in the tests (``alice``); :meth:`Register.person` has each one's BSN
issued into a domain, as a fresh tagged pseudonym, as the gateway or an importer would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from stadskamer.cli.contacts_demo import valid_bsn
from stadskamer.client import Claim, DomainKey
from stadskamer.common.auth import Principal
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.errors import InvalidArgument, Unavailable
from stadskamer.contacts.bootstrap import MIGRATIONS
from stadskamer.contacts.domain import Channel, ContactPolicy, Draft
from stadskamer.contacts.granted import GrantedReads
from stadskamer.contacts.queries import ContactQueries
from stadskamer.contacts.request_ids import RequestKeys
from stadskamer.contacts.service import ContactsService
from stadskamer.contacts.subjects import Subjects
from stadskamer.contacts.summaries import SummaryCipher
from stadskamer.pep import tags
from stadskamer.pseudonyms.service import Converted, TranscryptCommand
from tests.integration.pseudonyms.service_under_test import Parts, pseudonym_service

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
POLICY = ContactPolicy(windows={"burgerzaken": 14})
CONTACTS_SERVICE = Principal("contacts-service", frozenset(POLICY.domains), frozenset({"service"}))
ISSUER = Principal("gateway", frozenset(POLICY.domains), frozenset({"issuer", "system"}))
SUMMARY = "Meneer belt opnieuw over zijn paspoortaanvraag."
SECRET_KEYS = {d: hashlib.sha256(d.encode()).digest() for d in POLICY.domains}
CIPHER = SummaryCipher(SECRET_KEYS)
REQUEST_KEYS = RequestKeys(SECRET_KEYS)


def bsn_of(name: str) -> str:
    """A valid BSN for a citizen named in a test."""
    return valid_bsn(random.Random(name))


@dataclass
class ServicePseudonyms:
    """The pseudonym port over the pseudonym service's use cases, as the contacts service
    calls them (its own principal); counts the calls, and can be down."""

    parts: Parts
    down: bool = False
    calls: list[int] = field(default_factory=list)

    def verify(self, tagged: bytes, field: str = "subject") -> tags.TaggedPseudonym:
        """As PseudonymClient.verify: against the service's tag keys, locally."""
        service = self.parts.service
        try:
            return tags.verify(tagged, service.tag_public_keys, service.now())
        except tags.InvalidTagError as error:
            raise InvalidArgument.for_field(field, str(error), error.reason) from None

    def claim_many(self, items: Sequence[tuple[bytes, str]]) -> list[Claim]:
        """One Transcrypt or BatchTranscrypt of claims."""
        return [
            Claim(c.tagged.to_bytes(), c.audit_subject.to_bytes() if c.audit_subject else b"")
            for c in self._convert(items)
        ]

    def convert(self, tagged: bytes, target_domain: str, link_grant: str = "") -> bytes:
        """One conversion without a grant."""
        return self._convert([(tagged, target_domain)])[0].tagged.to_bytes()

    def report_subjects(self, references: Sequence[bytes]) -> list[bytes]:
        """Record subjects of stored references."""
        return [c.tagged.to_bytes() for c in self._convert([(r, "audit") for r in references])]

    def _convert(self, items: Sequence[tuple[bytes, str]]) -> list[Converted]:
        self.calls.append(len(items))
        if self.down:
            raise Unavailable("the pseudonyms service is unavailable", "DEPENDENCY_UNAVAILABLE")
        service = self.parts.service
        commands = [TranscryptCommand(domain, tagged=tagged) for tagged, domain in items]
        if len(commands) == 1:
            return [service.transcrypt(CONTACTS_SERVICE, commands[0])]
        return service.transcrypt_batch(CONTACTS_SERVICE, commands)


@dataclass
class Register:
    """The use cases over one real database, and the pseudonym service they use."""

    engine: Engine
    service: ContactsService
    queries: ContactQueries
    pseudonyms: ServicePseudonyms
    keys: dict[str, DomainKey]
    # The request_id each registered contact was answered with, by contact id (not stored).
    request_ids: dict[str, str] = field(default_factory=dict)

    def draft(
        self,
        request_id: str,
        domain: str = "burgerzaken",
        who: str = "alice",
        hours_ago: float = 1,
        channel: Channel = Channel.COUNTER,
        topic: str = "paspoort",
    ) -> Draft:
        """A valid draft of a contact of ``who`` (empty: anonymous), with a fresh subject."""
        return Draft(
            request_id=request_id,
            domain=domain,
            subject=self.person(who, domain) if who else b"",
            channel=int(channel),
            topic=topic,
            org_unit="stadswinkel-centrum",
            occurred_at=NOW - timedelta(hours=hours_ago),
            resolved_first_time=False,
            summary=SUMMARY,
        )

    def person(self, name: str, domain: str) -> bytes:
        """A freshly issued tagged pseudonym of the citizen ``name`` for ``domain``."""
        issued = self.pseudonyms.parts.issuance.issue(
            ISSUER, [bsn_of(name)], [domain], "contact-registration"
        )
        return issued[0].pseudonyms[0].to_bytes()

    def pseudonym(self, name: str, domain: str) -> bytes:
        """The domain pseudonym ``P_d`` of the citizen ``name`` (as the domain decrypts it)."""
        subjects = Subjects(self.pseudonyms, self.keys)
        checked = subjects.check(self.person(name, domain), domain)
        return subjects.claim([checked])[0].pseudonym


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated contacts database (SQLite file or PostgreSQL schema)."""
    engine = make_engine(database_url, "contacts")
    migrate(engine, MIGRATIONS, "contacts")
    yield engine
    engine.dispose()


@pytest.fixture
def pseudonyms(tmp_path: Path) -> Iterator[ServicePseudonyms]:
    """The pseudonym service's use cases on their own SQLite file."""
    with pseudonym_service(f"sqlite:///{tmp_path / 'pseudonyms.db'}") as parts:
        yield ServicePseudonyms(parts)


def domain_keys(pseudonyms: ServicePseudonyms) -> dict[str, DomainKey]:
    """The contacts domains' keys, as the service fetches them."""
    version = pseudonyms.parts.transcryptor.version
    return {d: DomainKey(d, version, *pseudonyms.parts.key(d)) for d in POLICY.domains}


@pytest.fixture
def register(engine: Engine, pseudonyms: ServicePseudonyms) -> Register:
    """The service and queries with the in-process pseudonym service and a fixed clock."""
    keys = domain_keys(pseudonyms)
    subjects = Subjects(pseudonyms, keys)
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    consent_key = pseudonyms.parts.consent_key.public_key()
    granted = GrantedReads(
        consent_key, subjects, keys, unit_of_work, nullcontext(), lambda: datetime.now(UTC)
    )
    return Register(
        engine,
        ContactsService(POLICY, subjects, CIPHER, REQUEST_KEYS, unit_of_work, clock=lambda: NOW),
        ContactQueries(POLICY, subjects, CIPHER, unit_of_work, lambda: NOW, granted),
        pseudonyms,
        keys,
    )
