"""Settings of the consent service, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_CONSENT_DATABASE_URL | required | SQLAlchemy URL of this service's database |
| STADSKAMER_PSEUDONYMS_ADDRESS | required | host:port of the pseudonym service |
| STADSKAMER_SERVICE_TOKEN_FILE | required | token of domain ``consent``, role ``service`` |
| STADSKAMER_CONSENT_DOMAIN_KEY_FILE | required | the ``consent`` domain key file |
| STADSKAMER_CONSENT_SIGNING_KEY_FILE | required | Ed25519 PEM key for receipts and grants |
| STADSKAMER_AUDIT_ADDRESS or STADSKAMER_PROCESSING_LOG_DIR | one required | the processing log |
| STADSKAMER_CONSENT_PURPOSES_FILE | the packaged ``purposes.toml`` | the purpose catalogue |
| STADSKAMER_CONSENT_POLICY_FILE | the packaged ``policy.toml`` | the linking policy |
| STADSKAMER_CONSENT_CONTROLLER | Gemeente Stadskamer | the controller named in receipts |
| STADSKAMER_LINK_GRANT_TTL_SECONDS | 30 | lifetime of a link grant, 1 to 60 |

plus the server settings of :class:`stadskamer.common.server.ServerSettings`. In
``stadskamer up`` the key files live under the data folder and the catalogue and policy
variables still apply.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.keys import KeyLayout
from stadskamer.common.link_grants import MAX_LIFETIME
from stadskamer.common.peers import FileTokenSource, TokenSource
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.consent.catalogue import DEFAULT_PURPOSES_FILE
from stadskamer.consent.policy import DEFAULT_POLICY_FILE
from stadskamer.consent.receipts import DEFAULT_CONTROLLER


def utc_now() -> datetime:
    """The system clock in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConsentSettings:
    """Everything the consent service needs to start.

    ``service_token`` (a token source) is used when given, else ``service_token_file``.
    ``clock`` is the service's notion of now (tests replace it to move through time).
    """

    server: ServerSettings
    database_url: str
    pseudonyms_address: str
    domain_key_file: Path
    signing_key_file: Path
    processing_log: ProcessingLogSettings
    service_token_file: Path | None = None
    service_token: TokenSource | None = None
    purposes_file: Path = DEFAULT_PURPOSES_FILE
    policy_file: Path = DEFAULT_POLICY_FILE
    controller: str = DEFAULT_CONTROLLER
    link_grant_ttl_seconds: int = 30
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        if not 0 < self.link_grant_ttl_seconds <= MAX_LIFETIME.total_seconds():
            raise env.ConfigurationError("STADSKAMER_LINK_GRANT_TTL_SECONDS must be 1 to 60")

    def token_source(self) -> TokenSource:
        """The token this service presents to the pseudonym service."""
        if self.service_token is not None:
            return self.service_token
        if self.service_token_file is None:
            raise env.ConfigurationError("STADSKAMER_SERVICE_TOKEN_FILE is required")
        return FileTokenSource(self.service_token_file)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ConsentSettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_CONSENT_DATABASE_URL"),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            domain_key_file=env.path(environ, "STADSKAMER_CONSENT_DOMAIN_KEY_FILE"),
            signing_key_file=env.path(environ, "STADSKAMER_CONSENT_SIGNING_KEY_FILE"),
            processing_log=ProcessingLogSettings.from_env(environ, "consent"),
            service_token_file=env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE"),
            link_grant_ttl_seconds=env.integer(environ, "STADSKAMER_LINK_GRANT_TTL_SECONDS", 30),
            purposes_file=_purposes_file(environ),
            policy_file=_policy_file(environ),
            controller=_controller(environ),
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
        environ: Mapping[str, str] | None = None,
    ) -> ConsentSettings:
        """The settings of ``stadskamer up``: keys and processing log under the data folder."""
        environ = os.environ if environ is None else environ
        return cls(
            server=server,
            database_url=database_url,
            pseudonyms_address=pseudonyms_address,
            domain_key_file=domain_key_file,
            signing_key_file=KeyLayout.under(data_dir).consent_private_key,
            processing_log=ProcessingLogSettings("consent", local_dir=data_dir / "processing-log"),
            service_token=service_token,
            purposes_file=_purposes_file(environ),
            policy_file=_policy_file(environ),
            controller=_controller(environ),
        )


def _purposes_file(environ: Mapping[str, str]) -> Path:
    return env.path(environ, "STADSKAMER_CONSENT_PURPOSES_FILE", DEFAULT_PURPOSES_FILE)


def _policy_file(environ: Mapping[str, str]) -> Path:
    return env.path(environ, "STADSKAMER_CONSENT_POLICY_FILE", DEFAULT_POLICY_FILE)


def _controller(environ: Mapping[str, str]) -> str:
    return env.text(environ, "STADSKAMER_CONSENT_CONTROLLER", DEFAULT_CONTROLLER)
