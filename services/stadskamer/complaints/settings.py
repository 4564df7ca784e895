"""Settings of the complaints service, from environment variables.

- ``STADSKAMER_COMPLAINTS_DATABASE_URL`` (required): SQLAlchemy URL of this service's database.
- ``STADSKAMER_PSEUDONYMS_ADDRESS`` (required): host:port of the pseudonym service.
- ``STADSKAMER_SERVICE_TOKEN_FILE`` (required): this service's access token (role ``service``,
  domain ``klachten``); re-read whenever the file changes.
- ``STADSKAMER_COMPLAINTS_DOMAIN_KEY_FILE`` (required): the exported ``klachten`` domain key
  (``stadskamer keys export --domain klachten``).
- ``STADSKAMER_AUDIT_ADDRESS`` or ``STADSKAMER_PROCESSING_LOG_DIR`` (one required): where the
  processing records go (see :mod:`stadskamer.common.processing_log_settings`).
- ``STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS`` (default 5): the call-back norm in working
  days, 1 to 60.
- ``STADSKAMER_COMPLAINTS_ROUTING_FILE`` (default: the packaged ``routing.json``): the routing
  table, see :mod:`stadskamer.complaints.routing`.
- ``STADSKAMER_COMPLAINTS_EVENT_SINKS`` (default empty): comma-separated host:port of the
  EventSinkService receivers of this service's events; with none, events stay pending in the
  outbox until a sink is configured.
- ``STADSKAMER_CONSENT_PUBLIC_KEY_FILE`` (optional): the consent service's PEM public key;
  without it no link grant is honoured, so no other domain (e.g. the KCC's history view, with
  the citizen's consent) can list a citizen's complaints.

plus the server settings of :class:`stadskamer.common.server.ServerSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.peers import TokenSource
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.complaints.deadlines import DEFAULT_CALLBACK_WORKING_DAYS, MAX_CALLBACK_WORKING_DAYS


@dataclass(frozen=True)
class ComplaintsSettings:
    """Everything the complaints service needs to start."""

    server: ServerSettings
    database_url: str
    pseudonyms_address: str
    domain_key_file: Path
    processing_log: ProcessingLogSettings
    service_token_file: Path | None = None
    service_token: TokenSource | None = field(default=None, compare=False)
    callback_working_days: int = DEFAULT_CALLBACK_WORKING_DAYS
    routing_file: Path | None = None
    event_sinks: tuple[str, ...] = ()
    consent_public_key_file: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ComplaintsSettings:
        """Read the settings; a missing or invalid variable raises ConfigurationError."""
        days = env.integer(
            environ, "STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS", DEFAULT_CALLBACK_WORKING_DAYS
        )
        if not 1 <= days <= MAX_CALLBACK_WORKING_DAYS:
            raise env.ConfigurationError(
                "STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS must be 1 to "
                f"{MAX_CALLBACK_WORKING_DAYS}, got {days}"
            )
        routing = environ.get("STADSKAMER_COMPLAINTS_ROUTING_FILE", "").strip()
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_COMPLAINTS_DATABASE_URL"),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            domain_key_file=env.path(environ, "STADSKAMER_COMPLAINTS_DOMAIN_KEY_FILE"),
            processing_log=ProcessingLogSettings.from_env(environ, "complaints"),
            service_token_file=env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE"),
            callback_working_days=days,
            routing_file=Path(routing) if routing else None,
            event_sinks=env.names(environ, "STADSKAMER_COMPLAINTS_EVENT_SINKS", ()),
            consent_public_key_file=env.optional_path(
                environ, "STADSKAMER_CONSENT_PUBLIC_KEY_FILE"
            ),
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
        event_sinks: tuple[str, ...] = (),
        consent_public_key_file: Path | None = None,
    ) -> ComplaintsSettings:
        """The settings of ``stadskamer up``: peers on the same server, files under data_dir.

        No event sink until the surveys service exists: closed-complaint events stay pending
        in the outbox and are delivered once a sink is configured.
        """
        return cls(
            server=server,
            database_url=database_url,
            pseudonyms_address=pseudonyms_address,
            domain_key_file=domain_key_file,
            processing_log=ProcessingLogSettings(
                "complaints", local_dir=data_dir / "processing-log"
            ),
            service_token=service_token,
            event_sinks=event_sinks,
            consent_public_key_file=consent_public_key_file,
        )
