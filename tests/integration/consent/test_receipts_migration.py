"""Migration 0002 on SQLite and PostgreSQL: stored receipts are signed again without the
citizen's pseudonym."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.link_grants import b64url, sign_jws
from stadskamer.consent.adapters.orm import consents
from stadskamer.consent.adapters.repository import ConsentRepository
from stadskamer.consent.bootstrap import MIGRATIONS
from stadskamer.consent.domain import Capture, CaptureMethod, Consent
from stadskamer.consent.receipts import RECEIPT_TYPE, verify_receipt
from tests.integration.consent.harness import row_before_references

KEY = Ed25519PrivateKey.generate()
SUBJECT = hashlib.sha256(b"subject").digest()
CLAIMS = {"jti": "a" * 32, "iat": 1741000000, "record_id": "consents/" + "1" * 32}
OLD = sign_jws({**CLAIMS, "pii_principal_id": b64url(SUBJECT)}, KEY, RECEIPT_TYPE)
CONSENT = Consent(
    id="1" * 32,
    request_id="req-1",
    subject=SUBJECT,
    purpose="research-panel",
    purpose_version=1,
    notice_hash=hashlib.sha256(b"text").digest(),
    capture=Capture("counter", CaptureMethod.AGENT, "agent-7"),
    recorded_by="agent-7",
    given_at=datetime(2025, 3, 3, 9, tzinfo=UTC),
    expires_at=None,
    receipt=OLD,
)


def test_a_receipt_naming_its_citizen_is_signed_again_without_it(database_url: str) -> None:
    engine = make_engine(database_url, "consent")
    migrate(engine, MIGRATIONS, "consent", revision="0001")
    unit = partial(UnitOfWork, session_factory(engine))
    current = sign_jws({**CLAIMS, "record_id": "consents/" + "2" * 32}, KEY, RECEIPT_TYPE)
    second = replace(CONSENT, id="2" * 32, request_id="req-2", receipt=current)
    with engine.begin() as connection:
        for stored in (CONSENT, second):
            connection.execute(insert(consents).values(**row_before_references(stored)))
    migrate(engine, MIGRATIONS, "consent", {"signing_key": KEY})
    with unit() as uow:
        rewritten = ConsentRepository(uow.session).get(CONSENT.id)
        untouched = ConsentRepository(uow.session).get("2" * 32)
    engine.dispose()
    assert rewritten is not None and untouched is not None
    assert verify_receipt(rewritten.receipt, KEY.public_key()) == CLAIMS
    assert untouched.receipt == current
