"""Access tokens: EdDSA (Ed25519) JWTs naming the caller, its domains and its roles.

The deployment signs its own tokens (``stadskamer token issue``); production may instead trust
an external issuer through a JWKS file. A verified token becomes a :class:`Principal`, which the
auth interceptor puts in a context variable for the service layer to check.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadskamer.common.errors import PermissionDenied, Unauthenticated
from stadskamer.common.keys import read_private
from stadskamer.common.settings import ConfigurationError

AUDIENCE = "stadskamer"
DEFAULT_ISSUER = "stadskamer-local"
VERIFIED_CACHE_SIZE = 10_000
KNOWN_ROLES = frozenset(
    {"agent", "coordinator", "analyst", "privacy-officer", "system", "service", "issuer"}
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, organisational domains and roles."""

    subject: str
    domains: frozenset[str]
    roles: frozenset[str]
    token_id: str = ""

    def require_domain(self, domain: str) -> None:
        """Raise PERMISSION_DENIED unless the caller acts for ``domain``."""
        if domain not in self.domains:
            raise PermissionDenied(
                f"the caller may not act for domain {domain!r}",
                "DOMAIN_NOT_IN_TOKEN",
                {"domain": domain},
            )

    def require_role(self, *roles: str) -> None:
        """Raise PERMISSION_DENIED unless the caller has one of ``roles``."""
        if not self.roles.intersection(roles):
            raise PermissionDenied(
                f"this needs one of the roles {', '.join(sorted(roles))}",
                "ROLE_MISSING",
                {"roles": ",".join(sorted(roles))},
            )


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "stadskamer_principal", default=None
)
_current_token: contextvars.ContextVar[str] = contextvars.ContextVar(
    "stadskamer_bearer_token", default=""
)


def current_principal() -> Principal:
    """The principal of the RPC being served; UNAUTHENTICATED when there is none."""
    principal = _current.get()
    if principal is None:
        raise Unauthenticated("no caller identity", "NO_PRINCIPAL")
    return principal


def current_bearer_token() -> str:
    """The verified bearer token of the RPC being served, to carry the caller's identity on.

    Only the edge (the gateway) forwards it; services call their peers with their own token.
    """
    token = _current_token.get()
    if not token:
        raise Unauthenticated("no caller identity", "NO_PRINCIPAL")
    return token


@contextmanager
def acting_as(principal: Principal | None, bearer_token: str = "") -> Iterator[None]:
    """Set the current principal (and its verified token) for the duration of a block."""
    principal_mark = _current.set(principal)
    token_mark = _current_token.set(bearer_token)
    try:
        yield
    finally:
        _current_token.reset(token_mark)
        _current.reset(principal_mark)


class TokenIssuer:
    """Signs access tokens with the deployment's Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey, issuer: str = DEFAULT_ISSUER) -> None:
        self._key = private_key
        self._issuer = issuer
        self._key_id = key_id(private_key.public_key())

    @classmethod
    def from_file(cls, path: Path, issuer: str = DEFAULT_ISSUER) -> TokenIssuer:
        """Load the signing key from a private PEM file."""
        key = serialization.load_pem_private_key(read_private(path), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{path} is not an Ed25519 private key")
        return cls(key, issuer)

    def issue(
        self, subject: str, domains: list[str], roles: list[str], ttl_seconds: int = 3600
    ) -> str:
        """A signed token valid for ``ttl_seconds``."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "domains": sorted(set(domains)),
            "roles": sorted(set(roles)),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._key_id})


def key_id(public_key: Ed25519PublicKey) -> str:
    """A stable key id: the first 16 hex digits of the raw public key's SHA-256."""

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class TokenVerifier:
    """Verifies tokens against trusted Ed25519 public keys (own key and/or a JWKS file)."""

    def __init__(self, keys: dict[str, Ed25519PublicKey], issuers: frozenset[str]) -> None:
        if not keys:
            raise ConfigurationError("no token verification key configured")
        self._keys = keys
        self._issuers = issuers
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_files(
        cls,
        public_key_file: Path | None,
        jwks_file: Path | None = None,
        issuers: frozenset[str] = frozenset({DEFAULT_ISSUER}),
    ) -> TokenVerifier:
        """Trust the PEM public key and/or every OKP/Ed25519 key of a JWKS file."""
        keys: dict[str, Ed25519PublicKey] = {}
        if public_key_file is not None:
            try:
                loaded = serialization.load_pem_public_key(public_key_file.read_bytes())
            except (OSError, ValueError) as error:
                raise ConfigurationError(
                    f"cannot read token key {public_key_file}: {error}"
                ) from None
            if not isinstance(loaded, Ed25519PublicKey):
                raise ConfigurationError(f"{public_key_file} is not an Ed25519 public key")
            keys[key_id(loaded)] = loaded
        if jwks_file is not None:
            try:
                document = json.loads(jwks_file.read_text())
                for entry in document["keys"]:
                    jwk = jwt.PyJWK.from_dict(entry)
                    if isinstance(jwk.key, Ed25519PublicKey):
                        keys[entry.get("kid") or key_id(jwk.key)] = jwk.key
            except (OSError, ValueError, KeyError, jwt.PyJWKError) as error:
                raise ConfigurationError(f"cannot read JWKS {jwks_file}: {error}") from None
        return cls(keys, issuers)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; UNAUTHENTICATED for anything else.

        A verified token is remembered until it expires, so a caller that sends the same
        token on every call pays for one signature check, not one per call.
        """
        remembered = self._verified.get(token)
        if remembered is not None and time.time() < remembered[1]:
            return remembered[0]
        principal, expires = self._verify_signed(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(str(header.get("kid", "")))
            candidates = [key] if key is not None else list(self._keys.values())
            claims = None
            for candidate in candidates:
                try:
                    claims = jwt.decode(
                        token,
                        candidate,
                        algorithms=["EdDSA"],
                        audience=AUDIENCE,
                        options={"require": ["exp", "sub", "iss"]},
                    )
                    break
                except jwt.InvalidSignatureError:
                    continue
            if claims is None:
                raise Unauthenticated("the token signature is not valid", "TOKEN_INVALID")
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", "TOKEN_EXPIRED") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not valid", "TOKEN_INVALID") from None
        if claims["iss"] not in self._issuers:
            raise Unauthenticated("the token issuer is not trusted", "TOKEN_ISSUER_UNTRUSTED")
        principal = Principal(
            subject=str(claims["sub"]),
            domains=frozenset(str(d) for d in claims.get("domains", [])),
            roles=frozenset(str(r) for r in claims.get("roles", [])),
            token_id=str(claims.get("jti", "")),
        )
        return principal, float(claims["exp"])
