"""Link grants (stadskamer.common.link_grants): issue, strict verification, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stadskamer.common import link_grants
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.errors import PermissionDenied
from stadskamer.common.link_grants import (
    BadSignature,
    ExpiredToken,
    LinkGrant,
    MalformedToken,
    b64url,
    from_b64url,
    sign_jws,
)

KEY = Ed25519PrivateKey.generate()
NOW = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)
SUBJECT = bytes(range(96))
GRANT = LinkGrant.create(
    SUBJECT, "kcc", "burgerzaken", "integrated-contact-history", "consents/" + "a" * 32, NOW
)
TOKEN = link_grants.issue(GRANT, KEY)


def test_a_grant_round_trips_and_is_bound_to_the_exact_subject_bytes() -> None:
    verified = link_grants.verify(TOKEN, KEY.public_key(), NOW + timedelta(seconds=29))
    assert verified == GRANT
    assert verified.is_for(SUBJECT) and not verified.is_for(SUBJECT[:-1] + b"\x01")
    assert GRANT.expires_at - GRANT.issued_at == timedelta(seconds=30)


def test_the_token_has_the_documented_header_and_claims() -> None:
    header, payload, _ = TOKEN.split(".")
    assert json.loads(from_b64url(header))["typ"] == "stadskamer-link-grant+jwt"
    claims = json.loads(from_b64url(payload))
    assert set(claims) == {
        "iss",
        "jti",
        "subject_hash",
        "requester_domain",
        "target_domain",
        "purpose",
        "basis",
        "iat",
        "exp",
    }
    assert claims["exp"] - claims["iat"] == 30


def test_grants_longer_than_a_minute_are_neither_issued_nor_accepted() -> None:
    long = LinkGrant.create(SUBJECT, "kcc", "klachten", "p", "r", NOW, timedelta(seconds=61))
    with pytest.raises(ValueError, match="60 seconds"):
        link_grants.issue(long, KEY)
    with pytest.raises(ValueError):
        link_grants.issue(LinkGrant.create(SUBJECT, "a", "b", "p", "r", NOW, timedelta(0)), KEY)
    claims = json.loads(from_b64url(TOKEN.split(".")[1]))
    forged = sign_jws({**claims, "exp": claims["iat"] + 3600}, KEY, link_grants.LINK_GRANT_TYPE)
    with pytest.raises(MalformedToken):
        link_grants.verify(forged, KEY.public_key(), NOW)


def test_expired_and_not_yet_valid_grants_are_refused() -> None:
    public = KEY.public_key()
    link_grants.verify(TOKEN, public, NOW - timedelta(seconds=5))
    for moment in (GRANT.expires_at, NOW + timedelta(hours=1), NOW - timedelta(seconds=6)):
        with pytest.raises(ExpiredToken) as refused:
            link_grants.verify(TOKEN, public, moment)
        assert refused.value.reason == "LINK_GRANT_EXPIRED"
        assert isinstance(refused.value, PermissionDenied)


def test_a_grant_signed_by_another_key_is_refused() -> None:
    with pytest.raises(BadSignature) as refused:
        link_grants.verify(TOKEN, Ed25519PrivateKey.generate().public_key(), NOW)
    assert refused.value.reason == "LINK_GRANT_SIGNATURE_INVALID"


def test_changed_claims_under_the_original_signature_are_refused() -> None:
    header, payload, signature = TOKEN.split(".")
    claims = json.loads(from_b64url(payload))
    for name, value in [
        ("target_domain", "sociale-zaken"),
        ("requester_domain", "burgerzaken"),
        ("exp", claims["exp"] + 10),
        ("subject_hash", b64url(bytes(32))),
    ]:
        changed = b64url(json.dumps({**claims, name: value}).encode())
        with pytest.raises(BadSignature):
            link_grants.verify(f"{header}.{changed}.{signature}", KEY.public_key(), NOW)


def test_other_tokens_signed_with_the_same_key_are_not_grants() -> None:
    access_token = TokenIssuer(KEY).issue("kcc-frontend", ["kcc"], ["agent"])
    receipt_like = sign_jws({"record_id": "consents/x"}, KEY, "stadskamer-consent-receipt+jwt")
    missing_claims = sign_jws({"iss": "stadskamer-consent"}, KEY, link_grants.LINK_GRANT_TYPE)
    for token in (access_token, receipt_like, missing_claims, "", "a.b", "a.b.c.d", "...", "é.é.é"):
        with pytest.raises(MalformedToken) as refused:
            link_grants.verify(token, KEY.public_key(), NOW)
        assert refused.value.reason == "LINK_GRANT_MALFORMED"


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "


@settings(max_examples=300)
@given(data=st.data())
def test_any_single_character_change_of_a_token_fails_verification(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(TOKEN) - 1), label="index")
    replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != TOKEN[index]))
    changed = TOKEN[:index] + replacement + TOKEN[index + 1 :]
    with pytest.raises(link_grants.SignedTokenError):
        link_grants.verify(changed, KEY.public_key(), NOW)


def _decoded(text: str) -> bytes | None:
    try:
        return from_b64url(text)
    except ValueError:
        return None


@given(data=st.binary(min_size=1, max_size=64), replacement=st.sampled_from(ALPHABET))
def test_base64url_is_read_back_only_in_its_canonical_form(data: bytes, replacement: str) -> None:
    text = b64url(data)
    assert from_b64url(text) == data
    if replacement != text[-1]:
        assert _decoded(text[:-1] + replacement) != data
