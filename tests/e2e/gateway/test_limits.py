"""The gateway's limits and its answers when a service is slow or gone: 401, 413, 429, 503, 504."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.common.auth import TokenIssuer
from stadskamer.gateway.rest.bootstrap import start_rest_gateway
from stadskamer.gateway.rest.settings import Limits, Peers, RestSettings


class SlowConsent(consent_pb2_grpc.ConsentServiceServicer):
    """Answers ListPurposes only once released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def ListPurposes(
        self, request: consent_pb2.ListPurposesRequest, context: grpc.ServicerContext
    ) -> consent_pb2.ListPurposesResponse:
        self.release.wait(10)
        return consent_pb2.ListPurposesResponse(catalogue_version="test")


@dataclass
class Edge:
    """A gateway with tight limits in front of a slow consent service."""

    client: httpx.Client
    issuer: TokenIssuer
    consent: SlowConsent

    def bearer(self, sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue(sub, ['kcc'], ['agent', 'issuer'])}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "token.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    consent = SlowConsent()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    consent_pb2_grpc.add_ConsentServiceServicer_to_server(consent, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    gone = f"127.0.0.1:{_free_port()}"
    peers = Peers(gone, f"127.0.0.1:{port}", gone, gone, gone, gone, gone)
    limits = Limits(max_body_bytes=300, rate_per_second=0.5, rate_burst=3, timeout_seconds=1.0)
    gateway = start_rest_gateway(RestSettings("127.0.0.1", 0, peers, public, limits=limits))
    client = httpx.Client(base_url=f"http://127.0.0.1:{gateway.port}/api/v1", timeout=30)
    try:
        yield Edge(client, TokenIssuer(key), consent)
    finally:
        consent.release.set()
        client.close()
        gateway.stop()
        server.stop(None)


def test_a_slow_service_gives_504_and_an_absent_one_503_with_retry_after(edge: Edge) -> None:
    slow = edge.client.get("/purposes")
    edge.consent.release.set()
    assert slow.status_code == 504
    assert slow.headers["content-type"] == "application/problem+json"
    assert slow.json()["code"] == "DEADLINE_EXCEEDED"
    gone = edge.client.post(
        "/consents/_search", headers=edge.bearer("agent-1"), json={"bsn": "111222333"}
    )
    assert gone.status_code == 503
    assert int(gone.headers["Retry-After"]) >= 1
    assert "111222333" not in gone.text


def test_too_large_bodies_get_413_and_bad_tokens_401(edge: Edge) -> None:
    large = edge.client.post(
        "/consents/_search", headers=edge.bearer("agent-2"), json={"pageToken": "x" * 400}
    )
    assert large.status_code == 413 and large.json()["code"] == "BODY_TOO_LARGE"
    forged = edge.client.post(
        "/consents/_search", headers={"Authorization": "Bearer not-a-token"}, json={}
    )
    assert forged.status_code == 401 and forged.json()["code"] == "TOKEN_INVALID"


def test_each_token_has_its_own_bucket_and_429_says_when_to_retry(edge: Edge) -> None:
    first, second = edge.bearer("agent-3"), edge.bearer("agent-4")
    answers = [
        edge.client.post("/consents/_search", headers=first, json={"bsn": "1"}).status_code
        for _ in range(4)
    ]
    assert answers == [400, 400, 400, 429]
    limited = edge.client.post("/consents/_search", headers=first, json={"bsn": "1"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    other = edge.client.post("/consents/_search", headers=second, json={"bsn": "1"})
    assert other.status_code == 400
