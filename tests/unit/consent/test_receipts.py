"""Consent receipts: the 27560/Kantara fields, verification with the published key, tampering."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.common import link_grants
from stadskamer.common.link_grants import BadSignature, SignedTokenError, b64url, from_b64url
from stadskamer.consent.catalogue import load_catalogue
from stadskamer.consent.domain import Capture, CaptureMethod, Consent, WithdrawalReason
from stadskamer.consent.receipts import ReceiptSigner, verify_receipt
from tests.unit.consent.fakes import START

KEY = Ed25519PrivateKey.generate()
SIGNER = ReceiptSigner(KEY, "Gemeente Proefstad")
PURPOSE = load_catalogue().current("research-panel")
PSEUDONYM = hashlib.sha256(b"person").digest()
CONSENT = Consent(
    id="c" * 32,
    subject=PSEUDONYM,
    purpose=PURPOSE.id,
    purpose_version=PURPOSE.version,
    notice_hash=PURPOSE.notice_hash,
    capture=Capture("web_form", CaptureMethod.SELF_SERVICE),
    recorded_by="mijn-gemeente",
    given_at=START,
    expires_at=START + timedelta(days=365),
)
RECEIPT = SIGNER.sign(CONSENT, PURPOSE, START)


def test_a_receipt_carries_the_consent_record_fields() -> None:
    claims = verify_receipt(RECEIPT, KEY.public_key())
    assert claims["record_id"] == CONSENT.name
    assert "pii_principal_id" not in claims
    assert claims["pii_controller"] == "Gemeente Proefstad"
    assert claims["purpose"]["id"] == "research-panel" and claims["purpose"]["version"] == 1
    assert claims["purpose"]["category"] == "dpv:ResearchAndDevelopment"
    assert claims["notice"] == {
        "hash_alg": "sha-256",
        "hash": hashlib.sha256(PURPOSE.consent_text.encode()).hexdigest(),
    }
    assert claims["consent_time"] == claims["valid_from"] == "2025-03-03T09:00:00Z"
    assert claims["valid_until"] == "2026-03-03T09:00:00Z"
    assert claims["status"] == "given"
    assert claims["collection"] == {"method": "self-service", "channel": "web_form"}


def test_a_receipt_names_no_citizen() -> None:
    payload = from_b64url(RECEIPT.split(".")[1])
    assert PSEUDONYM not in payload
    assert b64url(PSEUDONYM).encode() not in payload and PSEUDONYM.hex().encode() not in payload


def test_a_withdrawal_gets_its_own_receipt_with_status_withdrawn() -> None:
    at = START + timedelta(days=3)
    withdrawn = CONSENT.withdraw(at, WithdrawalReason.CITIZEN_REQUEST, "agent-7")
    claims = verify_receipt(SIGNER.sign(withdrawn, PURPOSE, at), KEY.public_key())
    assert (claims["status"], claims["status_time"]) == ("withdrawn", "2025-03-06T09:00:00Z")
    assert claims["consent_time"] == "2025-03-03T09:00:00Z"


def test_the_published_jwks_verifies_a_receipt() -> None:
    published = SIGNER.published_key()
    jwk = jwt.PyJWK.from_dict(published.jwks["keys"][0])
    claims = jwt.api_jws.decode_complete(RECEIPT, jwk.key, algorithms=["EdDSA"])
    assert json.loads(claims["payload"])["record_id"] == CONSENT.name
    assert claims["header"]["kid"] == published.key_id and len(published.raw) == 32


def _changes(claims: dict[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for name, value in claims.items():
        if isinstance(value, dict):
            changes += [{**claims, name: {**value, inner: "changed"}} for inner in value]
        else:
            changes.append({**claims, name: "changed" if value != "changed" else "other"})
    return changes


def test_changing_any_field_of_a_receipt_breaks_its_signature() -> None:
    header, payload, signature = RECEIPT.split(".")
    claims = json.loads(from_b64url(payload))
    changes = _changes(claims)
    assert len(changes) > len(claims)
    for changed in changes:
        forged = f"{header}.{b64url(json.dumps(changed).encode())}.{signature}"
        with pytest.raises(BadSignature):
            verify_receipt(forged, KEY.public_key())


def test_a_receipt_does_not_verify_with_another_key_nor_as_a_link_grant() -> None:
    with pytest.raises(BadSignature):
        verify_receipt(RECEIPT, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SignedTokenError):
        link_grants.verify(RECEIPT, KEY.public_key(), START)
