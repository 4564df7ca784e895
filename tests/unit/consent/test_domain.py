"""The consent state machine, the grant rules and the check (policy × consent state)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from stadskamer.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from stadskamer.consent.catalogue import PurposeCatalogue, load_catalogue, parse_catalogue
from stadskamer.consent.domain import (
    BasisKind,
    Capture,
    CaptureMethod,
    Consent,
    ConsentState,
    Denial,
    WithdrawalReason,
    check_capture,
    check_expiry,
    consent_id,
    evaluate,
    grantable,
)
from stadskamer.consent.policy import Decision, Verdict
from tests.unit.consent.fakes import START

HISTORY = "integrated-contact-history"
CATALOGUE = load_catalogue()
NEEDS = Decision(Verdict.NEEDS_CONSENT, "kcc-contact-history-with-consent")


def _consent(**changes: Any) -> Consent:
    consent = Consent(
        id="a" * 32,
        subject=bytes(32),
        purpose=HISTORY,
        purpose_version=1,
        notice_hash=bytes(32),
        capture=Capture("phone", CaptureMethod.AGENT, "agent-7"),
        recorded_by="agent-7",
        given_at=START,
        expires_at=None,
    )
    return replace(consent, **changes)


ACTIVE = _consent()
EXPIRED = _consent(expires_at=START + timedelta(days=1))
WITHDRAWN = _consent().withdraw(START + timedelta(hours=1), WithdrawalReason.CITIZEN_REQUEST, "a")
LATER = START + timedelta(days=2)


def test_a_consent_goes_from_active_to_withdrawn_or_expired_and_keeps_its_history() -> None:
    assert ACTIVE.state(LATER) is ConsentState.ACTIVE
    assert EXPIRED.state(START) is ConsentState.ACTIVE
    assert EXPIRED.state(START + timedelta(days=1)) is ConsentState.EXPIRED
    assert WITHDRAWN.state(START) is ConsentState.WITHDRAWN
    assert (WITHDRAWN.given_at, WITHDRAWN.recorded_by) == (START, "agent-7")
    assert WITHDRAWN.withdrawal_reason is WithdrawalReason.CITIZEN_REQUEST


def test_withdrawing_twice_is_a_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition) as raised:
        WITHDRAWN.withdraw(LATER, WithdrawalReason.PURPOSE_ENDED, "b")
    assert raised.value.reason == "ALREADY_WITHDRAWN"


# consents held → allowed, basis kind, denial
CONSENT_TABLE = [
    ([], False, None, Denial.NO_CONSENT),
    ([ACTIVE], True, BasisKind.CONSENT, None),
    ([EXPIRED], False, None, Denial.CONSENT_EXPIRED),
    ([WITHDRAWN], False, None, Denial.CONSENT_WITHDRAWN),
    ([WITHDRAWN, EXPIRED], False, None, Denial.CONSENT_WITHDRAWN),
    ([WITHDRAWN, replace(ACTIVE, id="b" * 32)], True, BasisKind.CONSENT, None),
    ([replace(ACTIVE, purpose="research-panel")], False, None, Denial.NO_CONSENT),
]


@pytest.mark.parametrize(("consents", "allowed", "kind", "denial"), CONSENT_TABLE)
def test_a_consent_rule_allows_only_with_an_active_consent_for_the_purpose(
    consents: list[Consent], allowed: bool, kind: BasisKind | None, denial: Denial | None
) -> None:
    outcome = evaluate(NEEDS, CATALOGUE, HISTORY, "burgerzaken", consents, LATER)
    assert (outcome.allowed, outcome.basis_kind, outcome.denial) == (allowed, kind, denial)
    assert outcome.rule_id == NEEDS.rule_id
    if allowed:
        active = [c for c in consents if c.state(LATER) is ConsentState.ACTIVE]
        assert outcome.consent_name == outcome.basis == active[0].name
        assert "toestemming" in outcome.legal_basis


@pytest.mark.parametrize(
    ("decision", "allowed", "kind", "denial", "basis"),
    [
        (Decision(Verdict.NEVER, "never"), False, None, Denial.NEVER, ""),
        (Decision(Verdict.NO_RULE), False, None, Denial.NO_RULE, ""),
        (
            Decision(Verdict.OWN_DOMAIN, "", "own domain"),
            True,
            BasisKind.OWN_DOMAIN,
            None,
            "own-domain",
        ),
        (Decision(Verdict.LEGAL_BASIS, "awb", "6(1)(e)"), True, BasisKind.LEGAL_BASIS, None, "awb"),
    ],
)
def test_decisions_that_need_no_consent_ignore_the_consents(
    decision: Decision, allowed: bool, kind: BasisKind | None, denial: Denial | None, basis: str
) -> None:
    outcome = evaluate(decision, CATALOGUE, "complaint-handling", "kcc", [ACTIVE], LATER)
    assert (outcome.allowed, outcome.basis_kind, outcome.denial) == (allowed, kind, denial)
    assert outcome.basis == basis


def test_a_legal_basis_rule_does_not_reach_beyond_the_purposes_domains() -> None:
    outcome = evaluate(
        Decision(Verdict.LEGAL_BASIS, "awb", "6(1)(e)"),
        CATALOGUE,
        "complaint-handling",
        "sociale-zaken",
        [],
        LATER,
    )
    assert outcome.denial is Denial.PURPOSE_DOES_NOT_COVER_DOMAIN


def _versioned_catalogue() -> PurposeCatalogue:
    base = {
        "id": HISTORY,
        "title": "Contacthistorie",
        "requires_consent": True,
        "retention_days": 0,
        "legal_basis": "AVG art. 6 lid 1 sub a",
        "dpv_category": "dpv:CustomerCare",
    }
    return parse_catalogue(
        {
            "purposes": [
                {
                    **base,
                    "version": 1,
                    "consent_text": "Oude tekst.",
                    "domains": ["kcc", "klachten"],
                },
                {
                    **base,
                    "version": 2,
                    "consent_text": "Nieuwe tekst.",
                    "domains": ["kcc", "burgerzaken"],
                },
            ]
        },
        "test",
    )


def test_a_consent_covers_the_domains_of_the_version_it_was_given_on() -> None:
    catalogue = _versioned_catalogue()
    old = replace(ACTIVE, purpose_version=1)
    assert evaluate(NEEDS, catalogue, HISTORY, "klachten", [old], LATER).allowed
    denied = evaluate(NEEDS, catalogue, HISTORY, "burgerzaken", [old], LATER)
    assert denied.denial is Denial.PURPOSE_DOES_NOT_COVER_DOMAIN


def test_only_the_current_version_of_a_consent_purpose_can_be_granted() -> None:
    catalogue = _versioned_catalogue()
    assert grantable(catalogue, HISTORY, 2).version == 2
    with pytest.raises(FailedPrecondition) as superseded:
        grantable(catalogue, HISTORY, 1)
    assert superseded.value.metadata == {"current_version": "2"}
    with pytest.raises(InvalidArgument) as unknown:
        grantable(catalogue, HISTORY, 3)
    assert unknown.value.violations[0].field == "purpose_version"
    with pytest.raises(InvalidArgument) as no_consent:
        grantable(CATALOGUE, "complaint-handling", 1)
    assert no_consent.value.violations[0].field == "purpose"


AGENT = frozenset({"agent"})
SYSTEM = frozenset({"system"})


def test_an_agent_records_in_their_own_name_and_self_service_is_for_the_front_end() -> None:
    by_agent = check_capture(Capture("counter", CaptureMethod.AGENT), "agent-7", AGENT)
    assert by_agent.agent_id == "agent-7"
    with pytest.raises(PermissionDenied):
        check_capture(Capture("counter", CaptureMethod.AGENT, "agent-8"), "agent-7", AGENT)
    on_behalf = check_capture(Capture("phone", CaptureMethod.AGENT, "agent-8"), "crm", SYSTEM)
    assert on_behalf.agent_id == "agent-8"
    self_service = Capture("web_form", CaptureMethod.SELF_SERVICE)
    assert check_capture(self_service, "mijn-gemeente", SYSTEM) == self_service
    with pytest.raises(PermissionDenied):
        check_capture(self_service, "agent-7", AGENT)
    with pytest.raises(InvalidArgument):
        check_capture(replace(self_service, agent_id="agent-7"), "mijn-gemeente", SYSTEM)


def test_expiry_must_lie_in_the_future_and_names_must_be_consent_names() -> None:
    check_expiry(None, START)
    check_expiry(START + timedelta(seconds=1), START)
    with pytest.raises(InvalidArgument):
        check_expiry(START, START)
    assert consent_id("consents/" + "0f" * 16) == "0f" * 16
    for bad in ("", "consents/", "consents/XYZ", "other/" + "0" * 32, "consents/" + "0" * 33):
        with pytest.raises(InvalidArgument):
            consent_id(bad)
