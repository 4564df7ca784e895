"""Settings of the history fan-out, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_PSEUDONYMS_ADDRESS | required | host:port of the pseudonym service |
| STADSKAMER_CONSENT_ADDRESS | required | host:port of the consent service |
| STADSKAMER_CONTACTS_ADDRESS | required | host:port of the contacts service |
| STADSKAMER_HISTORY_CONTACT_DOMAINS | four KCC-facing domains | domains whose contacts it shows |

plus the processing log (:mod:`stadskamer.common.processing_log_settings`) and the server
settings (:class:`stadskamer.common.server.ServerSettings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings

DEFAULT_CONTACT_DOMAINS = ("kcc", "burgerzaken", "sociale-zaken", "belastingen")


@dataclass(frozen=True)
class HistorySettings:
    """Everything the history fan-out needs to start."""

    server: ServerSettings
    pseudonyms_address: str
    consent_address: str
    contacts_address: str
    processing_log: ProcessingLogSettings
    contact_domains: tuple[str, ...] = DEFAULT_CONTACT_DOMAINS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> HistorySettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        return cls(
            server=ServerSettings.from_env(environ),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            consent_address=env.text(environ, "STADSKAMER_CONSENT_ADDRESS"),
            contacts_address=env.text(environ, "STADSKAMER_CONTACTS_ADDRESS"),
            processing_log=ProcessingLogSettings.from_env(environ, "history"),
            contact_domains=env.names(
                environ, "STADSKAMER_HISTORY_CONTACT_DOMAINS", DEFAULT_CONTACT_DOMAINS
            ),
        )

    @classmethod
    def embedded(cls, server: ServerSettings, peer_address: str, data_dir: Path) -> HistorySettings:
        """The settings of ``stadskamer up``: every peer on the same server."""
        local = ProcessingLogSettings("history", local_dir=data_dir / "processing-log")
        return cls(server, peer_address, peer_address, peer_address, local)
