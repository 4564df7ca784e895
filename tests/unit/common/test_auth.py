"""Access tokens: issued, verified, and refused when expired, forged or for the wrong audience."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.common.auth import DEFAULT_ISSUER, Principal, TokenIssuer, TokenVerifier, key_id
from stadskamer.common.errors import PermissionDenied, Unauthenticated

KEY = Ed25519PrivateKey.generate()
ISSUER = TokenIssuer(KEY)
VERIFIER = TokenVerifier({key_id(KEY.public_key()): KEY.public_key()}, frozenset({DEFAULT_ISSUER}))


def test_a_valid_token_names_subject_domains_and_roles() -> None:
    principal = VERIFIER.verify(ISSUER.issue("kcc-frontend", ["kcc", "kcc"], ["agent"], 60))
    assert principal.subject == "kcc-frontend"
    assert principal.domains == frozenset({"kcc"})
    assert principal.roles == frozenset({"agent"})
    assert principal.token_id


def test_an_expired_token_is_refused() -> None:
    token = ISSUER.issue("x", ["kcc"], ["agent"], -5)
    with pytest.raises(Unauthenticated) as raised:
        VERIFIER.verify(token)
    assert raised.value.reason == "TOKEN_EXPIRED"


def test_a_token_signed_with_another_key_is_refused() -> None:
    forged = TokenIssuer(Ed25519PrivateKey.generate()).issue("x", ["kcc"], ["agent"], 60)
    with pytest.raises(Unauthenticated):
        VERIFIER.verify(forged)


def test_a_token_with_altered_claims_is_refused() -> None:
    header, payload, signature = ISSUER.issue("x", ["kcc"], ["agent"], 60).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["domains"] = ["kcc", "sociale-zaken"]
    altered = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(Unauthenticated):
        VERIFIER.verify(f"{header}.{altered}.{signature}")


def test_wrong_audience_issuer_and_algorithm_are_refused() -> None:
    now = int(time.time())
    base = {"sub": "x", "iss": DEFAULT_ISSUER, "aud": "stadskamer", "exp": now + 60}
    wrong_audience = jwt.encode({**base, "aud": "other"}, KEY, algorithm="EdDSA")
    wrong_issuer = jwt.encode({**base, "iss": "elsewhere"}, KEY, algorithm="EdDSA")
    unsigned = jwt.encode(base, None, algorithm="none")
    symmetric = jwt.encode(base, "secret-secret-secret-secret-secret!", algorithm="HS256")
    for token in (wrong_audience, wrong_issuer, unsigned, symmetric, "not-a-token", ""):
        with pytest.raises(Unauthenticated):
            VERIFIER.verify(token)


def test_principal_checks_domains_and_roles() -> None:
    principal = Principal("kcc-frontend", frozenset({"kcc"}), frozenset({"agent"}))
    principal.require_domain("kcc")
    principal.require_role("agent", "system")
    with pytest.raises(PermissionDenied):
        principal.require_domain("sociale-zaken")
    with pytest.raises(PermissionDenied):
        principal.require_role("privacy-officer")


def test_an_external_issuer_is_trusted_through_a_jwks_file(tmp_path: Path) -> None:
    external = Ed25519PrivateKey.generate()
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(external.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig"}]}))
    verifier = TokenVerifier.from_files(None, jwks, frozenset({"https://idp.example"}))
    now = int(time.time())
    claims = {
        "sub": "a.agent",
        "iss": "https://idp.example",
        "aud": "stadskamer",
        "exp": now + 60,
        "domains": ["kcc"],
        "roles": ["agent"],
    }
    token = jwt.encode(claims, external, algorithm="EdDSA", headers={"kid": "idp-1"})
    assert verifier.verify(token).subject == "a.agent"
    with pytest.raises(Unauthenticated):
        verifier.verify(ISSUER.issue("x", ["kcc"], ["agent"], 60))
