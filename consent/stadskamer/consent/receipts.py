"""Consent receipts: a signed record of a consent that the citizen can keep as proof.

A receipt is a compact JWS (EdDSA over Ed25519, header ``typ`` =
``stadskamer-consent-receipt+jwt``) signed with the consent signing key, whose public key
``GetReceiptKey`` publishes. Its claims follow the ISO/IEC TS 27560 consent record and the
Kantara Consent Receipt:

| claim | ISO/IEC TS 27560 / Kantara | value |
|---|---|---|
| ``jti``, ``iat``, ``iss`` | receipt id, issue time | receipt id, seconds, ``stadskamer-consent`` |
| ``schema_version`` | schema version | ``stadskamer-consent-receipt/1`` |
| ``record_id`` | record identifier / consentReceiptID | ``consents/{id}`` |
| ``pii_controller``, ``jurisdiction`` | PII controller | configured name, ``NL`` |
| ``purpose`` | purpose (id, version, category, legal basis) | object, DPV category |
| ``notice`` | notice / privacy notice hash | ``{"hash_alg": "sha-256", "hash": hex}`` |
| ``collection`` | collection method, channel | ``{"method": …, "channel": …}`` |
| ``consent_time`` | consent timestamp | ISO 8601 UTC |
| ``valid_from``, ``valid_until`` | validity | ISO 8601 UTC (``valid_until`` may be null) |
| ``status``, ``status_time`` | consent state and its event time | ``given`` or ``withdrawn`` |

A withdrawal produces a second receipt of the same record with status ``withdrawn``.

A receipt names no citizen: no PII principal id, since a pseudonym in it would be one value
that every domain shown the receipt could compare with the others. The consent id
(``record_id``) identifies the consent; the consent register knows whose it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer.common.auth import key_id
from stadskamer.common.link_grants import b64url, read_jws, sign_jws
from stadskamer.consent.catalogue import Purpose
from stadskamer.consent.domain import Consent

RECEIPT_TYPE = "stadskamer-consent-receipt+jwt"
SCHEMA_VERSION = "stadskamer-consent-receipt/1"
ISSUER = "stadskamer-consent"
DEFAULT_CONTROLLER = "Gemeente Stadskamer"


@dataclass(frozen=True)
class PublishedKey:
    """The receipt (and link grant) verification key in the forms a verifier may want."""

    key_id: str
    raw: bytes
    pem: str
    jwks: dict[str, Any]


class ReceiptSigner:
    """Signs receipts with the consent signing key."""

    def __init__(self, private_key: Ed25519PrivateKey, controller: str = DEFAULT_CONTROLLER):
        self._key = private_key
        self._controller = controller

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The signing key (also used for link grants)."""
        return self._key

    def published_key(self) -> PublishedKey:
        """The public key as raw bytes, PEM and a JWKS document."""
        public = self._key.public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        kid = key_id(public)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "use": "sig"}
        return PublishedKey(kid, raw, pem, {"keys": [{**jwk, "alg": "EdDSA"}]})

    def sign(self, consent: Consent, purpose: Purpose, now: datetime) -> str:
        """The receipt of ``consent`` in its current state (given or withdrawn)."""
        withdrawn = consent.withdrawn_at is not None
        claims = {
            "iss": ISSUER,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "schema_version": SCHEMA_VERSION,
            "record_id": consent.name,
            "pii_controller": self._controller,
            "jurisdiction": "NL",
            "purpose": {
                "id": purpose.id,
                "version": purpose.version,
                "category": purpose.dpv_category,
                "legal_basis": purpose.legal_basis,
                "domains": sorted(purpose.domains),
                "retention_days": purpose.retention_days,
            },
            "notice": {"hash_alg": "sha-256", "hash": consent.notice_hash.hex()},
            "collection": {
                "method": consent.capture.method.value,
                "channel": consent.capture.channel,
            },
            "consent_time": _iso(consent.given_at),
            "valid_from": _iso(consent.given_at),
            "valid_until": _iso(consent.expires_at) if consent.expires_at else None,
            "status": "withdrawn" if withdrawn else "given",
            "status_time": _iso(consent.withdrawn_at or consent.given_at),
        }
        return sign_jws(claims, self._key, RECEIPT_TYPE)


def verify_receipt(token: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The claims of an authentic receipt; ``SignedTokenError`` for anything else."""
    return read_jws(token, public_key, RECEIPT_TYPE, "CONSENT_RECEIPT")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
