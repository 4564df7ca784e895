"""Wiring of the contacts service: keys, peers, database, outbox relay, use cases, server."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import grpc

from stadskamer.api.contacts.v1 import contacts_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.event_sinks import EventIds, grpc_relay
from stadskamer.common.keys import read_ed25519_public_key
from stadskamer.common.peers import FileTokenSource, TokenSource, peer_channel
from stadskamer.common.record_keeping import keep_records
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError
from stadskamer.contacts.adapters.events import ProtoContactEvents
from stadskamer.contacts.adapters.orm import outbox, record_outbox
from stadskamer.contacts.entrypoint import SERVICE_NAME, VALIDATORS, ContactsServicer
from stadskamer.contacts.granted import GrantedReads
from stadskamer.contacts.queries import ContactQueries
from stadskamer.contacts.request_ids import RequestKeys
from stadskamer.contacts.service import ContactsService, utc_now
from stadskamer.contacts.settings import ContactsSettings
from stadskamer.contacts.subjects import Subjects
from stadskamer.contacts.summaries import SummaryCipher

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def load_domain_keys(settings: ContactsSettings) -> dict[str, DomainKey]:
    """The key of every served domain, from the key files; ConfigurationError if one lacks."""
    keys = {key.domain: key for key in map(DomainKey.from_file, settings.domain_key_files)}
    missing = [d for d in settings.policy.domains if d not in keys]
    if missing:
        raise ConfigurationError(
            "STADSKAMER_CONTACTS_DOMAIN_KEY_FILES holds no key for " + ", ".join(missing)
        )
    versions = {keys[d].key_version for d in settings.policy.domains}
    if len(versions) != 1:
        raise ConfigurationError("the domain key files are of different key versions")
    return {d: keys[d] for d in settings.policy.domains}


def token_source(settings: ContactsSettings) -> TokenSource:
    """The service's own token: given (embedded) or read from the mounted file."""
    if settings.service_token is not None:
        return settings.service_token
    if settings.service_token_file is None:
        raise ConfigurationError("STADSKAMER_SERVICE_TOKEN_FILE is required")
    return FileTokenSource(settings.service_token_file)


def build_component(settings: ContactsSettings) -> Component:
    """The contacts service as a server component; migrates its database first."""
    keys = load_domain_keys(settings)
    token = token_source(settings)
    channel = peer_channel(settings.pseudonyms_address, token)
    pseudonyms = PseudonymClient(channel)  # the channel adds the service's token
    subjects = Subjects(pseudonyms, keys)
    secret_keys = {d: k.secret_key for d, k in keys.items()}
    cipher = SummaryCipher(secret_keys)
    request_keys = RequestKeys(secret_keys)
    engine = make_engine(settings.database_url, "contacts", durable=True)
    migrate(engine, MIGRATIONS, "contacts", request_keys.for_migrations())
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    key_version = next(iter(keys.values())).key_version
    guard = threading.Lock() if engine.dialect.name == "sqlite" else None
    kept = keep_records(settings.processing_log, engine, record_outbox, guard)
    ids = EventIds({d: k.secret_key for d, k in keys.items()})
    relay, sink_channels = grpc_relay(engine, outbox, settings.event_sinks, token, ids, guard)
    service = ContactsService(
        settings.policy,
        subjects,
        cipher,
        request_keys,
        unit_of_work,
        key_version,
        write_guard=guard,
        records=kept.keeper,
        # Events are written only for configured receivers: none queue up for nobody.
        events=ProtoContactEvents(pseudonyms) if settings.event_sinks else None,
        on_event=relay.wake,
    )
    grant_key = (
        read_ed25519_public_key(settings.consent_public_key_file)
        if settings.consent_public_key_file is not None
        else None
    )
    queries = ContactQueries(
        settings.policy,
        subjects,
        cipher,
        unit_of_work,
        granted=GrantedReads(
            grant_key, subjects, keys, unit_of_work, guard or nullcontext(), utc_now
        ),
        records=kept.keeper,
        write_guard=guard,
    )
    servicer = ContactsServicer(service, queries)

    def register(server: grpc.Server) -> None:
        pb_grpc.add_ContactsServiceServicer_to_server(servicer, server)

    def close() -> None:
        relay.stop()
        kept.close()
        channel.close()
        for sink in sink_channels:
            sink.close()
        engine.dispose()

    relay.start()
    kept.start()
    return Component(
        name="contacts",
        service_names=[SERVICE_NAME],
        register=register,
        validators=VALIDATORS,
        close=close,
    )


def create_server(settings: ContactsSettings) -> tuple[RunningServer, int]:
    """The contacts service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migrate_database(settings: ContactsSettings) -> None:
    """Run the migrations only (``stadskamer migrate``), with the domain keys they may need."""
    keys = load_domain_keys(settings)
    request_keys = RequestKeys({d: k.secret_key for d, k in keys.items()})
    engine = make_engine(settings.database_url, "contacts")
    try:
        migrate(engine, MIGRATIONS, "contacts", request_keys.for_migrations())
    finally:
        engine.dispose()
