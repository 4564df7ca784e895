"""Settings of the surveys service: documented defaults, and refusals naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from stadskamer.common.settings import ConfigurationError
from stadskamer.surveys.bootstrap import rules
from stadskamer.surveys.domain import Channel
from stadskamer.surveys.settings import SurveysSettings, sampling_rates

BASE = {
    "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": "/keys/token.pub.pem",
    "STADSKAMER_SURVEYS_DATABASE_URL": "postgresql+psycopg://surveys@db/surveys",
    "STADSKAMER_PSEUDONYMS_ADDRESS": "pseudonyms:50051",
    "STADSKAMER_CONSENT_ADDRESS": "consent:50051",
    "STADSKAMER_SERVICE_TOKEN_FILE": "/run/secrets/token",
    "STADSKAMER_SURVEYS_DOMAIN_KEY_FILE": "/run/secrets/onderzoek.key.json",
    "STADSKAMER_PROCESSING_LOG_DIR": "/var/log/stadskamer",
    "STADSKAMER_SURVEYS_OUTBOX_DIR": "/var/spool/surveys",
}


def test_the_defaults_are_the_documented_ones() -> None:
    settings = SurveysSettings.from_env(BASE)
    assert settings.fatigue_days == 30 and settings.token_days == 30
    assert settings.min_group_size == 10 and settings.panel_rest_days == 90
    assert settings.aspects == (
        "bejegening",
        "snelheid",
        "duidelijkheid",
        "uitkomst",
        "bereikbaarheid",
    )
    assert settings.outbox_dir == Path("/var/spool/surveys") and settings.smtp is None
    assert settings.sampling_seed is None and rules(settings).rate(Channel.PHONE) == 1.0


def test_rates_topics_seed_and_smtp_are_read() -> None:
    environ = {
        **BASE,
        "STADSKAMER_SURVEYS_SAMPLING_RATES": "phone=0.5, counter=0",
        "STADSKAMER_SURVEYS_TOPICS": "paspoort,klacht",
        "STADSKAMER_SURVEYS_SAMPLING_SEED": "00" * 16,
        "STADSKAMER_SURVEYS_DELIVERY": "smtp",
        "STADSKAMER_SURVEYS_SMTP_HOST": "smtp.gemeente.example",
        "STADSKAMER_SURVEYS_SMTP_SENDER": "enquete@gemeente.example",
        "STADSKAMER_SURVEYS_FATIGUE_DAYS": "60",
    }
    settings = SurveysSettings.from_env(environ)
    configured = rules(settings)
    assert configured.rate(Channel.PHONE) == 0.5 and configured.rate(Channel.COUNTER) == 0.0
    assert configured.topics == {"paspoort", "klacht"} and configured.fatigue_days == 60
    assert settings.sampling_seed == bytes(16)
    assert settings.smtp is not None and settings.smtp.port == 25 and settings.outbox_dir is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STADSKAMER_SURVEYS_FATIGUE_DAYS", "0"),
        ("STADSKAMER_SURVEYS_MIN_GROUP_SIZE", "ten"),
        ("STADSKAMER_SURVEYS_SAMPLING_SEED", "abcd"),
        ("STADSKAMER_SURVEYS_DELIVERY", "pigeon"),
        ("STADSKAMER_SURVEYS_DATABASE_URL", ""),
    ],
)
def test_a_bad_or_missing_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        SurveysSettings.from_env({**BASE, name: value})
    assert name in str(refused.value)


@pytest.mark.parametrize("raw", ["phone", "fax=0.5", "phone=1.5", "phone=half"])
def test_bad_sampling_rates_are_refused(raw: str) -> None:
    with pytest.raises(ConfigurationError):
        sampling_rates(raw)
