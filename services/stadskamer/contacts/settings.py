"""Settings of the contacts service, from environment variables.

- ``STADSKAMER_CONTACTS_DATABASE_URL`` (required): SQLAlchemy URL of this service's database.
- ``STADSKAMER_PSEUDONYMS_ADDRESS`` (required): host:port of the pseudonym service.
- ``STADSKAMER_SERVICE_TOKEN_FILE`` (required): this service's access token (role ``service``,
  every served domain); re-read whenever the file changes.
- ``STADSKAMER_CONTACTS_DOMAIN_KEY_FILES`` (required): comma-separated exported domain key
  files (``stadskamer keys export``), one for each served domain.
- ``STADSKAMER_CONTACTS_DOMAINS`` (default ``kcc,burgerzaken,sociale-zaken,belastingen``):
  the domains whose contacts this service keeps.
- ``STADSKAMER_CONTACTS_REPEAT_WINDOWS`` (default 7 days for every domain): the repeat window
  per domain in whole days, e.g. ``kcc=7,burgerzaken=14``.
- ``STADSKAMER_CONTACTS_TOPICS`` (default: common municipal topics, see
  :data:`stadskamer.contacts.domain.DEFAULT_TOPICS`): the topic codes accepted.
- ``STADSKAMER_AUDIT_ADDRESS`` or ``STADSKAMER_PROCESSING_LOG_DIR`` (one required): where the
  processing records go (see :mod:`stadskamer.common.processing_log_settings`).
- ``STADSKAMER_CONSENT_PUBLIC_KEY_FILE`` (optional): the consent service's PEM public key;
  without it no link grant is honoured and other domains can never be read.
- ``STADSKAMER_CONTACTS_CLOCK_SKEW_SECONDS`` (default 300): how far in the future a contact's
  ``occurred_at`` may lie, because the callers' clocks differ a little.
- ``STADSKAMER_CONTACTS_EVENT_SINKS`` (default empty): comma-separated host:port of the
  EventSinkServices (the surveys service) that get a ``ContactRegistered`` event for every new
  contact. Events are kept in the outbox until every sink has them. With no sink, no events
  are written (a receiver added later is not sent a backlog of old contacts).

plus the server settings of :class:`stadskamer.common.server.ServerSettings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.peers import TokenSource
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings
from stadskamer.contacts.domain import DEFAULT_DOMAINS, DEFAULT_TOPICS, ContactPolicy


def parse_windows(raw: str, variable: str) -> dict[str, int]:
    """``kcc=7,burgerzaken=14`` as a dict; ConfigurationError naming ``variable`` otherwise."""
    windows: dict[str, int] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        domain, _, days = part.partition("=")
        if not domain.strip() or not days.strip().isdigit() or int(days) < 1:
            raise env.ConfigurationError(
                f"{variable} looks like kcc=7,burgerzaken=14 (whole days >= 1), got {part!r}"
            )
        windows[domain.strip()] = int(days)
    return windows


@dataclass(frozen=True)
class ContactsSettings:
    """Everything the contacts service needs to start."""

    server: ServerSettings
    database_url: str
    pseudonyms_address: str
    domain_key_files: tuple[Path, ...]
    service_token_file: Path | None = None
    service_token: TokenSource | None = field(default=None, compare=False)
    policy: ContactPolicy = field(default_factory=ContactPolicy)
    consent_public_key_file: Path | None = None
    processing_log: ProcessingLogSettings = field(
        default_factory=lambda: ProcessingLogSettings("contacts")
    )
    event_sinks: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ContactsSettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        domains = env.names(environ, "STADSKAMER_CONTACTS_DOMAINS", DEFAULT_DOMAINS)
        windows = parse_windows(
            environ.get("STADSKAMER_CONTACTS_REPEAT_WINDOWS", ""),
            "STADSKAMER_CONTACTS_REPEAT_WINDOWS",
        )
        skew = env.integer(environ, "STADSKAMER_CONTACTS_CLOCK_SKEW_SECONDS", 300)
        key_files = env.text(environ, "STADSKAMER_CONTACTS_DOMAIN_KEY_FILES").split(",")
        return cls(
            server=ServerSettings.from_env(environ),
            database_url=env.text(environ, "STADSKAMER_CONTACTS_DATABASE_URL"),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            domain_key_files=tuple(Path(p.strip()) for p in key_files if p.strip()),
            service_token_file=env.path(environ, "STADSKAMER_SERVICE_TOKEN_FILE"),
            consent_public_key_file=env.optional_path(
                environ, "STADSKAMER_CONSENT_PUBLIC_KEY_FILE"
            ),
            processing_log=ProcessingLogSettings.from_env(environ, "contacts"),
            event_sinks=env.names(environ, "STADSKAMER_CONTACTS_EVENT_SINKS", ()),
            policy=ContactPolicy(
                domains=domains,
                topics=frozenset(env.names(environ, "STADSKAMER_CONTACTS_TOPICS", DEFAULT_TOPICS)),
                windows=windows,
                clock_skew=timedelta(seconds=skew),
            ),
        )

    @classmethod
    def embedded(
        cls,
        server: ServerSettings,
        database_url: str,
        pseudonyms_address: str,
        service_token: Callable[[list[str]], TokenSource],
        domain_key_file: Callable[[str], Path],
        consent_public_key_file: Path | None = None,
        event_sinks: tuple[str, ...] = (),
    ) -> ContactsSettings:
        """The settings of ``stadskamer up``: the default policy, peers on the same server."""
        policy = ContactPolicy()
        return cls(
            server=server,
            database_url=database_url,
            pseudonyms_address=pseudonyms_address,
            domain_key_files=tuple(domain_key_file(d) for d in policy.domains),
            service_token=service_token(list(policy.domains)),
            policy=policy,
            consent_public_key_file=consent_public_key_file,
            event_sinks=event_sinks,
        )
