"""Wiring of the pseudonym service: secrets, database, use cases, servicer, server."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import grpc

from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2_grpc as pb_grpc
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.keys import (
    read_ed25519_private_key,
    read_ed25519_public_key,
    read_secret,
)
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError
from stadskamer.pep import InvalidEncodingError, validate_scalar
from stadskamer.pseudonyms.domain import Secrets, Transcryptor
from stadskamer.pseudonyms.entrypoint import SERVICE_NAME, VALIDATORS, PseudonymServicer
from stadskamer.pseudonyms.issuance import Issuance
from stadskamer.pseudonyms.service import PseudonymService
from stadskamer.pseudonyms.settings import PseudonymSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def load_transcryptor(settings: PseudonymSettings) -> Transcryptor:
    """Read the secrets (refusing missing or world-readable files) and derive the factors."""
    master = read_secret(settings.master_secret_file)
    try:
        validate_scalar(master)
    except InvalidEncodingError:
        raise ConfigurationError(
            f"{settings.master_secret_file} does not hold a valid 32-byte scalar"
        ) from None
    secrets = Secrets(
        master_secret=master,
        pseudonymisation_secret=read_secret(settings.pseudonymisation_secret_file),
        rekey_secret=read_secret(settings.rekey_secret_file),
    )
    return Transcryptor(secrets, settings.domains, settings.key_version)


def build_component(settings: PseudonymSettings) -> Component:
    """The pseudonym service as a server component; migrates its database first."""
    transcryptor = load_transcryptor(settings)
    engine = make_engine(settings.database_url, "pseudonyms")
    migrate(engine, MIGRATIONS, "pseudonyms")
    grant_key = (
        read_ed25519_public_key(settings.consent_public_key_file)
        if settings.consent_public_key_file is not None
        else None
    )
    unit_of_work = partial(UnitOfWork, session_factory(engine))
    processing_log = settings.processing_log.open()
    service = PseudonymService(
        transcryptor,
        unit_of_work,
        processing_log,
        grant_key,
        workers=os.cpu_count() or 1,
        tag_key=read_ed25519_private_key(settings.tag_key_file),
    )
    issuance = Issuance(
        transcryptor.issue,
        lambda kind, ciphertext, audience: service.tag(kind, ciphertext, audience),
        [d.name for d in transcryptor.domains],
        unit_of_work,
        processing_log,
        service.now,
        settings.issuance_limits,
    )
    servicer = PseudonymServicer(service, issuance)

    def register(server: grpc.Server) -> None:
        pb_grpc.add_PseudonymServiceServicer_to_server(servicer, server)

    def close() -> None:
        service.close()
        engine.dispose()

    return Component(
        name="pseudonyms",
        service_names=[SERVICE_NAME],
        register=register,
        validators=VALIDATORS,
        close=close,
    )


def create_server(settings: PseudonymSettings) -> tuple[RunningServer, int]:
    """The pseudonym service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migrate_database(settings: PseudonymSettings) -> None:
    """Run the migrations only (``stadskamer migrate``)."""
    engine = make_engine(settings.database_url, "pseudonyms")
    try:
        migrate(engine, MIGRATIONS, "pseudonyms")
    finally:
        engine.dispose()
