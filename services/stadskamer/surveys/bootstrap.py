"""Wiring of the surveys service: key, peers, database, delivery, use cases, servicers."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import grpc

from stadskamer.api.events.v1 import events_pb2_grpc as epb_grpc
from stadskamer.api.surveys.v1 import surveys_pb2_grpc as pb_grpc
from stadskamer.client import DomainKey, PseudonymClient
from stadskamer.common.db import UnitOfWork, make_engine, migrate, session_factory
from stadskamer.common.file_modes import private_folder
from stadskamer.common.peers import FileTokenSource, TokenSource, peer_channel
from stadskamer.common.request_ids import RequestDigest, migration_attributes
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.common.settings import ConfigurationError
from stadskamer.surveys.adapters.database import scrubber, secure_delete
from stadskamer.surveys.adapters.delivery import FileOutbox, SmtpDelivery
from stadskamer.surveys.adapters.peers import GrpcConsents
from stadskamer.surveys.answering import AnsweringService
from stadskamer.surveys.citizens import Citizens
from stadskamer.surveys.delivery import DeliveryService
from stadskamer.surveys.domain import CHANNEL_CODES, DOMAIN, InvitationRules, Sampler
from stadskamer.surveys.entrypoint import (
    PUBLIC_METHODS,
    SERVICE_NAME,
    SINK_NAME,
    VALIDATORS,
    EventSinkServicer,
    SurveysServicer,
    UseCases,
)
from stadskamer.surveys.intake import InvitationIntake
from stadskamer.surveys.opt_out import ObjectionService
from stadskamer.surveys.panel_service import PanelService
from stadskamer.surveys.ports import Delivery
from stadskamer.surveys.queries import SurveyQueries
from stadskamer.surveys.sealing import Keyring
from stadskamer.surveys.service import Dependencies
from stadskamer.surveys.settings import SurveysSettings
from stadskamer.surveys.worker import DeliveryWorker

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
SERVICE = "surveys"


def load_domain_key(settings: SurveysSettings) -> DomainKey:
    """The onderzoek key; ConfigurationError when the file holds another domain's key."""
    key = DomainKey.from_file(settings.domain_key_file)
    if key.domain != DOMAIN:
        raise ConfigurationError(
            f"STADSKAMER_SURVEYS_DOMAIN_KEY_FILE holds the key of {key.domain!r}, not of {DOMAIN!r}"
        )
    return key


def token_source(settings: SurveysSettings) -> TokenSource:
    """The service's own token: given (embedded) or read from the mounted file."""
    if settings.service_token is not None:
        return settings.service_token
    if settings.service_token_file is None:
        raise ConfigurationError("STADSKAMER_SERVICE_TOKEN_FILE is required")
    return FileTokenSource(settings.service_token_file)


def delivery(settings: SurveysSettings) -> Delivery:
    """The configured delivery adapter (a file outbox's folder made private at start)."""
    if settings.smtp is not None:
        smtp = settings.smtp
        return SmtpDelivery(
            smtp.host, smtp.port, smtp.sender, smtp.starttls, smtp.username, smtp.password
        )
    if settings.outbox_dir is None:
        raise ConfigurationError("STADSKAMER_SURVEYS_OUTBOX_DIR is required for file delivery")
    return FileOutbox(private_folder(settings.outbox_dir))


def rules(settings: SurveysSettings) -> InvitationRules:
    """The invitation rules of the settings."""
    rates = {CHANNEL_CODES[code]: rate for code, rate in settings.sampling_rates}
    return InvitationRules(settings.fatigue_days, rates, frozenset(settings.topics))


def use_cases(deps: Dependencies) -> UseCases:
    """Every use case over one set of dependencies."""
    deliveries = DeliveryService(deps)
    return UseCases(
        intake=InvitationIntake(deps, deliveries),
        deliveries=deliveries,
        answering=AnsweringService(deps),
        objections=ObjectionService(deps),
        panel=PanelService(deps),
        queries=SurveyQueries(deps),
        clock=deps.clock,
    )


def build_component(settings: SurveysSettings) -> Component:
    """The surveys service as a server component; migrates, then starts the delivery worker."""
    key = load_domain_key(settings)
    token = token_source(settings)
    keys = Keyring(key.secret_key)
    engine = make_engine(settings.database_url, SERVICE)
    secure_delete(engine)
    migrate(engine, MIGRATIONS, SERVICE, migration_inputs(key))
    pseudonyms = peer_channel(settings.pseudonyms_address, token)
    consent = peer_channel(settings.consent_address, token)
    consents = GrpcConsents(consent, DOMAIN)
    deps = Dependencies(
        unit_of_work=partial(UnitOfWork, session_factory(engine)),
        # The channel adds the service's token.
        citizens=Citizens(PseudonymClient(pseudonyms), consents, key),
        consents=consents,
        delivery=delivery(settings),
        keys=keys,
        processing_log=settings.processing_log.open(),
        scrubber=scrubber(engine),
        rules=rules(settings),
        sampler=Sampler(settings.sampling_seed or keys.sampling_seed),
        aspects=settings.aspects,
        districts=settings.districts,
        link_base=settings.link_base,
        token_days=settings.token_days,
        min_group_size=settings.min_group_size,
        panel_rest_days=settings.panel_rest_days,
    )
    cases = use_cases(deps)
    worker = DeliveryWorker(cases.deliveries.deliver_pending, settings.delivery_retry_seconds)
    surveys = SurveysServicer(cases)
    sink = EventSinkServicer(cases.intake)

    def register(server: grpc.Server) -> None:
        pb_grpc.add_SurveysServiceServicer_to_server(surveys, server)
        epb_grpc.add_EventSinkServiceServicer_to_server(sink, server)

    def close() -> None:
        worker.stop()
        pseudonyms.close()
        consent.close()
        engine.dispose()

    worker.start()
    return Component(
        name=SERVICE,
        service_names=[SERVICE_NAME, SINK_NAME],
        register=register,
        validators=VALIDATORS,
        public_methods=PUBLIC_METHODS,
        close=close,
    )


def create_server(settings: SurveysSettings) -> tuple[RunningServer, int]:
    """The surveys service alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port


def migration_inputs(key: DomainKey) -> dict[str, object]:
    """What the migrations need: the onderzoek secret key, to key and seal stored ids and to
    digest request ids."""
    return {
        **migration_attributes({DOMAIN: RequestDigest(key.secret_key)}),
        "secrets": {"domain_secret_key": key.secret_key},
    }


def migrate_database(settings: SurveysSettings) -> None:
    """Run the migrations only (``stadskamer migrate``), with the key they may need."""
    engine = make_engine(settings.database_url, SERVICE)
    try:
        migrate(engine, MIGRATIONS, SERVICE, migration_inputs(load_domain_key(settings)))
    finally:
        engine.dispose()
