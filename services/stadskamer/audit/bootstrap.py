"""Wiring of the audit service: keys, register, peer channel, database, use cases, server.

The peer channel to the pseudonym service serves one purpose: fetching its published tag
keys (GetPublicKey, once) to verify the subjects' tags. The audit service converts nothing.
"""

from __future__ import annotations

import grpc

from stadskamer.api.audit.v1 import audit_pb2_grpc as pb_grpc
from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.adapters.database import MIGRATIONS, SERVICE, audit_engine
from stadskamer.audit.adapters.log_writer import LogWriter
from stadskamer.audit.adapters.record_queries import RecordQueries
from stadskamer.audit.adapters.tree_reader import TreeReader
from stadskamer.audit.entrypoint import SERVICE_NAME, VALIDATORS, ProcessingLogServicer
from stadskamer.audit.references import ReferenceKeys
from stadskamer.audit.service import ProcessingLogService
from stadskamer.audit.settings import AuditSettings
from stadskamer.audit.subjects import AUDIT_DOMAIN, AuditSubjects
from stadskamer.audit.tree_heads import TreeHeadSigner
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.db import migrate
from stadskamer.common.keys import read_ed25519_private_key
from stadskamer.common.peers import FileTokenSource, TokenSource, peer_channel
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError


def token_source(settings: AuditSettings) -> TokenSource:
    """The service's own token: given (embedded) or read from the mounted file."""
    if settings.service_token is not None:
        return settings.service_token
    if settings.service_token_file is None:
        raise ConfigurationError("STADSKAMER_SERVICE_TOKEN_FILE is required")
    return FileTokenSource(settings.service_token_file)


def load_domain_key(settings: AuditSettings) -> DomainKey:
    """The audit domain's key; ConfigurationError when the file holds another domain's."""
    key = DomainKey.from_file(settings.domain_key_file)
    if key.domain != AUDIT_DOMAIN:
        raise ConfigurationError(
            f"STADSKAMER_AUDIT_DOMAIN_KEY_FILE holds the key of {key.domain!r}, not of audit"
        )
    return key


def build_component(settings: AuditSettings) -> Component:
    """The audit service as a server component; migrates its database first."""
    register = ActivityRegister.load(settings.activities_file)
    signer = TreeHeadSigner(read_ed25519_private_key(settings.signing_key_file))
    key = load_domain_key(settings)
    channel = peer_channel(settings.pseudonyms_address, token_source(settings))
    engine = audit_engine(settings.database_url)
    migrate(engine, MIGRATIONS, SERVICE)
    service = ProcessingLogService(
        register,
        AuditSubjects(PseudonymClient(channel), key),
        ReferenceKeys(key.secret_key),
        LogWriter(engine, signer),
        TreeReader(engine),
        RecordQueries(engine),
        signer,
    )
    servicer = ProcessingLogServicer(service)

    def register_servicer(server: grpc.Server) -> None:
        pb_grpc.add_ProcessingLogServiceServicer_to_server(servicer, server)

    def close() -> None:
        channel.close()
        engine.dispose()

    return Component(
        name=SERVICE,
        service_names=[SERVICE_NAME],
        register=register_servicer,
        validators=VALIDATORS,
        close=close,
    )


def create_server(settings: AuditSettings) -> tuple[RunningServer, int]:
    """The audit service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migrate_database(settings: AuditSettings) -> None:
    """Run the migrations only (``stadskamer migrate``)."""
    engine = audit_engine(settings.database_url)
    try:
        migrate(engine, MIGRATIONS, SERVICE)
    finally:
        engine.dispose()
