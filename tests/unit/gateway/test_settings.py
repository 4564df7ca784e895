"""The gateway's settings from the environment, and the TLS files (all or none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadskamer.common.server import ServerSettings, TlsFiles
from stadskamer.common.settings import ConfigurationError
from stadskamer.gateway.bootstrap import GatewaySettings
from stadskamer.gateway.history.domain import ItemKind

BASE = {
    "STADSKAMER_TOKEN_JWKS_FILE": "/run/secrets/oidc-jwks.json",
    "STADSKAMER_TOKEN_ISSUERS": "https://login.example.nl",
    "STADSKAMER_PSEUDONYMS_ADDRESS": "pseudonyms:50051",
    "STADSKAMER_CONSENT_ADDRESS": "consent:50051",
    "STADSKAMER_CONTACTS_ADDRESS": "contacts:50051",
    "STADSKAMER_PROCESSING_LOG_DIR": "/var/log/stadskamer",
    "STADSKAMER_GRPC_HOST": "0.0.0.0",
    "STADSKAMER_GRPC_PORT": "6000",
}


def test_serve_gateway_reads_both_halves_with_defaults() -> None:
    settings = GatewaySettings.from_env(BASE)
    rest = settings.rest
    assert rest is not None and settings.server.port == 6000
    assert (rest.host, rest.port) == ("127.0.0.1", 8080)
    assert rest.peers.history == "127.0.0.1:6000"
    assert rest.peers.complaints == "contacts:50051"
    assert rest.token_jwks_file == Path("/run/secrets/oidc-jwks.json")
    assert rest.token_issuers == frozenset({"https://login.example.nl"})
    assert rest.peer_tls is None and settings.server.tls is None


def test_tls_files_come_all_together_or_not_at_all() -> None:
    files = {
        "STADSKAMER_PEER_TLS_CA_FILE": "ca.pem",
        "STADSKAMER_PEER_TLS_CERT_FILE": "gateway.pem",
        "STADSKAMER_PEER_TLS_KEY_FILE": "gateway.key",
        "STADSKAMER_HTTP_PORT": "9000",
    }
    rest = GatewaySettings.from_env({**BASE, **files}).rest
    assert rest is not None and rest.port == 9000
    assert rest.peer_tls == TlsFiles(Path("ca.pem"), Path("gateway.pem"), Path("gateway.key"))
    with pytest.raises(ConfigurationError, match="STADSKAMER_TLS_KEY_FILE"):
        ServerSettings.from_env(
            {**BASE, "STADSKAMER_TLS_CA_FILE": "ca.pem", "STADSKAMER_TLS_CERT_FILE": "s.pem"}
        )


def test_the_history_fan_out_reads_the_complaints_service_and_the_peer_tls_files() -> None:
    fan_out = GatewaySettings.from_env(BASE).history
    assert fan_out.complaints_address == "contacts:50051" and fan_out.peer_tls is None
    assert [(s.domain, s.kind) for s in fan_out.sources()][-1] == ("klachten", ItemKind.COMPLAINT)
    files = {
        "STADSKAMER_COMPLAINTS_ADDRESS": "complaints:50051",
        "STADSKAMER_PEER_TLS_CA_FILE": "ca.pem",
        "STADSKAMER_PEER_TLS_CERT_FILE": "gateway.pem",
        "STADSKAMER_PEER_TLS_KEY_FILE": "gateway.key",
    }
    settings = GatewaySettings.from_env({**BASE, **files})
    assert settings.history.complaints_address == "complaints:50051"
    expected = TlsFiles(Path("ca.pem"), Path("gateway.pem"), Path("gateway.key"))
    assert settings.history.peer_tls == expected
    assert settings.rest is not None and settings.rest.peer_tls == expected
    overlap = {**BASE, "STADSKAMER_HISTORY_COMPLAINT_DOMAINS": "klachten,kcc"}
    with pytest.raises(ConfigurationError, match="kcc"):
        GatewaySettings.from_env(overlap).history.sources()
