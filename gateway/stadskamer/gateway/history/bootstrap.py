"""Wiring of the history fan-out: peers as the calling user, processing log, servicer."""

from __future__ import annotations

import grpc

from stadskamer.api.history.v1 import history_pb2_grpc as pb_grpc
from stadskamer.common.server import Component, RunningServer, build_server
from stadskamer.gateway.history.adapters.peers import GrpcPeers, PeerChannels
from stadskamer.gateway.history.entrypoint import SERVICE_NAME, VALIDATORS, HistoryServicer
from stadskamer.gateway.history.ports import Peers
from stadskamer.gateway.history.service import HistoryService
from stadskamer.gateway.history.settings import HistorySettings


def build_component(settings: HistorySettings) -> Component:
    """The history fan-out as a server component."""
    sources = settings.sources()
    channels = PeerChannels.connect(
        settings.consent_address,
        settings.pseudonyms_address,
        settings.contacts_address,
        settings.complaints_address,
        settings.peer_tls,
    )
    service = HistoryService(sources, settings.processing_log.open())

    def peers_for(bearer_token: str) -> Peers:
        return GrpcPeers(channels, bearer_token)

    servicer = HistoryServicer(service, peers_for)

    def register(server: grpc.Server) -> None:
        pb_grpc.add_HistoryServiceServicer_to_server(servicer, server)

    def close() -> None:
        service.close()
        channels.close()

    return Component(
        name="history",
        service_names=[SERVICE_NAME],
        register=register,
        validators=VALIDATORS,
        close=close,
    )


def create_server(settings: HistorySettings) -> tuple[RunningServer, int]:
    """The history fan-out alone on its own server (not started)."""
    running = build_server(settings.server, lambda _port: [build_component(settings)])
    return running, running.port
