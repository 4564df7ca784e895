"""Link grants: short-lived, signed permissions for one cross-domain conversion.

The consent service issues a grant after a positive consent or policy check; the pseudonym
service (and later other domain services) verifies it before linking a subject between two
domains. A grant is a compact JWS (EdDSA over Ed25519) with header
``{"alg": "EdDSA", "typ": "stadskamer-link-grant+jwt", "kid": <key id>}`` and the claims

| claim | meaning |
|---|---|
| ``iss`` | always ``stadskamer-consent`` |
| ``jti`` | the grant id (32 hex digits), for single use at the verifier |
| ``subject_hash`` | unpadded base64url of SHA-256 of the exact subject ciphertext bytes |
| ``requester_domain`` | the domain that receives the other domain's data |
| ``target_domain`` | the domain whose data is joined |
| ``purpose`` | the purpose id of the catalogue |
| ``basis`` | what allowed it: a consent name ``consents/…``, a policy rule id or ``own-domain`` |
| ``iat`` / ``exp`` | issue and expiry time, whole seconds since the epoch; ``exp - iat`` ≤ 60 |
| ``presenter`` | the token subject that asked for the grant and alone may present it |

For a tagged subject the grant is bound to the tag's message hash
(:meth:`stadskamer.pep.tags.TaggedPseudonym.use_key`), so ``subject_hash`` is SHA-256 of it.

Verification is strict: exactly three canonical base64url segments (so no two spellings of one
token verify), the ``typ`` header, an Ed25519 signature, every claim present and well-typed,
and ``iat ≤ now < exp``. Plain Python: no gRPC. The errors are ``PermissionDenied``
subclasses, so a servicer that lets them propagate answers PERMISSION_DENIED with their reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer.common.auth import key_id
from stadskamer.common.errors import PermissionDenied

LINK_GRANT_TYPE = "stadskamer-link-grant+jwt"
ISSUER = "stadskamer-consent"
MAX_LIFETIME = timedelta(seconds=60)
CLOCK_SKEW = timedelta(seconds=5)
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_GRANT_ID = re.compile(r"^[0-9a-f]{32}$")


class SignedTokenError(PermissionDenied):
    """A signed token (link grant or receipt) was refused; ``reason`` says why."""


class MalformedToken(SignedTokenError):
    """The token is not a well-formed compact JWS of the expected type and claims."""


class BadSignature(SignedTokenError):
    """The signature does not verify with the trusted public key."""


class ExpiredToken(SignedTokenError):
    """The token is outside its validity window."""


@dataclass(frozen=True)
class LinkGrant:
    """One permission to link one subject from ``target_domain`` into ``requester_domain``."""

    grant_id: str
    subject_hash: bytes
    requester_domain: str
    target_domain: str
    purpose: str
    basis: str
    issued_at: datetime
    expires_at: datetime
    presenter: str = ""

    @classmethod
    def create(
        cls,
        subject: bytes,
        requester_domain: str,
        target_domain: str,
        purpose: str,
        basis: str,
        now: datetime,
        lifetime: timedelta = timedelta(seconds=30),
        presenter: str = "",
    ) -> LinkGrant:
        """A new grant for the ciphertext ``subject``, valid from ``now`` (whole seconds)."""
        issued = datetime.fromtimestamp(int(now.timestamp()), UTC)
        return cls(
            grant_id=uuid.uuid4().hex,
            subject_hash=subject_hash(subject),
            requester_domain=requester_domain,
            target_domain=target_domain,
            purpose=purpose,
            basis=basis,
            issued_at=issued,
            expires_at=issued + lifetime,
            presenter=presenter,
        )

    def is_for(self, subject: bytes) -> bool:
        """Whether the grant was issued for exactly these subject ciphertext bytes."""
        return self.subject_hash == subject_hash(subject)


def subject_hash(subject: bytes) -> bytes:
    """SHA-256 of the exact subject ciphertext bytes (what a grant is bound to)."""
    return hashlib.sha256(subject).digest()


def b64url(data: bytes) -> str:
    """Unpadded base64url text of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Decode canonical unpadded base64url; ``ValueError`` for anything else."""
    if not _SEGMENT.match(text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def sign_jws(claims: dict[str, Any], private_key: Ed25519PrivateKey, token_type: str) -> str:
    """A compact EdDSA JWS of ``claims`` (sorted, compact JSON) with header ``typ``."""
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return jwt.api_jws.encode(
        payload,
        private_key,
        algorithm="EdDSA",
        headers={"typ": token_type, "kid": key_id(private_key.public_key())},
    )


def read_jws(
    token: str, public_key: Ed25519PublicKey, token_type: str, label: str
) -> dict[str, Any]:
    """The claims of a strictly valid compact JWS of ``token_type`` signed by ``public_key``.

    ``label`` (e.g. ``LINK_GRANT``) prefixes the error reasons. Validity in time is not
    checked here.
    """
    malformed = MalformedToken(f"the {_words(label)} is malformed", f"{label}_MALFORMED")
    parts = token.split(".")
    if len(parts) != 3:
        raise malformed
    try:
        header = json.loads(from_b64url(parts[0]))
        from_b64url(parts[1])
        from_b64url(parts[2])
    except ValueError:
        raise malformed from None
    if not isinstance(header, dict) or header.get("typ") != token_type:
        raise malformed
    try:
        decoded = jwt.api_jws.decode_complete(token, public_key, algorithms=["EdDSA"])
    except jwt.InvalidSignatureError:
        raise BadSignature(
            f"the {_words(label)} signature is not valid", f"{label}_SIGNATURE_INVALID"
        ) from None
    except jwt.PyJWTError:
        raise malformed from None
    try:
        claims = json.loads(decoded["payload"])
    except ValueError:
        raise malformed from None
    if not isinstance(claims, dict):
        raise malformed
    return claims


def issue(grant: LinkGrant, private_key: Ed25519PrivateKey) -> str:
    """Sign a grant. ``ValueError`` if its lifetime is not within (0, 60] seconds."""
    lifetime = grant.expires_at - grant.issued_at
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError("a link grant must expire within 60 seconds of its issue")
    claims = {
        "iss": ISSUER,
        "jti": grant.grant_id,
        "subject_hash": b64url(grant.subject_hash),
        "requester_domain": grant.requester_domain,
        "target_domain": grant.target_domain,
        "purpose": grant.purpose,
        "basis": grant.basis,
        "iat": int(grant.issued_at.timestamp()),
        "exp": int(grant.expires_at.timestamp()),
    }
    if grant.presenter:
        claims["presenter"] = grant.presenter
    return sign_jws(claims, private_key, LINK_GRANT_TYPE)


def verify(
    token: str, public_key: Ed25519PublicKey, now: datetime, clock_skew: timedelta = CLOCK_SKEW
) -> LinkGrant:
    """The grant in ``token`` if it is authentic and valid at ``now``.

    Valid means ``iat - clock_skew <= now < exp`` (the skew tolerates an issuer whose clock
    runs slightly ahead; expiry gets no tolerance).

    Raises :class:`MalformedToken` (reason ``LINK_GRANT_MALFORMED``), :class:`BadSignature`
    (``LINK_GRANT_SIGNATURE_INVALID``) or :class:`ExpiredToken` (``LINK_GRANT_EXPIRED``).
    """
    claims = read_jws(token, public_key, LINK_GRANT_TYPE, "LINK_GRANT")
    try:
        grant = _grant_from_claims(claims)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise MalformedToken("the link grant is malformed", "LINK_GRANT_MALFORMED") from None
    if not grant.issued_at - clock_skew <= now < grant.expires_at:
        raise ExpiredToken("the link grant has expired or is not yet valid", "LINK_GRANT_EXPIRED")
    return grant


def _grant_from_claims(claims: dict[str, Any]) -> LinkGrant:
    texts = ("jti", "subject_hash", "requester_domain", "target_domain", "purpose", "basis")
    if claims["iss"] != ISSUER or not all(isinstance(claims[n], str) for n in texts):
        raise ValueError("claims")
    times = (claims["iat"], claims["exp"])
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in times):
        raise ValueError("times")
    issued = datetime.fromtimestamp(claims["iat"], UTC)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    digest = from_b64url(claims["subject_hash"])
    presenter = claims.get("presenter", "")
    if not isinstance(presenter, str):
        raise ValueError("presenter")
    if not _GRANT_ID.match(claims["jti"]) or len(digest) != hashlib.sha256().digest_size:
        raise ValueError("identifiers")
    if not timedelta(0) < expires - issued <= MAX_LIFETIME:
        raise ValueError("lifetime")
    return LinkGrant(
        grant_id=claims["jti"],
        subject_hash=digest,
        requester_domain=claims["requester_domain"],
        target_domain=claims["target_domain"],
        purpose=claims["purpose"],
        basis=claims["basis"],
        issued_at=issued,
        expires_at=expires,
        presenter=presenter,
    )


def _words(label: str) -> str:
    return label.lower().replace("_", " ")
