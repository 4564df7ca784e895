"""Migration 0002 on SQLite and PostgreSQL: stored receipts are signed again without the
citizen's pseudonym."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.link_grants import b64url, sign_jws
from stadskamer.common.request_ids import RequestDigest, migration_attributes
from stadskamer.consent.adapters.repository import ConsentRepository
from stadskamer.consent.bootstrap import MIGRATIONS
from stadskamer.consent.domain import Capture, CaptureMethod, Consent
from stadskamer.consent.receipts import RECEIPT_TYPE, verify_receipt
from tests.integration.consent.harness import insert_before_references

KEY = Ed25519PrivateKey.generate()
SUBJECT = hashlib.sha256(b"subject").digest()
CLAIMS = {"jti": "a" * 32, "iat": 1741000000, "record_id": "consents/" + "1" * 32}
OLD = sign_jws({**CLAIMS, "pii_principal_id": b64url(SUBJECT)}, KEY, RECEIPT_TYPE)
CONSENT = Consent(
    id="1" * 32,
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
    second = replace(CONSENT, id="2" * 32, receipt=current)
    with engine.begin() as connection:
        for stored, request_id in ((CONSENT, "req-1"), (second, "req-2")):
            insert_before_references(connection, stored, request_id=request_id)
    digests = migration_attributes({"consent": RequestDigest(b"consent secret key of the test")})
    migrate(engine, MIGRATIONS, "consent", {**digests, "secrets": {"signing_key": KEY}})
    with unit() as uow:
        rewritten = ConsentRepository(uow.session).get(CONSENT.id)
        untouched = ConsentRepository(uow.session).get("2" * 32)
    engine.dispose()
    assert rewritten is not None and untouched is not None
    assert verify_receipt(rewritten.receipt, KEY.public_key()) == CLAIMS
    assert untouched.receipt == current
