"""Wiring of the consent service: configuration, keys, database, peers, use cases, server."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import grpc

from stadskamer.api.consent.v1 import consent_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.keys import read_ed25519_private_key
from stadskamer.common.peers import peer_channel
from stadskamer.common.request_ids import RequestDigest, migration_attributes
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError
from stadskamer.consent.access import AccessService
from stadskamer.consent.catalogue import load_catalogue
from stadskamer.consent.entrypoint import (
    PUBLIC_METHODS,
    SERVICE_NAME,
    VALIDATORS,
    ConsentServicer,
)
from stadskamer.consent.policy import load_policy
from stadskamer.consent.receipts import ReceiptSigner
from stadskamer.consent.service import Collaborators, ConsentService
from stadskamer.consent.settings import ConsentSettings
from stadskamer.consent.subjects import Subjects

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
DOMAIN = "consent"


def _domain_key(path: Path) -> DomainKey:
    key = DomainKey.from_file(path)
    if key.domain != DOMAIN:
        raise ConfigurationError(f"{path} is the key of domain {key.domain!r}, not {DOMAIN!r}")
    return key


def build_component(settings: ConsentSettings) -> Component:
    """The consent service as a server component; migrates its database first."""
    catalogue = load_catalogue(settings.purposes_file)
    policy = load_policy(catalogue, settings.policy_file)
    signing_key = read_ed25519_private_key(settings.signing_key_file)
    domain_key = _domain_key(settings.domain_key_file)
    request_digest = RequestDigest(domain_key.secret_key)
    engine = make_engine(settings.database_url, "consent")
    migrate(
        engine,
        MIGRATIONS,
        "consent",
        {
            **migration_attributes({DOMAIN: request_digest}),
            "secrets": {"signing_key": signing_key},
        },
    )
    channel = peer_channel(settings.pseudonyms_address, settings.token_source())
    parts = Collaborators(
        catalogue=catalogue,
        subjects=Subjects(PseudonymClient(channel), domain_key, settings.clock),
        unit_of_work=partial(UnitOfWork, session_factory(engine)),
        receipts=ReceiptSigner(signing_key, settings.controller),
        processing_log=settings.processing_log.open(),
        clock=settings.clock,
        request_digest=request_digest,
    )
    lifetime = timedelta(seconds=settings.link_grant_ttl_seconds)
    servicer = ConsentServicer(
        ConsentService(parts), AccessService(parts, policy, signing_key, lifetime)
    )

    def register(server: grpc.Server) -> None:
        pb_grpc.add_ConsentServiceServicer_to_server(servicer, server)

    def close() -> None:
        channel.close()
        engine.dispose()

    return Component(
        name="consent",
        service_names=[SERVICE_NAME],
        register=register,
        validators=VALIDATORS,
        public_methods=PUBLIC_METHODS,
        close=close,
    )


def create_server(settings: ConsentSettings) -> tuple[RunningServer, int]:
    """The consent service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migrate_database(settings: ConsentSettings) -> None:
    """Run the migrations only (``stadskamer migrate``), with the keys they may need: the
    domain key digests request ids, the signing key re-signs receipts."""
    key = _domain_key(settings.domain_key_file)
    signing_key = read_ed25519_private_key(settings.signing_key_file)
    attributes = {
        **migration_attributes({DOMAIN: RequestDigest(key.secret_key)}),
        "secrets": {"signing_key": signing_key},
    }
    engine = make_engine(settings.database_url, "consent")
    try:
        migrate(engine, MIGRATIONS, "consent", attributes)
    finally:
        engine.dispose()
