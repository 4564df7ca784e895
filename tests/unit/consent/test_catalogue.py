"""The purpose catalogue: the shipped defaults, lookups and refusal of bad configuration."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from stadskamer.common.errors import InvalidArgument
from stadskamer.common.settings import ConfigurationError
from stadskamer.consent.catalogue import load_catalogue, parse_catalogue

CATALOGUE = load_catalogue()


def test_the_default_catalogue_holds_four_consent_purposes_and_two_on_a_legal_basis() -> None:
    consent_based = {p.id for p in CATALOGUE.all() if p.requires_consent}
    assert consent_based == {
        "integrated-contact-history",
        "research-panel",
        "complaint-callback",
        "survey-followup-call",
    }
    assert {p.id for p in CATALOGUE.all() if not p.requires_consent} == {
        "complaint-handling",
        "satisfaction-survey",
    }
    for purpose in CATALOGUE.all():
        assert purpose.dpv_category.startswith("dpv:")
        assert CATALOGUE.is_current(purpose)
        if purpose.requires_consent:
            assert "toestemming" in purpose.consent_text and "6 lid 1 sub a" in purpose.legal_basis


def test_the_notice_hash_is_the_sha256_of_the_exact_text() -> None:
    purpose = CATALOGUE.current("integrated-contact-history")
    assert purpose.notice_hash == hashlib.sha256(purpose.consent_text.encode()).digest()
    assert "sociale-zaken" in purpose.domains


def test_unknown_purposes_and_versions_name_the_field() -> None:
    with pytest.raises(InvalidArgument) as unknown:
        CATALOGUE.current("marketing")
    assert unknown.value.violations[0].field == "purpose"
    with pytest.raises(InvalidArgument) as version:
        CATALOGUE.version_of("research-panel", 9)
    assert version.value.violations[0].field == "purpose_version"


def test_the_versions_a_domain_may_list_are_those_that_name_it() -> None:
    assert CATALOGUE.versions_listing(["sociale-zaken"]) == [("integrated-contact-history", 1)]
    assert ("survey-followup-call", 1) not in CATALOGUE.versions_listing(["kcc"])
    assert CATALOGUE.versions_listing(["onderzoek", "klachten"]) == [
        ("complaint-callback", 1),
        ("complaint-handling", 1),
        ("integrated-contact-history", 1),
        ("research-panel", 1),
        ("satisfaction-survey", 1),
        ("survey-followup-call", 1),
    ]
    assert CATALOGUE.versions_listing([]) == []


def _entry(**changes: Any) -> dict[str, Any]:
    return {
        "id": "p",
        "version": 1,
        "title": "P",
        "consent_text": "Tekst.",
        "requires_consent": True,
        "domains": ["kcc"],
        "retention_days": 0,
        "legal_basis": "art. 6(1)(a)",
        "dpv_category": "dpv:CustomerCare",
        **changes,
    }


@pytest.mark.parametrize(
    "entries",
    [
        [_entry(), _entry()],
        [_entry(id="Not A Name")],
        [_entry(version=0)],
        [_entry(domains=[])],
        [_entry(consent_text="")],
        [_entry(requires_consent=False)],
        [_entry(dpv_category="CustomerCare")],
        [_entry(retention_days=-1)],
        [{"id": "p"}],
    ],
)
def test_an_invalid_catalogue_is_refused_at_start(entries: list[dict[str, Any]]) -> None:
    with pytest.raises(ConfigurationError):
        parse_catalogue({"purposes": entries}, "purposes.toml")
