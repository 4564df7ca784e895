"""Settings of the history fan-out, from environment variables.

| variable | default | meaning |
|---|---|---|
| STADSKAMER_PSEUDONYMS_ADDRESS | required | host:port of the pseudonym service |
| STADSKAMER_CONSENT_ADDRESS | required | host:port of the consent service |
| STADSKAMER_CONTACTS_ADDRESS | required | host:port of the contacts service |
| STADSKAMER_COMPLAINTS_ADDRESS | the contacts address | host:port of the complaints service |
| STADSKAMER_HISTORY_CONTACT_DOMAINS | four KCC-facing domains | domains whose contacts it shows |
| STADSKAMER_HISTORY_COMPLAINT_DOMAINS | `klachten` | domains whose complaints it shows |
| STADSKAMER_PEER_TLS_CA_FILE, _CERT_FILE, _KEY_FILE | none | mutual TLS to the services |

The peer TLS files are those of the REST gateway (:mod:`stadskamer.gateway.rest.settings`):
all or none; with them every channel presents the gateway's client certificate and trusts
only the CA. Plus the processing log (:mod:`stadskamer.common.processing_log_settings`) and
the server settings (:class:`stadskamer.common.server.ServerSettings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stadskamer.common import settings as env
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import ServerSettings, TlsFiles
from stadskamer.gateway.history.domain import ItemKind, Source

DEFAULT_CONTACT_DOMAINS = ("kcc", "burgerzaken", "sociale-zaken", "belastingen")
DEFAULT_COMPLAINT_DOMAINS = ("klachten",)
PEER_TLS_PREFIX = "STADSKAMER_PEER_TLS"


@dataclass(frozen=True)
class HistorySettings:
    """Everything the history fan-out needs to start."""

    server: ServerSettings
    pseudonyms_address: str
    consent_address: str
    contacts_address: str
    complaints_address: str
    processing_log: ProcessingLogSettings
    contact_domains: tuple[str, ...] = DEFAULT_CONTACT_DOMAINS
    complaint_domains: tuple[str, ...] = DEFAULT_COMPLAINT_DOMAINS
    peer_tls: TlsFiles | None = None

    def sources(self) -> list[Source]:
        """The domains consulted, each with the kind of signal its service holds."""
        both = set(self.contact_domains) & set(self.complaint_domains)
        if both:
            raise env.ConfigurationError(
                "a domain is both a contact and a complaint domain: " + ", ".join(sorted(both))
            )
        return [Source(d, ItemKind.CONTACT) for d in self.contact_domains] + [
            Source(d, ItemKind.COMPLAINT) for d in self.complaint_domains
        ]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> HistorySettings:
        """Read the settings; a missing required variable raises ConfigurationError."""
        contacts = env.text(environ, "STADSKAMER_CONTACTS_ADDRESS")
        return cls(
            server=ServerSettings.from_env(environ),
            pseudonyms_address=env.text(environ, "STADSKAMER_PSEUDONYMS_ADDRESS"),
            consent_address=env.text(environ, "STADSKAMER_CONSENT_ADDRESS"),
            contacts_address=contacts,
            complaints_address=env.text(environ, "STADSKAMER_COMPLAINTS_ADDRESS", contacts),
            processing_log=ProcessingLogSettings.from_env(environ, "history"),
            contact_domains=env.names(
                environ, "STADSKAMER_HISTORY_CONTACT_DOMAINS", DEFAULT_CONTACT_DOMAINS
            ),
            complaint_domains=env.names(
                environ, "STADSKAMER_HISTORY_COMPLAINT_DOMAINS", DEFAULT_COMPLAINT_DOMAINS
            ),
            peer_tls=TlsFiles.from_env(environ, PEER_TLS_PREFIX),
        )

    @classmethod
    def embedded(cls, server: ServerSettings, peer_address: str, data_dir: Path) -> HistorySettings:
        """The settings of ``stadskamer up``: every peer on the same server."""
        local = ProcessingLogSettings("history", local_dir=data_dir / "processing-log")
        return cls(server, peer_address, peer_address, peer_address, peer_address, local)
