"""The plaintext health-only port next to a mutual-TLS server (for the kubelet's gRPC probes),
and a service's peer channel to such a server.

The main port serves mutual TLS only; the health port answers the standard health check in
plaintext, shares the main port's status and serves nothing else. A service's peer channels
use the ``STADSKAMER_PEER_TLS_*`` files of its environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.cli.certs_commands import TlsLayout
from stadskamer.cli.main import main
from stadskamer.common.peers import peer_channel
from stadskamer.common.server import (
    Component,
    RunningServer,
    ServerSettings,
    TlsFiles,
    build_server,
)
from tests.e2e.gateway.test_tls import Catalogue

CONSENT = consent_pb2.DESCRIPTOR.services_by_name["ConsentService"].full_name
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def layout(tmp_path: Path) -> TlsLayout:
    """The certificates of `stadskamer certs init`."""
    assert main(["certs", "init", "--data-dir", str(tmp_path)]) == 0
    return TlsLayout.under(tmp_path)


@pytest.fixture
def probed(tmp_path: Path, layout: TlsLayout) -> Iterator[RunningServer]:
    """A consent-like service on a mutual-TLS port with a health port (both chosen freely)."""
    token_key = tmp_path / "token.pub.pem"
    token_key.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    cert, key = layout.pair("server")
    settings = ServerSettings(
        port=0,
        token_public_key_file=token_key,
        tls=TlsFiles(layout.pair("ca")[0], cert, key),
        health_port=0,
    )
    component = Component(
        "consent",
        [CONSENT],
        lambda server: consent_pb2_grpc.add_ConsentServiceServicer_to_server(Catalogue(), server),
        public_methods=frozenset({f"/{CONSENT}/ListPurposes"}),
    )
    running = build_server(settings, lambda _port: [component])
    running.start()
    try:
        yield running
    finally:
        running.stop(None)


def _check(port: int, service: str = "") -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        return int(stub.Check(request, timeout=5).status)


def _code(error: pytest.ExceptionInfo[grpc.RpcError]) -> grpc.StatusCode:
    code: grpc.StatusCode = error.value.code()  # type: ignore[attr-defined]
    return code


def test_the_health_port_answers_in_plaintext_while_the_main_port_wants_tls(
    probed: RunningServer,
) -> None:
    assert probed.health_port is not None and probed.health_port != probed.port
    assert _check(probed.health_port) == SERVING
    assert _check(probed.health_port, CONSENT) == SERVING
    with pytest.raises(grpc.RpcError) as refused:
        _check(probed.port)
    assert _code(refused) == grpc.StatusCode.UNAVAILABLE


def test_the_health_port_serves_nothing_but_health(probed: RunningServer) -> None:
    assert probed.health_port is not None
    with grpc.insecure_channel(f"127.0.0.1:{probed.health_port}") as channel:
        stub = consent_pb2_grpc.ConsentServiceStub(channel)
        with pytest.raises(grpc.RpcError) as missing:
            stub.ListPurposes(consent_pb2.ListPurposesRequest(), timeout=5)
    assert _code(missing) == grpc.StatusCode.UNIMPLEMENTED


def test_shutdown_shows_on_the_health_port(probed: RunningServer) -> None:
    assert probed.health_port is not None
    probed.health.enter_graceful_shutdown()
    assert _check(probed.health_port) == NOT_SERVING
    assert _check(probed.health_port, CONSENT) == NOT_SERVING


def test_a_peer_channel_uses_the_peer_tls_files_of_the_environment(
    probed: RunningServer, layout: TlsLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = f"localhost:{probed.port}"
    with peer_channel(address, lambda: None) as plaintext, pytest.raises(grpc.RpcError) as refused:
        health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert _code(refused) == grpc.StatusCode.UNAVAILABLE
    cert, key = layout.pair("server")
    monkeypatch.setenv("STADSKAMER_PEER_TLS_CA_FILE", str(layout.pair("ca")[0]))
    monkeypatch.setenv("STADSKAMER_PEER_TLS_CERT_FILE", str(cert))
    monkeypatch.setenv("STADSKAMER_PEER_TLS_KEY_FILE", str(key))
    with peer_channel(address, lambda: None) as secured:
        stub = health_pb2_grpc.HealthStub(secured)
        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
