"""Settings of the consent service: required variables are named, limits are enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadskamer.common.settings import ConfigurationError
from stadskamer.consent.catalogue import DEFAULT_PURPOSES_FILE
from stadskamer.consent.settings import ConsentSettings

ENVIRON = {
    "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": "/keys/token.pub.pem",
    "STADSKAMER_CONSENT_DATABASE_URL": "postgresql+psycopg://consent@db/consent",
    "STADSKAMER_PSEUDONYMS_ADDRESS": "pseudonyms:50051",
    "STADSKAMER_SERVICE_TOKEN_FILE": "/secrets/token",
    "STADSKAMER_CONSENT_DOMAIN_KEY_FILE": "/secrets/consent.key.json",
    "STADSKAMER_CONSENT_SIGNING_KEY_FILE": "/secrets/consent-signing.pem",
    "STADSKAMER_PROCESSING_LOG_DIR": "/var/log/stadskamer",
}


def test_the_cluster_settings_come_from_the_environment_with_documented_defaults() -> None:
    settings = ConsentSettings.from_env(
        {**ENVIRON, "STADSKAMER_CONSENT_POLICY_FILE": "/config/policy.toml"}
    )
    assert settings.pseudonyms_address == "pseudonyms:50051"
    assert settings.policy_file == Path("/config/policy.toml")
    assert settings.purposes_file == DEFAULT_PURPOSES_FILE
    assert settings.controller == "Gemeente Stadskamer"
    assert settings.link_grant_ttl_seconds == 30


@pytest.mark.parametrize("name", sorted(set(ENVIRON) - {"STADSKAMER_TOKEN_PUBLIC_KEY_FILE"}))
def test_a_missing_required_variable_is_named(name: str) -> None:
    environ = {k: v for k, v in ENVIRON.items() if k != name}
    with pytest.raises(ConfigurationError, match=name):
        ConsentSettings.from_env(environ)


@pytest.mark.parametrize("ttl", ["0", "61"])
def test_a_link_grant_lifetime_beyond_a_minute_is_refused(ttl: str) -> None:
    with pytest.raises(ConfigurationError, match="TTL"):
        ConsentSettings.from_env({**ENVIRON, "STADSKAMER_LINK_GRANT_TTL_SECONDS": ttl})
