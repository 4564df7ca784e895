"""Settings of the audit service, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_AUDIT_DATABASE_URL | required | SQLAlchemy URL of the processing log's database |
| STADSKAMER_AUDIT_SIGNING_KEY_FILE | required | Ed25519 PEM key that signs tree heads |
| STADSKAMER_AUDIT_DOMAIN_KEY_FILE | required | the audit domain's key file (``keys export``) |
| STADSKAMER_PSEUDONYMS_ADDRESS | required | host:port of the pseudonym service (its tag keys) |
| STADSKAMER_SERVICE_TOKEN_FILE | required | this service's token (role service, domain audit) |
| STADSKAMER_AUDIT_ACTIVITIES_FILE | the packaged register | register of processing activities |

plus the server settings of :class:`stadskamer.common.server.ServerSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.audit.activities import ACTIVITIES_VARIABLE
from stadskamer.common import settings as env
from stadskamer.common.keys import KeyLayout
from stadskamer.common.peers import TokenSource
from stadskamer.common.server import ServerSettings


def activities_file(environ: Mapping[str, str]) -> Path | None:
    """The register named by ``STADSKAMER_AUDIT_ACTIVITIES_FILE``, or None (packaged)."""
    raw = environ.get(ACTIVITIES_VARIABLE, "").strip()
    return Path(raw) if raw else None


@dataclass(frozen=True)
class AuditSettings:
    """Everything the audit service needs to start."""

    server: ServerSettings
    database_url: str
    signing_key_file: Path
    domain_key_file: Path
    pseudonyms_address: str
    service_token_file: Path | None = None
    service_token: TokenSource | None = field(default=None, compare=False)
    activities_file: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AuditSettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_AUDIT_DATABASE_URL"),
            signing_key_file=env.path(environ, "STADSKAMER_AUDIT_SIGNING_KEY_FILE"),
            domain_key_file=env.path(environ, "STADSKAMER_AUDIT_DOMAIN_KEY_FILE"),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            service_token_file=env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE"),
            activities_file=activities_file(environ),
        )

    @classmethod
    def embedded(
        cls,
        server: ServerSettings,
        data_dir: Path,
        database_url: str,
        pseudonyms_address: str,
        service_token: TokenSource,
        domain_key_file: Path,
        environ: Mapping[str, str],
    ) -> AuditSettings:
        """The settings of ``stadskamer up``: keys under the data folder, peers on the server."""
        return cls(
            server=server,
            database_url=database_url,
            signing_key_file=KeyLayout.under(data_dir).audit_private_key,
            domain_key_file=domain_key_file,
            pseudonyms_address=pseudonyms_address,
            service_token=service_token,
            activities_file=activities_file(environ),
        )
