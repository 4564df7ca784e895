"""The linking policy, table-driven over the shipped policy file, plus its parsing rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.common.settings import ConfigurationError
from stadskamer.consent.catalogue import load_catalogue
from stadskamer.consent.policy import (
    Decision,
    Direction,
    Rule,
    Situation,
    Verdict,
    load_policy,
    parse_policy,
)

CATALOGUE = load_catalogue()
POLICY = load_policy(CATALOGUE)
HISTORY = "integrated-contact-history"
CONSENT_RULE = "kcc-contact-history-with-consent"
NEVER_RULE = "burgerzaken-never-sociale-zaken"

# requester, target, purpose → verdict, rule id
DEFAULT_POLICY_TABLE = [
    ("kcc", "kcc", HISTORY, Verdict.OWN_DOMAIN, ""),
    ("burgerzaken", "burgerzaken", "research-panel", Verdict.OWN_DOMAIN, ""),
    ("burgerzaken", "sociale-zaken", HISTORY, Verdict.NEVER, NEVER_RULE),
    ("burgerzaken", "sociale-zaken", "complaint-handling", Verdict.NEVER, NEVER_RULE),
    ("kcc", "burgerzaken", HISTORY, Verdict.NEEDS_CONSENT, CONSENT_RULE),
    ("kcc", "belastingen", HISTORY, Verdict.NEEDS_CONSENT, CONSENT_RULE),
    ("kcc", "klachten", HISTORY, Verdict.NEEDS_CONSENT, CONSENT_RULE),
    ("kcc", "sociale-zaken", HISTORY, Verdict.NEEDS_CONSENT, CONSENT_RULE),
    ("kcc", "onderzoek", HISTORY, Verdict.NO_RULE, ""),
    ("kcc", "burgerzaken", "research-panel", Verdict.NO_RULE, ""),
    ("burgerzaken", "kcc", HISTORY, Verdict.NO_RULE, ""),
    ("sociale-zaken", "burgerzaken", HISTORY, Verdict.NO_RULE, ""),
    (
        "onderzoek",
        "kcc",
        "research-panel",
        Verdict.NEEDS_CONSENT,
        "onderzoek-research-panel-with-consent",
    ),
    (
        "klachten",
        "kcc",
        "complaint-callback",
        Verdict.NEEDS_CONSENT,
        "klachten-complaint-callback-with-consent",
    ),
    (
        "onderzoek",
        "klachten",
        "survey-followup-call",
        Verdict.NEEDS_CONSENT,
        "onderzoek-survey-followup-with-consent",
    ),
    (
        "klachten",
        "kcc",
        "complaint-handling",
        Verdict.TRIGGER_MISSING,
        "klachten-complaint-handling-awb",
    ),
    ("onderzoek", "kcc", "satisfaction-survey", Verdict.NO_RULE, ""),
    ("kcc", "klachten", "complaint-handling", Verdict.NO_RULE, ""),
    ("gemeentewerken", "kcc", HISTORY, Verdict.NO_RULE, ""),
]


@pytest.mark.parametrize(
    ("requester", "target", "purpose", "verdict", "rule"), DEFAULT_POLICY_TABLE
)
def test_the_default_policy_decides_as_documented(
    requester: str, target: str, purpose: str, verdict: Verdict, rule: str
) -> None:
    decision = POLICY.decide(requester, target, purpose)
    assert (decision.verdict, decision.rule_id) == (verdict, rule)


def test_a_legal_basis_rule_carries_its_legal_basis() -> None:
    decision = POLICY.decide("klachten", "kcc", "complaint-handling", WITH_CASE)
    assert "Awb" in decision.legal_basis


WITH_CASE = Situation(Direction.PULL, "complaints/42", stored_reference=True)
PULL, PUSH = Situation(Direction.PULL), Situation(Direction.PUSH)
CASE_WITHOUT_REFERENCE = Situation(Direction.PULL, "complaints/42", stored_reference=False)


def _verdicts(rule: Rule) -> dict[str, Verdict]:
    """The verdict of each situation for the rule's first requester, target and purpose."""
    requester, target, purpose = (
        sorted(rule.requesters)[0],
        sorted(rule.targets)[0],
        sorted(rule.purposes - {"*"} or CATALOGUE.ids())[0],
    )
    situations = {
        "pull": PULL,
        "push": PUSH,
        "pull+case": WITH_CASE,
        "push+case": Situation(Direction.PUSH, "complaints/42", stored_reference=True),
        "pull+case-without-reference": CASE_WITHOUT_REFERENCE,
    }
    return {
        name: POLICY.decide(requester, target, purpose, situation).verdict
        for name, situation in situations.items()
    }


ALLOW = {Verdict.NEEDS_CONSENT, Verdict.LEGAL_BASIS}
# Every rule of policy.toml × pull/push × with/without its trigger → allowed or denied.
RULE_MATRIX = {
    "burgerzaken-never-sociale-zaken": dict.fromkeys(
        ["pull", "push", "pull+case", "push+case", "pull+case-without-reference"], False
    ),
    "kcc-contact-history-with-consent": {
        "pull": True,
        "push": False,
        "pull+case": True,
        "push+case": False,
        "pull+case-without-reference": True,
    },
    "onderzoek-research-panel-with-consent": {
        "pull": True,
        "push": False,
        "pull+case": True,
        "push+case": False,
        "pull+case-without-reference": True,
    },
    "klachten-complaint-callback-with-consent": {
        "pull": True,
        "push": False,
        "pull+case": True,
        "push+case": False,
        "pull+case-without-reference": True,
    },
    "onderzoek-survey-followup-with-consent": {
        "pull": True,
        "push": False,
        "pull+case": True,
        "push+case": False,
        "pull+case-without-reference": True,
    },
    "klachten-complaint-handling-awb": {
        "pull": False,
        "push": False,
        "pull+case": True,
        "push+case": False,
        "pull+case-without-reference": False,
    },
    "onderzoek-satisfaction-survey-public-task": {
        "pull": False,
        "push": True,
        "pull+case": False,
        "push+case": True,
        "pull+case-without-reference": False,
    },
}


def test_the_matrix_names_every_rule_of_the_policy() -> None:
    assert set(RULE_MATRIX) == {rule.id for rule in POLICY.rules}


@pytest.mark.parametrize("rule_id", sorted(RULE_MATRIX))
def test_each_rule_opens_only_the_situation_it_is_for(rule_id: str) -> None:
    [rule] = [r for r in POLICY.rules if r.id == rule_id]
    verdicts = _verdicts(rule)
    assert {name: v in ALLOW for name, v in verdicts.items()} == RULE_MATRIX[rule_id]


names = st.sampled_from(
    ["kcc", "burgerzaken", "sociale-zaken", "belastingen", "klachten", "onderzoek", "x-y"]
)


@given(purpose=st.sampled_from(sorted(CATALOGUE.ids())))
def test_burgerzaken_never_receives_sociale_zaken_data_for_any_purpose(purpose: str) -> None:
    assert POLICY.decide("burgerzaken", "sociale-zaken", purpose).verdict is Verdict.NEVER


@given(requester=names, target=names, purpose=st.sampled_from(sorted(CATALOGUE.ids())))
def test_combinations_without_a_rule_are_denied(requester: str, target: str, purpose: str) -> None:
    decision = POLICY.decide(requester, target, purpose)
    matched = any(rule.matches(requester, target, purpose) for rule in POLICY.rules)
    if not matched and requester != target:
        assert decision == Decision(Verdict.NO_RULE)


def _rule(rule_id: str, effect: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "effect": effect,
        "requesters": ["kcc"],
        "targets": ["burgerzaken"],
        "purposes": [HISTORY],
        **fields,
    }


def test_never_wins_over_an_earlier_allow_and_over_the_own_domain() -> None:
    policy = parse_policy(
        {
            "rules": [
                _rule("allow-first", "ALLOW_WITH_CONSENT"),
                _rule("never-later", "NEVER", purposes=["*"]),
                _rule("own-never", "NEVER", requesters=["kcc"], targets=["kcc"], purposes=["*"]),
            ]
        },
        CATALOGUE,
        "test",
    )
    assert policy.decide("kcc", "burgerzaken", HISTORY) == Decision(Verdict.NEVER, "never-later")
    assert policy.decide("kcc", "kcc", HISTORY) == Decision(Verdict.NEVER, "own-never")


def test_the_first_matching_allow_rule_decides_and_wildcards_match_anything() -> None:
    policy = parse_policy(
        {
            "rules": [
                _rule("basis", "ALLOW_BY_LEGAL_BASIS", targets=["*"], legal_basis="art. 6(1)(e)"),
                _rule("consent", "ALLOW_WITH_CONSENT"),
            ]
        },
        CATALOGUE,
        "test",
    )
    assert policy.decide("kcc", "onderzoek", HISTORY) == Decision(
        Verdict.LEGAL_BASIS, "basis", "art. 6(1)(e)"
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([_rule("a", "ALLOW_WITH_CONSENT", purposes=["complaint-handling"])], "take consent"),
        ([_rule("a", "ALLOW_WITH_CONSENT", purposes=["*"])], "take consent"),
        ([_rule("a", "ALLOW_WITH_CONSENT", purposes=["no-such-purpose"])], "unknown purposes"),
        ([_rule("a", "ALLOW_BY_LEGAL_BASIS")], "legal_basis"),
        ([_rule("a", "NEVER", legal_basis="art. 6")], "legal_basis"),
        ([_rule("a", "MAYBE")], "MAYBE"),
        ([_rule("a", "NEVER", directions=["sideways"])], "sideways"),
        ([_rule("a", "NEVER", directions=[])], "directions"),
        ([_rule("a", "NEVER", trigger="moon")], "unknown trigger"),
        ([_rule("a", "NEVER", targets=[])], "non-empty"),
        ([_rule("A B", "NEVER")], "lower-case"),
        ([_rule("a", "NEVER"), _rule("a", "NEVER")], "unique"),
        ([{"id": "a"}], "effect"),
    ],
)
def test_an_invalid_policy_is_refused_at_start(rules: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_policy({"rules": rules}, CATALOGUE, "policy.toml")
