"""Settings of the REST/JSON gateway, from environment variables.

- ``STADSKAMER_HTTP_HOST`` / ``STADSKAMER_HTTP_PORT`` (``127.0.0.1`` / ``8080``): where the
  HTTP server listens.
- ``STADSKAMER_PSEUDONYMS_ADDRESS``, ``STADSKAMER_CONSENT_ADDRESS``,
  ``STADSKAMER_CONTACTS_ADDRESS`` (required, as for the history fan-out);
  ``STADSKAMER_COMPLAINTS_ADDRESS``, ``STADSKAMER_AUDIT_ADDRESS``,
  ``STADSKAMER_SURVEYS_ADDRESS`` (default: the contacts address); ``STADSKAMER_HISTORY_ADDRESS``
  (default: this process's own gRPC server): host:port of the services.
- ``STADSKAMER_AUDIT_PUBLIC_KEY_FILE`` (none): the key that verifies signed tree heads; without
  it the log verification route answers 409.
- ``STADSKAMER_HTTP_MAX_BODY_BYTES`` (65536): larger bodies get 413.
- ``STADSKAMER_HTTP_RATE_PER_SECOND`` / ``STADSKAMER_HTTP_RATE_BURST`` (20 / 60): the token
  bucket per bearer token (429 with Retry-After).
- ``STADSKAMER_HTTP_TIMEOUT_SECONDS`` (10): time for one request, service calls included (504).
- ``STADSKAMER_PEER_TLS_CA_FILE``, ``STADSKAMER_PEER_TLS_CERT_FILE``,
  ``STADSKAMER_PEER_TLS_KEY_FILE`` (all or none): mutual TLS to the services.

Tokens are verified as by every service (``STADSKAMER_TOKEN_PUBLIC_KEY_FILE`` and/or
``STADSKAMER_TOKEN_JWKS_FILE`` with ``STADSKAMER_TOKEN_ISSUERS``), so the gateway accepts the
deployment's own tokens and those of an OpenID Connect provider whose JWKS file is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.auth import TokenVerifier
from stadskamer.common.keys import KeyLayout
from stadskamer.common.server import ServerSettings, TlsFiles


@dataclass(frozen=True)
class Peers:
    """host:port of every service the REST routes call."""

    pseudonyms: str
    consent: str
    contacts: str
    complaints: str
    audit: str
    surveys: str
    history: str

    @classmethod
    def all_at(cls, address: str) -> Peers:
        """Every service at one address (``stadskamer up``)."""
        return cls(address, address, address, address, address, address, address)


@dataclass(frozen=True)
class Limits:
    """Request size, rate per token and time per request."""

    max_body_bytes: int = 64 * 1024
    rate_per_second: float = 20.0
    rate_burst: int = 60
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class RestSettings:
    """Everything the HTTP gateway needs to start."""

    host: str
    port: int
    peers: Peers
    token_public_key_file: Path | None
    token_jwks_file: Path | None = None
    token_issuers: frozenset[str] = field(default_factory=lambda: frozenset({"stadskamer-local"}))
    audit_public_key_file: Path | None = None
    limits: Limits = Limits()
    peer_tls: TlsFiles | None = None

    def verifier(self) -> TokenVerifier:
        """The token verifier (the services' own rules)."""
        return TokenVerifier.from_files(
            self.token_public_key_file, self.token_jwks_file, self.token_issuers
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str], server: ServerSettings) -> RestSettings:
        """Read the settings; the history address defaults to this process's gRPC server."""
        contacts = env.text(environ, "STADSKAMER_CONTACTS_ADDRESS")
        local = "127.0.0.1" if server.host in {"0.0.0.0", "::", ""} else server.host  # noqa: S104
        peers = Peers(
            pseudonyms=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            consent=env.text(environ, "STADSKAMER_CONSENT_ADDRESS"),
            contacts=contacts,
            complaints=env.text(environ, "STADSKAMER_COMPLAINTS_ADDRESS", contacts),
            audit=env.text(environ, "STADSKAMER_AUDIT_ADDRESS", contacts),
            surveys=env.text(environ, "STADSKAMER_SURVEYS_ADDRESS", contacts),
            history=env.text(environ, "STADSKAMER_HISTORY_ADDRESS", f"{local}:{server.port}"),
        )
        limits = Limits(
            max_body_bytes=env.integer(environ, "STADSKAMER_HTTP_MAX_BODY_BYTES", 64 * 1024),
            rate_per_second=float(env.integer(environ, "STADSKAMER_HTTP_RATE_PER_SECOND", 20)),
            rate_burst=env.integer(environ, "STADSKAMER_HTTP_RATE_BURST", 60),
            timeout_seconds=float(env.integer(environ, "STADSKAMER_HTTP_TIMEOUT_SECONDS", 10)),
        )
        return cls(
            host=env.text(environ, "STADSKAMER_HTTP_HOST", "127.0.0.1"),
            port=env.integer(environ, "STADSKAMER_HTTP_PORT", 8080),
            peers=peers,
            token_public_key_file=server.token_public_key_file,
            token_jwks_file=server.token_jwks_file,
            token_issuers=server.token_issuers,
            audit_public_key_file=env.optional_path(environ, "STADSKAMER_AUDIT_PUBLIC_KEY_FILE"),
            limits=limits,
            peer_tls=TlsFiles.from_env(environ, "STADSKAMER_PEER_TLS"),
        )

    @classmethod
    def embedded(
        cls, data_dir: Path, host: str, port: int, peer_address: str, limits: Limits = Limits()
    ) -> RestSettings:
        """The gateway of ``stadskamer up``: every service at ``peer_address``, own keys."""
        layout = KeyLayout.under(data_dir)
        return cls(
            host=host,
            port=port,
            peers=Peers.all_at(peer_address),
            token_public_key_file=layout.token_public_key,
            audit_public_key_file=layout.audit_public_key,
            limits=limits,
        )
