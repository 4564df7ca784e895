"""The consent repository on SQLite and PostgreSQL: round trip, uniqueness, single withdrawal,
and the subject reference (none for consents stored before revision 0004)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy.engine import Engine

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.consent.adapters.repository import ConsentRepository, DuplicateRequest
from stadskamer.consent.bootstrap import MIGRATIONS
from stadskamer.consent.domain import Capture, CaptureMethod, Consent, WithdrawalReason
from tests.integration.consent.harness import insert_before_references

GIVEN = datetime(2025, 3, 3, 9, 0, 0, 123456, tzinfo=UTC)
DIGEST = hashlib.sha256(b"request digest").digest()
CONSENT = Consent(
    id="1" * 32,
    subject=hashlib.sha256(b"subject").digest(),
    purpose="research-panel",
    purpose_version=1,
    notice_hash=hashlib.sha256(b"text").digest(),
    capture=Capture("counter", CaptureMethod.AGENT, "agent-7"),
    recorded_by="agent-7",
    given_at=GIVEN,
    expires_at=GIVEN + timedelta(days=365),
    receipt="receipt.jws.text",
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated consent database."""
    built = make_engine(database_url, "consent")
    migrate(built, MIGRATIONS, "consent")
    yield built
    built.dispose()


def test_a_consent_round_trips_with_utc_times(engine: Engine) -> None:
    unit = partial(UnitOfWork, session_factory(engine))
    with unit() as uow:
        ConsentRepository(uow.session).add(CONSENT, DIGEST)
        uow.commit()
    with unit() as uow:
        repository = ConsentRepository(uow.session)
        assert repository.get(CONSENT.id) == CONSENT
        assert repository.by_request_digest(DIGEST) == CONSENT
        assert repository.by_request_digest(bytes(32)) is None
        assert repository.for_subject(CONSENT.subject, "research-panel") == [CONSENT]
        assert repository.for_subject(CONSENT.subject, "complaint-callback") == []
        assert [c for _, c in repository.page(CONSENT.subject, 0, 10)] == [CONSENT]


def test_a_page_can_be_limited_to_purpose_versions(engine: Engine) -> None:
    unit = partial(UnitOfWork, session_factory(engine))
    other = replace(CONSENT, id="2" * 32, purpose="complaint-callback")
    with unit() as uow:
        ConsentRepository(uow.session).add(CONSENT, DIGEST)
        ConsentRepository(uow.session).add(other, hashlib.sha256(b"other").digest())
        uow.commit()
    with unit() as uow:
        repository = ConsentRepository(uow.session)

        def listed(purposes: list[tuple[str, int]] | None) -> list[str]:
            return [c.id for _, c in repository.page(CONSENT.subject, 0, 10, purposes)]

        assert listed(None) == [CONSENT.id, other.id]
        assert listed([("complaint-callback", 1)]) == [other.id]
        assert listed([("research-panel", 2), ("complaint-callback", 1)]) == [other.id]
        assert listed([]) == []


def test_a_second_consent_with_the_same_request_digest_is_refused(engine: Engine) -> None:
    unit = partial(UnitOfWork, session_factory(engine))
    with unit() as uow:
        ConsentRepository(uow.session).add(CONSENT, DIGEST)
        uow.commit()
    with pytest.raises(DuplicateRequest), unit() as uow:
        ConsentRepository(uow.session).add(replace(CONSENT, id="2" * 32), DIGEST)


def test_a_consent_is_withdrawn_once_and_nothing_is_deleted(engine: Engine) -> None:
    unit = partial(UnitOfWork, session_factory(engine))
    with unit() as uow:
        ConsentRepository(uow.session).add(CONSENT, DIGEST)
        uow.commit()
    withdrawn = replace(
        CONSENT.withdraw(GIVEN + timedelta(days=1), WithdrawalReason.CITIZEN_REQUEST, "agent-8"),
        withdrawal_receipt="withdrawal.jws.text",
    )
    with unit() as uow:
        assert ConsentRepository(uow.session).withdraw(withdrawn)
        uow.commit()
    later = replace(withdrawn, withdrawn_at=GIVEN + timedelta(days=2))
    with unit() as uow:
        assert not ConsentRepository(uow.session).withdraw(later)
        uow.commit()
    with unit() as uow:
        assert ConsentRepository(uow.session).get(CONSENT.id) == withdrawn


def test_a_consent_keeps_its_subject_reference(engine: Engine) -> None:
    stored = replace(CONSENT, reference=b"\x01" + bytes(203))
    unit = partial(UnitOfWork, session_factory(engine))
    with unit() as uow:
        ConsentRepository(uow.session).add(stored, DIGEST)
        uow.commit()
    with unit() as uow:
        assert ConsentRepository(uow.session).get(CONSENT.id) == stored


def test_consents_given_before_references_were_kept_read_without_one(database_url: str) -> None:
    built = make_engine(database_url, "consent")
    try:
        migrate(built, MIGRATIONS, "consent", revision="0003")
        with built.begin() as connection:
            insert_before_references(connection, CONSENT, request_digest=DIGEST)
        migrate(built, MIGRATIONS, "consent")
        with UnitOfWork(session_factory(built)) as uow:
            old = ConsentRepository(uow.session).get(CONSENT.id)
        assert old == CONSENT and old.reference == b""
    finally:
        built.dispose()
