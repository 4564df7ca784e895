"""Settings of the pseudonym service, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_PSEUDONYMS_DATABASE_URL | required | SQLAlchemy URL of this service's database |
| STADSKAMER_MASTER_SECRET_FILE | required | hex file with the master secret y |
| STADSKAMER_PSEUDONYMISATION_SECRET_FILE | required | hex file with PS |
| STADSKAMER_REKEY_SECRET_FILE | required | hex file with ES |
| STADSKAMER_DOMAINS | the default catalogue | comma-separated domain names |
| STADSKAMER_KEY_VERSION | v1 | version string of the factor derivation |
| STADSKAMER_CONSENT_PUBLIC_KEY_FILE | none | consent PEM key; without it no grant is honoured |
| STADSKAMER_TAG_KEY_FILE | required | Ed25519 PEM key that tags every pseudonym handed out |
| STADSKAMER_ISSUANCE_PER_HOUR | 600 | citizens one actor may have issued per hour |
| STADSKAMER_BULK_ISSUANCE_PER_HOUR | 200000 | the same for role ``system`` (importers) |

plus the processing log (:mod:`stadskamer.common.processing_log_settings`) and the server
settings (:class:`stadskamer.common.server.ServerSettings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.keys import KeyLayout
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.pseudonyms.domain import DEFAULT_DOMAINS
from stadskamer.pseudonyms.issuance import IssuanceLimits


@dataclass(frozen=True)
class PseudonymSettings:
    """Everything the pseudonym service needs to start."""

    server: ServerSettings
    database_url: str
    master_secret_file: Path
    pseudonymisation_secret_file: Path
    rekey_secret_file: Path
    processing_log: ProcessingLogSettings
    tag_key_file: Path
    consent_public_key_file: Path | None = None
    domains: tuple[str, ...] = DEFAULT_DOMAINS
    key_version: str = "v1"
    issuance_limits: IssuanceLimits = field(default_factory=IssuanceLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PseudonymSettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_PSEUDONYMS_DATABASE_URL"),
            master_secret_file=env.path(environ, "STADSKAMER_MASTER_SECRET_FILE"),
            pseudonymisation_secret_file=env.path(
                environ, "STADSKAMER_PSEUDONYMISATION_SECRET_FILE"
            ),
            rekey_secret_file=env.path(environ, "STADSKAMER_REKEY_SECRET_FILE"),
            processing_log=ProcessingLogSettings.from_env(environ, "pseudonyms"),
            consent_public_key_file=env.optional_path(
                environ, "STADSKAMER_CONSENT_PUBLIC_KEY_FILE"
            ),
            tag_key_file=env.path(environ, "STADSKAMER_TAG_KEY_FILE"),
            domains=env.names(environ, "STADSKAMER_DOMAINS", DEFAULT_DOMAINS),
            key_version=env.text(environ, "STADSKAMER_KEY_VERSION", "v1"),
            issuance_limits=IssuanceLimits(
                env.integer(environ, "STADSKAMER_ISSUANCE_PER_HOUR", 600),
                env.integer(environ, "STADSKAMER_BULK_ISSUANCE_PER_HOUR", 200_000),
            ),
        )

    @classmethod
    def embedded(
        cls, server: ServerSettings, data_dir: Path, database_url: str
    ) -> PseudonymSettings:
        """The settings of ``stadskamer up``: key files under the data folder."""
        layout = KeyLayout.under(data_dir)
        return cls(
            server=server,
            database_url=database_url,
            master_secret_file=layout.master_secret,
            pseudonymisation_secret_file=layout.pseudonymisation_secret,
            rekey_secret_file=layout.rekey_secret,
            processing_log=ProcessingLogSettings(
                "pseudonyms", local_dir=data_dir / "processing-log"
            ),
            tag_key_file=layout.tag_private_key,
            consent_public_key_file=layout.consent_public_key,
        )
