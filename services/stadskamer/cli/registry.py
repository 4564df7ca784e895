"""The services ``stadskamer up`` runs together and ``stadskamer serve`` runs alone."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stadskamer.audit import bootstrap as audit
from stadskamer.audit.settings import AuditSettings
from stadskamer.cli.keys_commands import export_domain_key
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.db import sqlite_url
from stadskamer.common.keys import KeyLayout
from stadskamer.common.peers import IssuedTokenSource, TokenSource
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import Component, ServerSettings
from stadskamer.complaints import bootstrap as complaints
from stadskamer.complaints.settings import ComplaintsSettings
from stadskamer.consent import bootstrap as consent
from stadskamer.consent.settings import ConsentSettings
from stadskamer.contacts import bootstrap as contacts
from stadskamer.contacts.settings import ContactsSettings
from stadskamer.gateway import bootstrap as gateway
from stadskamer.gateway.bootstrap import GatewaySettings
from stadskamer.gateway.history.settings import HistorySettings
from stadskamer.pseudonyms import bootstrap as pseudonyms
from stadskamer.pseudonyms.settings import PseudonymSettings
from stadskamer.surveys import bootstrap as surveys
from stadskamer.surveys.settings import SurveysSettings


@dataclass(frozen=True)
class EmbeddedContext:
    """What the services of ``stadskamer up`` share: folder, server, port, token issuer."""

    data_dir: Path
    server: ServerSettings
    port: int
    issuer: TokenIssuer

    @property
    def peer_address(self) -> str:
        """Where the in-process services reach each other (through their gRPC contracts)."""
        return f"127.0.0.1:{self.port}"

    def database_url(self, service: str) -> str:
        """The SQLite file of a service."""
        return sqlite_url(self.data_dir, service)

    def service_token(self, service: str, domains: list[str]) -> TokenSource:
        """A renewing token for a service of ``domains`` (role ``service``)."""
        return IssuedTokenSource(self.issuer, f"{service}-service", domains, ["service"])

    def processing_log(self, service: str) -> ProcessingLogSettings:
        """The in-process audit service as the processing log of ``service``."""
        token = IssuedTokenSource(self.issuer, f"{service}-service", ["audit"], ["service"])
        return ProcessingLogSettings.remote(service, self.peer_address, token)

    def domain_key_file(self, domain: str) -> Path:
        """The exported key file of a domain, written on first use (as a mounted secret)."""
        layout = KeyLayout.under(self.data_dir)
        path = layout.domain_key(domain)
        return path if path.exists() else export_domain_key(layout, domain)


@dataclass(frozen=True)
class ServiceEntry:
    """How to configure, build and migrate one service."""

    name: str
    from_env: Callable[[Mapping[str, str]], Any]
    embedded: Callable[[EmbeddedContext], Any]
    build_component: Callable[[Any], Component]
    migrate: Callable[[Any], None]


def _audited(ctx: EmbeddedContext, service: str, settings: Any) -> Any:
    """The embedded settings with the in-process audit service as processing log."""
    return replace(settings, processing_log=ctx.processing_log(service))


SERVICES: dict[str, ServiceEntry] = {
    "pseudonyms": ServiceEntry(
        name="pseudonyms",
        from_env=PseudonymSettings.from_env,
        embedded=lambda ctx: _audited(
            ctx,
            "pseudonyms",
            PseudonymSettings.embedded(ctx.server, ctx.data_dir, ctx.database_url("pseudonyms")),
        ),
        build_component=pseudonyms.build_component,
        migrate=pseudonyms.migrate_database,
    ),
    "contacts": ServiceEntry(
        name="contacts",
        from_env=ContactsSettings.from_env,
        embedded=lambda ctx: _audited(
            ctx,
            "contacts",
            ContactsSettings.embedded(
                ctx.server,
                ctx.database_url("contacts"),
                ctx.peer_address,
                lambda domains: ctx.service_token("contacts", domains),
                ctx.domain_key_file,
                KeyLayout.under(ctx.data_dir).consent_public_key,
                # New contacts go to the surveys service's EventSinkService on this port.
                event_sinks=(ctx.peer_address,),
            ),
        ),
        build_component=contacts.build_component,
        migrate=contacts.migrate_database,
    ),
    "consent": ServiceEntry(
        name="consent",
        from_env=ConsentSettings.from_env,
        embedded=lambda ctx: _audited(
            ctx,
            "consent",
            ConsentSettings.embedded(
                ctx.server,
                ctx.data_dir,
                ctx.database_url("consent"),
                ctx.peer_address,
                ctx.service_token("consent", ["consent"]),
                ctx.domain_key_file("consent"),
            ),
        ),
        build_component=consent.build_component,
        migrate=consent.migrate_database,
    ),
    "complaints": ServiceEntry(
        name="complaints",
        from_env=ComplaintsSettings.from_env,
        embedded=lambda ctx: _audited(
            ctx,
            "complaints",
            ComplaintsSettings.embedded(
                ctx.server,
                ctx.data_dir,
                ctx.database_url("complaints"),
                ctx.peer_address,
                ctx.service_token("complaints", ["klachten"]),
                ctx.domain_key_file("klachten"),
                # Closed complaints go to the surveys service's EventSinkService on this port.
                event_sinks=(ctx.peer_address,),
                consent_public_key_file=KeyLayout.under(ctx.data_dir).consent_public_key,
            ),
        ),
        build_component=complaints.build_component,
        migrate=complaints.migrate_database,
    ),
    "surveys": ServiceEntry(
        name="surveys",
        from_env=SurveysSettings.from_env,
        embedded=lambda ctx: _audited(
            ctx,
            "surveys",
            SurveysSettings.embedded(
                ctx.server,
                ctx.data_dir,
                ctx.database_url("surveys"),
                ctx.peer_address,
                ctx.service_token("surveys", ["onderzoek"]),
                ctx.domain_key_file("onderzoek"),
            ),
        ),
        build_component=surveys.build_component,
        migrate=surveys.migrate_database,
    ),
    "audit": ServiceEntry(
        name="audit",
        from_env=AuditSettings.from_env,
        embedded=lambda ctx: AuditSettings.embedded(
            ctx.server,
            ctx.data_dir,
            ctx.database_url("audit"),
            ctx.peer_address,
            ctx.service_token("audit", ["audit"]),
            ctx.domain_key_file("audit"),
            os.environ,
        ),
        build_component=audit.build_component,
        migrate=audit.migrate_database,
    ),
    "gateway": ServiceEntry(
        name="gateway",
        from_env=GatewaySettings.from_env,
        embedded=lambda ctx: GatewaySettings.embedded(
            _audited(
                ctx,
                "history",
                HistorySettings.embedded(ctx.server, ctx.peer_address, ctx.data_dir),
            )
        ),
        build_component=gateway.build_component,
        migrate=lambda _settings: None,
    ),
}
