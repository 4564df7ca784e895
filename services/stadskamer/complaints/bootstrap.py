"""Wiring of the complaints service: key, peers, database, outbox relay, use cases, server."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import grpc

from stadskamer.api.complaints.v1 import complaints_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.event_sinks import EventIds, grpc_relay
from stadskamer.common.keys import read_ed25519_public_key
from stadskamer.common.peers import FileTokenSource, TokenSource, peer_channel
from stadskamer.common.request_ids import RequestDigest, migration_attributes
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError
from stadskamer.complaints.adapters.events import ClosedComplaintSubjects, ProtoEventEncoder
from stadskamer.complaints.adapters.orm import outbox
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.domain import DOMAIN
from stadskamer.complaints.entrypoint import SERVICE_NAME, VALIDATORS, ComplaintsServicer
from stadskamer.complaints.lifecycle import LifecycleService
from stadskamer.complaints.queries import ComplaintQueries
from stadskamer.complaints.routing import RoutingTable
from stadskamer.complaints.service import Dependencies, FilingService
from stadskamer.complaints.settings import ComplaintsSettings
from stadskamer.complaints.texts import TextCipher
from stadskamer.complaints.workdays import local_date

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
SERVICE = "complaints"


def load_domain_key(settings: ComplaintsSettings) -> DomainKey:
    """The klachten key; ConfigurationError when the file holds another domain's key."""
    key = DomainKey.from_file(settings.domain_key_file)
    if key.domain != DOMAIN:
        raise ConfigurationError(
            f"STADSKAMER_COMPLAINTS_DOMAIN_KEY_FILE holds the key of {key.domain!r}, "
            f"not of {DOMAIN!r}"
        )
    return key


def token_source(settings: ComplaintsSettings) -> TokenSource:
    """The service's own token: given (embedded) or read from the mounted file."""
    if settings.service_token is not None:
        return settings.service_token
    if settings.service_token_file is None:
        raise ConfigurationError("STADSKAMER_SERVICE_TOKEN_FILE is required")
    return FileTokenSource(settings.service_token_file)


def build_component(settings: ComplaintsSettings) -> Component:
    """The complaints service as a server component; migrates, then starts the relay."""
    key = load_domain_key(settings)
    routing = RoutingTable.load(settings.routing_file)
    token = token_source(settings)
    request_digest = RequestDigest(key.secret_key)
    engine = make_engine(settings.database_url, SERVICE)
    migrate(engine, MIGRATIONS, SERVICE, migration_inputs(key))
    channel = peer_channel(settings.pseudonyms_address, token)
    pseudonyms = PseudonymClient(channel)  # the channel adds the service's token
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    ids = EventIds({DOMAIN: key.secret_key})
    subjects = ClosedComplaintSubjects(unit_of_work, pseudonyms)
    relay, sinks = grpc_relay(engine, outbox, settings.event_sinks, token, ids, prepare=subjects)
    deps = Dependencies(
        unit_of_work=unit_of_work,
        pseudonyms=pseudonyms,
        key=key,
        cipher=TextCipher(key.secret_key),
        processing_log=settings.processing_log.open(),
        events=ProtoEventEncoder(),
        deadlines=DeadlinePolicy(settings.callback_working_days),
        routing=routing,
        request_digest=request_digest,
        key_version=key.key_version,
        on_event=relay.wake,
        grant_key=(
            read_ed25519_public_key(settings.consent_public_key_file)
            if settings.consent_public_key_file is not None
            else None
        ),
    )
    servicer = ComplaintsServicer(
        FilingService(deps),
        LifecycleService(deps),
        ComplaintQueries(deps),
        today=lambda: local_date(deps.clock()),
    )

    def register(server: grpc.Server) -> None:
        pb_grpc.add_ComplaintsServiceServicer_to_server(servicer, server)

    def close() -> None:
        relay.stop()
        channel.close()
        for sink in sinks:
            sink.close()
        engine.dispose()

    relay.start()
    return Component(
        name=SERVICE,
        service_names=[SERVICE_NAME],
        register=register,
        validators=VALIDATORS,
        close=close,
    )


def create_server(settings: ComplaintsSettings) -> tuple[RunningServer, int]:
    """The complaints service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migration_inputs(key: DomainKey) -> dict[str, object]:
    """What the migrations need: the klachten secret key, to key and seal stored ids and to
    digest request ids."""
    return {
        **migration_attributes({DOMAIN: RequestDigest(key.secret_key)}),
        "secrets": {"domain_secret_key": key.secret_key},
    }


def migrate_database(settings: ComplaintsSettings) -> None:
    """Run the migrations only (``stadskamer migrate``), with the key they may need."""
    engine = make_engine(settings.database_url, SERVICE)
    try:
        migrate(engine, MIGRATIONS, SERVICE, migration_inputs(load_domain_key(settings)))
    finally:
        engine.dispose()
