"""The transcryptor's rule set over tagged pseudonyms, as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadskamer import pep
from stadskamer.common.errors import InvalidArgument, PermissionDenied
from stadskamer.common.link_grants import LinkGrant
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind
from stadskamer.pseudonyms import tag_rules
from stadskamer.pseudonyms.tag_rules import Caller, decide

KEY = Ed25519PrivateKey.generate()
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CIPHERTEXT = pep.encrypt(pep.identity_point("111222333"), pep.public_key(pep.random_scalar()))

KCC_SERVICE = Caller("contacts", frozenset({"kcc"}), frozenset({"service"}))
KCC_AGENT = Caller("agent-1", frozenset({"kcc"}), frozenset({"agent", "issuer"}))
CONSENT = Caller("consent", frozenset({"consent"}), frozenset({"service"}))
ONDERZOEK = Caller("surveys", frozenset({"onderzoek"}), frozenset({"service"}))


def _tag(kind: Kind = Kind.ENCRYPTED, audience: str = "kcc") -> tags.TaggedPseudonym:
    return tags.sign(
        KEY,
        kind,
        pep.rerandomize(CIPHERTEXT).to_bytes(),
        audience=audience,
        not_after=NOW + timedelta(minutes=5),
        key_version="v1",
    )


def _grant(source: tags.TaggedPseudonym, requester: str, target: str, presenter: str) -> LinkGrant:
    return LinkGrant.create(
        source.use_key(), requester, target, "p", "consents/1", NOW, presenter=presenter
    )


def test_the_audience_claims_an_issued_pseudonym_once_into_a_reference() -> None:
    decision = decide(KCC_SERVICE, _tag(), "kcc", None)
    assert (decision.basis, decision.output_kind, decision.single_use) == (
        tag_rules.CLAIM,
        Kind.REFERENCE,
        True,
    )


@pytest.mark.parametrize(
    ("caller", "kind", "target", "reason"),
    [
        (ONDERZOEK, Kind.ENCRYPTED, "kcc", "NOT_THE_AUDIENCE"),
        (KCC_AGENT, Kind.ENCRYPTED, "kcc", "NOT_THE_AUDIENCE"),
        (KCC_SERVICE, Kind.ENCRYPTED, "sociale-zaken", "LINK_GRANT_REQUIRED"),
        (KCC_SERVICE, Kind.ENCRYPTED, "consent", "LINK_GRANT_REQUIRED"),
        (KCC_AGENT, Kind.ENCRYPTED, "audit", "NOT_THE_AUDIENCE"),
        (ONDERZOEK, Kind.ENCRYPTED, "audit", "NOT_THE_AUDIENCE"),
    ],
)
def test_refusals(caller: Caller, kind: Kind, target: str, reason: str) -> None:
    with pytest.raises(PermissionDenied) as raised:
        decide(caller, _tag(kind), target, None)
    assert raised.value.reason == reason


def test_a_polymorphic_tag_is_never_converted() -> None:
    with pytest.raises(InvalidArgument):
        decide(KCC_SERVICE, _tag(Kind.POLYMORPHIC), "kcc", None)


@pytest.mark.parametrize("audience", ["audit/kcc", "consent", "audit"])
def test_an_oversight_pseudonym_converts_nowhere(audience: str) -> None:
    with pytest.raises(PermissionDenied) as raised:
        decide(KCC_SERVICE, _tag(audience=audience), "kcc", None)
    assert raised.value.reason == "OVERSIGHT_PSEUDONYM"


def test_a_reference_is_refreshed_in_its_own_domain_but_never_claimed() -> None:
    decision = decide(KCC_SERVICE, _tag(Kind.REFERENCE), "kcc", None)
    assert decision.basis == tag_rules.REFRESH and not decision.single_use


def test_the_consent_service_claims_and_reports_its_own_pseudonyms() -> None:
    assert decide(CONSENT, _tag(audience="consent"), "consent", None).basis == tag_rules.CLAIM
    report = decide(CONSENT, _tag(Kind.REFERENCE, audience="consent"), "audit", None)
    assert report.output_audience == "audit/consent"


def test_report_and_oversight_outputs() -> None:
    report = decide(KCC_SERVICE, _tag(Kind.REFERENCE), "audit", None)
    assert (report.output_audience, report.output_requester) == ("audit/kcc", "kcc")
    oversight = decide(CONSENT, _tag(), "consent", None)
    assert oversight.output_audience == "consent" and not oversight.single_use


def test_a_pull_grant_converts_exactly_its_source_for_its_presenter() -> None:
    source = _tag()
    grant = _grant(source, "kcc", "sociale-zaken", "agent-1")
    decision = decide(KCC_AGENT, source, "sociale-zaken", grant)
    assert decision.grant == grant and decision.output_requester == "kcc"
    assert decision.output_expiry == grant.expires_at
    cases = [
        (KCC_AGENT, _tag(), "LINK_GRANT_WRONG_SUBJECT"),
        (
            Caller("agent-2", KCC_AGENT.domains, KCC_AGENT.roles),
            source,
            "LINK_GRANT_WRONG_PRESENTER",
        ),
        (ONDERZOEK, source, "LINK_GRANT_WRONG_REQUESTER"),
    ]
    for caller, presented, reason in cases:
        with pytest.raises(PermissionDenied) as raised:
            decide(caller, presented, "sociale-zaken", grant)
        assert raised.value.reason == reason
    with pytest.raises(PermissionDenied) as raised:
        decide(KCC_AGENT, source, "burgerzaken", grant)
    assert raised.value.reason == "LINK_GRANT_WRONG_TARGET"


def test_a_push_grant_converts_the_targets_pseudonym_into_the_requester() -> None:
    source = _tag(Kind.REFERENCE, audience="klachten")
    grant = _grant(source, "onderzoek", "klachten", "surveys")
    assert decide(ONDERZOEK, source, "onderzoek", grant).output_audience == "onderzoek"
