"""The receipt, the routing table, the text cipher, page tokens and settings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.common.settings import ConfigurationError
from stadskamer.complaints.receipt import dutch_date, receipt_text
from stadskamer.complaints.routing import RoutingTable
from stadskamer.complaints.settings import ComplaintsSettings
from stadskamer.complaints.texts import TextCipher, description_context, text_key
from tests.unit.complaints.factories import complaint


def test_the_receipt_names_case_number_and_dates_and_nothing_personal() -> None:
    filed = replace(complaint(), case_number="KL-2026-000123")
    text = receipt_text(filed)
    assert text.startswith("Wij hebben uw klacht ontvangen op 2 maart 2026.")
    assert "Uw zaaknummer is KL-2026-000123." in text
    assert "Wij bellen u uiterlijk op maandag 9 maart 2026" in text
    assert "uiterlijk op 13 april 2026" in text
    assert filed.description not in text
    assert "medewerker" not in text
    about_official = receipt_text(replace(filed, about_official=True))
    assert "gesprek tussen u, deze medewerker en de klachtencoördinator" in about_official


def test_dutch_dates() -> None:
    assert dutch_date(complaint().callback_due, weekday=True) == "maandag 9 maart 2026"
    assert dutch_date(complaint().decision_due) == "13 april 2026"


def test_the_packaged_routing_table_routes_by_org_unit_with_a_central_default() -> None:
    table = RoutingTable.load(None)
    assert table.coordinator_for("belastingen") == "decentraal-belastingen"
    assert table.coordinator_for("onbekende-afdeling") == table.central == "centraal"
    assert "decentraal-sociaal-domein" in table.coordinators


def test_a_routing_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "routing.json"
    path.write_text(json.dumps({"central": "kc", "units": {"wijk-noord": "kc-noord"}}))
    table = RoutingTable.load(path)
    assert table.coordinator_for("wijk-noord") == "kc-noord"
    assert table.coordinators == frozenset({"kc", "kc-noord"})


@pytest.mark.parametrize(
    "text", ["[]", "{}", '{"central": "Kc"}', '{"central": "kc", "units": {"a": 1}}', "nope"]
)
def test_an_invalid_routing_table_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ConfigurationError, match="routing"):
        RoutingTable.from_json(text, "the routing file")


def test_a_missing_routing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read routing file"):
        RoutingTable.load(tmp_path / "missing.json")


def test_the_text_key_is_hkdf_of_the_domain_secret() -> None:
    secret = bytes(range(32))
    expected = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"stadskamer/complaints/description/v1",
    ).derive(secret)
    assert text_key(secret) == expected


@given(st.text(max_size=300))
def test_sealed_texts_open_only_in_their_place(text: str) -> None:
    cipher = TextCipher(bytes(range(32)))
    sealed = cipher.seal(text, description_context("a"))
    assert cipher.open(sealed, "a") == text
    assert len(text) < 8 or text.encode() not in sealed
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "b")
    with pytest.raises(InvalidTag):
        TextCipher(bytes(32)).open(sealed, "a")


COMPLETE = {
    "STADSKAMER_TOKEN_PUBLIC_KEY_FILE": "/run/secrets/token.pub.pem",
    "STADSKAMER_COMPLAINTS_DATABASE_URL": "postgresql+psycopg://db/complaints",
    "STADSKAMER_PSEUDONYMS_ADDRESS": "pseudonyms:50051",
    "STADSKAMER_SERVICE_TOKEN_FILE": "/run/secrets/token",
    "STADSKAMER_COMPLAINTS_DOMAIN_KEY_FILE": "/run/secrets/klachten.key.json",
    "STADSKAMER_PROCESSING_LOG_DIR": "/var/lib/stadskamer/processing-log",
}


def test_settings_defaults() -> None:
    settings = ComplaintsSettings.from_env(COMPLETE)
    assert settings.callback_working_days == 5
    assert settings.routing_file is None
    assert settings.event_sinks == ()


def test_settings_read_the_optional_values() -> None:
    settings = ComplaintsSettings.from_env(
        {
            **COMPLETE,
            "STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS": "3",
            "STADSKAMER_COMPLAINTS_ROUTING_FILE": "/etc/routing.json",
            "STADSKAMER_COMPLAINTS_EVENT_SINKS": "surveys:50051, other:50051",
        }
    )
    assert settings.callback_working_days == 3
    assert settings.routing_file == Path("/etc/routing.json")
    assert settings.event_sinks == ("surveys:50051", "other:50051")


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_missing_required_setting_names_the_variable(missing: str) -> None:
    environ = {k: v for k, v in COMPLETE.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing.split("_FILE")[0]):
        ComplaintsSettings.from_env(environ)


@pytest.mark.parametrize("days", ["0", "61", "five"])
def test_an_invalid_call_back_norm_names_the_variable(days: str) -> None:
    environ = {**COMPLETE, "STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS": days}
    with pytest.raises(ConfigurationError, match="STADSKAMER_COMPLAINTS_CALLBACK_WORKING_DAYS"):
        ComplaintsSettings.from_env(environ)
