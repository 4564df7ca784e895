"""Mutual TLS between the gateway and the services, with certificates of `stadskamer certs init`.

Both halves of the gateway are covered: the REST routes, and the history fan-out against the
real services (consent, pseudonyms, contacts, complaints) serving mutual TLS only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from stadskamer.cli.certs_commands import TlsLayout
from stadskamer.cli.embedded import embedded_server_settings
from stadskamer.cli.keys_commands import ensure_keys
from stadskamer.cli.main import main
from stadskamer.cli.registry import SERVICES, EmbeddedContext
from stadskamer.common.auth import TokenIssuer
from stadskamer.common.keys import KeyLayout
from stadskamer.common.processing_log_settings import ProcessingLogSettings
from stadskamer.common.server import (
    Component,
    RunningServer,
    ServerSettings,
    TlsFiles,
    build_server,
)
from stadskamer.gateway.history.bootstrap import create_server
from stadskamer.gateway.history.settings import HistorySettings
from stadskamer.gateway.rest.bootstrap import start_rest_gateway
from stadskamer.gateway.rest.settings import Peers, RestSettings
from tests.e2e.history.support import BSN, PURPOSE, Citizen
from tests.support.stack import Stack


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def services_over_tls(tmp_path: Path) -> Iterator[tuple[Stack, TlsLayout]]:
    """The real services on one server that serves mutual TLS only, and a citizen's stack view.

    The services of this one process call each other (and the audit service) through a
    loopback port of their own: the channels between services are not under test here and
    carry no TLS yet. Everything from outside, the gateway included, gets the TLS port only.
    """
    assert main(["certs", "init", "--data-dir", str(tmp_path)]) == 0
    layout = TlsLayout.under(tmp_path)
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o700)
    ensure_keys(data_dir)
    issuer = TokenIssuer.from_file(KeyLayout.under(data_dir).token_private_key)
    server_cert, server_key = layout.pair("server")
    tls = TlsFiles(layout.pair("ca")[0], server_cert, server_key)
    settings = replace(embedded_server_settings(data_dir, "127.0.0.1", 0), tls=tls)
    inside = _free_port()

    def components(port: int) -> list[Component]:
        context = EmbeddedContext(data_dir, replace(settings, port=port), inside, issuer)
        services = [entry for name, entry in SERVICES.items() if name != "gateway"]
        return [entry.build_component(entry.embedded(context)) for entry in services]

    running = build_server(settings, components)
    assert running.server.add_insecure_port(f"127.0.0.1:{inside}") == inside
    running.server.start()
    gateway_cert, gateway_key = layout.pair("gateway")
    credentials = TlsFiles(layout.pair("ca")[0], gateway_cert, gateway_key)
    channel = grpc.secure_channel(f"localhost:{running.port}", credentials.channel_credentials())
    try:
        yield Stack(data_dir, running.port, issuer, channel), layout
    finally:
        channel.close()
        running.stop(1.0)


def _history_server(stack: Stack, peer_tls: TlsFiles | None) -> RunningServer:
    address = f"localhost:{stack.port}"
    settings = HistorySettings(
        server=embedded_server_settings(stack.data_dir, "127.0.0.1", 0),
        pseudonyms_address=address,
        consent_address=address,
        contacts_address=address,
        complaints_address=address,
        processing_log=ProcessingLogSettings("history", local_dir=stack.data_dir / "fan-out"),
        peer_tls=peer_tls,
    )
    running, _ = create_server(settings)
    running.server.start()
    return running


def _history(port: int, citizen: Citizen) -> history_pb2.GetHistoryResponse:
    token = citizen.stack.token("kcc-agent", ["kcc"], ["agent"])
    request = history_pb2.GetHistoryRequest(
        subject=citizen.subject("kcc"), requester_domain="kcc", purpose=PURPOSE
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        return history_pb2_grpc.HistoryServiceStub(channel).GetHistory(
            request, metadata=citizen.metadata(token), timeout=30
        )


def test_the_history_fan_out_reaches_the_services_over_mutual_tls(
    services_over_tls: tuple[Stack, TlsLayout],
) -> None:
    stack, layout = services_over_tls
    citizen = Citizen(stack, BSN)
    citizen.register("kcc", "parkeervergunning")
    citizen.register("burgerzaken", "paspoort")
    complaint = citizen.file_complaint("over-tls")
    citizen.grant()
    cert, key = layout.pair("gateway")
    secured = _history_server(stack, TlsFiles(layout.pair("ca")[0], cert, key))
    try:
        response = _history(secured.port, citizen)
    finally:
        secured.stop(1.0)
    assert {item.domain for item in response.items} == {"kcc", "burgerzaken", "klachten"}
    assert complaint.name in {item.name for item in response.items}

    plaintext = grpc.insecure_channel(f"127.0.0.1:{stack.port}")
    with plaintext, pytest.raises(grpc.RpcError) as refused:
        _health(plaintext)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
    without_tls = _history_server(stack, None)
    try:
        with pytest.raises(grpc.RpcError) as unavailable:
            _history(without_tls.port, citizen)
    finally:
        without_tls.stop(1.0)
    assert unavailable.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
