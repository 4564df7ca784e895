"""Settings: documented defaults, and a clear failure for a missing required value."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadskamer.common.channels import peer_tls_from_env
from stadskamer.common.server import ServerSettings, TlsFiles
from stadskamer.common.settings import ConfigurationError
from stadskamer.pseudonyms.settings import PseudonymSettings

COMPLETE = {
    "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": "/run/secrets/token.pub.pem",
    "STADSKAMER_PSEUDONYMS_DATABASE_URL": "postgresql+psycopg://db/pseudonyms",
    "STADSKAMER_MASTER_SECRET_FILE": "/run/secrets/master",
    "STADSKAMER_PSEUDONYMISATION_SECRET_FILE": "/run/secrets/ps",
    "STADSKAMER_TAG_KEY_FILE": "/run/secrets/tag-key",
    "STADSKAMER_REKEY_SECRET_FILE": "/run/secrets/es",
    "STADSKAMER_PROCESSING_LOG_DIR": "/var/lib/stadskamer/processing-log",
}


def test_defaults_apply_when_only_required_values_are_given() -> None:
    settings = PseudonymSettings.from_env(COMPLETE)
    assert settings.server.port == 50051
    assert settings.server.host == "127.0.0.1"
    assert "sociale-zaken" in settings.domains
    assert settings.key_version == "v1"


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_missing_required_value_names_the_variable(missing: str) -> None:
    environ = {k: v for k, v in COMPLETE.items() if k != missing}
    with pytest.raises(ConfigurationError) as raised:
        PseudonymSettings.from_env(environ)
    assert missing in str(raised.value)


def test_a_malformed_number_is_refused() -> None:
    with pytest.raises(ConfigurationError) as raised:
        PseudonymSettings.from_env({**COMPLETE, "STADSKAMER_GRPC_PORT": "fifty"})
    assert "STADSKAMER_GRPC_PORT" in str(raised.value)


def test_settings_are_frozen() -> None:
    settings = PseudonymSettings.from_env(COMPLETE)
    with pytest.raises(AttributeError):
        settings.key_version = "v2"  # type: ignore[misc]


def test_the_health_port_is_optional_and_read_as_a_number() -> None:
    base = {"STADSKAMER_TOKEN_PUBLIC_KEY_FILE": "token.pub.pem"}
    assert ServerSettings.from_env(base).health_port is None
    assert ServerSettings.from_env({**base, "STADSKAMER_HEALTH_PORT": "8081"}).health_port == 8081
    with pytest.raises(ConfigurationError, match="STADSKAMER_HEALTH_PORT"):
        ServerSettings.from_env({**base, "STADSKAMER_HEALTH_PORT": "probe"})


def test_peer_tls_files_come_all_or_none() -> None:
    assert peer_tls_from_env({}) is None
    files = peer_tls_from_env(
        {
            "STADSKAMER_PEER_TLS_CA_FILE": "ca.pem",
            "STADSKAMER_PEER_TLS_CERT_FILE": "server.pem",
            "STADSKAMER_PEER_TLS_KEY_FILE": "server.key",
        }
    )
    assert files == TlsFiles(Path("ca.pem"), Path("server.pem"), Path("server.key"))
    with pytest.raises(ConfigurationError, match="STADSKAMER_PEER_TLS_CERT_FILE"):
        peer_tls_from_env({"STADSKAMER_PEER_TLS_CA_FILE": "ca.pem"})
