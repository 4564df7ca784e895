"""Mutual TLS between the gateway and a service, with certificates of `stadskamer certs init`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.cli.certs_commands import TlsLayout
from stadskamer.cli.main import main
from stadskamer.common.server import (
    Component,
    RunningServer,
    ServerSettings,
    TlsFiles,
    build_server,
)
from stadskamer.gateway.rest.bootstrap import start_rest_gateway
from stadskamer.gateway.rest.settings import Peers, RestSettings


class Catalogue(consent_pb2_grpc.ConsentServiceServicer):
    """A consent service that only knows its catalogue version."""

    def ListPurposes(
        self, request: consent_pb2.ListPurposesRequest, context: grpc.ServicerContext
    ) -> consent_pb2.ListPurposesResponse:
        return consent_pb2.ListPurposesResponse(catalogue_version="mtls")


@dataclass
class Secured:
    """A service that serves mutual TLS only, and the files to reach it."""

    running: RunningServer
    layout: TlsLayout
    token_key: Path

    @property
    def address(self) -> str:
        return f"localhost:{self.running.port}"

    def files(self, name: str) -> TlsFiles:
        cert, key = self.layout.pair(name)
        return TlsFiles(self.layout.pair("ca")[0], cert, key)


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Secured]:
    assert main(["certs", "init", "--data-dir", str(tmp_path)]) == 0
    layout = TlsLayout.under(tmp_path)
    token_key = tmp_path / "token.pub.pem"
    token_key.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    server_cert, server_key = layout.pair("server")
    settings = ServerSettings(
        port=0,
        token_public_key_file=token_key,
        tls=TlsFiles(layout.pair("ca")[0], server_cert, server_key),
    )
    name = consent_pb2.DESCRIPTOR.services_by_name["ConsentService"].full_name
    component = Component(
        "consent",
        [name],
        lambda server: consent_pb2_grpc.add_ConsentServiceServicer_to_server(Catalogue(), server),
        public_methods=frozenset({f"/{name}/ListPurposes"}),
    )
    running = build_server(settings, lambda _port: [component])
    running.server.start()
    try:
        yield Secured(running, layout, token_key)
    finally:
        running.stop(None)


def _health(channel: grpc.Channel) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status)


def test_the_service_answers_only_clients_with_a_certificate_of_the_ca(secured: Secured) -> None:
    gateway = secured.files("gateway")
    with grpc.secure_channel(secured.address, gateway.channel_credentials()) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    ca = secured.layout.pair("ca")[0].read_bytes()
    anonymous = grpc.ssl_channel_credentials(root_certificates=ca)
    for channel in (
        grpc.secure_channel(secured.address, anonymous),
        grpc.insecure_channel(secured.address),
    ):
        with channel, pytest.raises(grpc.RpcError) as refused:
            _health(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]


def _gateway_purposes(secured: Secured, tls: TlsFiles | None) -> httpx.Response:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        unused = f"127.0.0.1:{probe.getsockname()[1]}"
    peers = Peers(unused, secured.address, unused, unused, unused, unused, unused)
    settings = RestSettings("127.0.0.1", 0, peers, secured.token_key, peer_tls=tls)
    gateway = start_rest_gateway(settings)
    try:
        return httpx.get(f"http://127.0.0.1:{gateway.port}/api/v1/purposes", timeout=30)
    finally:
        gateway.stop()


def test_the_gateway_reaches_a_service_over_mutual_tls(secured: Secured) -> None:
    through = _gateway_purposes(secured, secured.files("gateway"))
    assert through.status_code == 200, through.text
    assert through.json()["catalogueVersion"] == "mtls"
    refused = _gateway_purposes(secured, None)
    assert refused.status_code == 503
