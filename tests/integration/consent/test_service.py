"""The consent use cases on SQLite and PostgreSQL: idempotency, withdrawal, expiry, fail-closed,
and the tagged subjects (audience, kind, stored references, grants bound to the tag)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from stadskamer.common import link_grants
from stadskamer.common.auth import Principal
from stadskamer.common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    StadskamerError,
    Unavailable,
)
from stadskamer.consent.access import LinkQuery
from stadskamer.consent.domain import (
    Capture,
    CaptureMethod,
    Consent,
    Denial,
    WithdrawalReason,
)
from stadskamer.pep import tags
from stadskamer.pep.tags import Kind
from tests.integration.consent.harness import HISTORY, Harness, build_harness, grant_command
from tests.unit.consent.fakes import agent, consent_pseudonym, subject

AGENT = agent()


def _check(person: int = 1, **changes: object) -> LinkQuery:
    """The KCC's question for the burgerzaken contacts of ``person`` (a fresh kcc subject)."""
    return replace(LinkQuery(subject(person), HISTORY, "kcc", "burgerzaken"), **changes)


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    """The use cases on a fresh database."""
    built = build_harness(database_url)
    yield built
    built.engine.dispose()


def test_a_retried_grant_returns_the_first_consent_and_writes_nothing_new(
    harness: Harness,
) -> None:
    first = harness.consents.grant(AGENT, grant_command())
    harness.clock.advance(timedelta(seconds=5))
    again = harness.consents.grant(AGENT, grant_command())
    assert again == first and harness.rows() == 1
    assert [r.status for r in harness.log.records] == ["OK", "REPLAYED"]
    with pytest.raises(FailedPrecondition) as reused:
        harness.consents.grant(AGENT, grant_command(purpose="research-panel"))
    assert reused.value.reason == "REQUEST_ID_REUSED" and harness.rows() == 1


def test_concurrent_retries_of_one_request_make_one_consent(harness: Harness) -> None:
    start = threading.Barrier(4)
    results: list[Consent] = []
    failures: list[BaseException] = []

    def retry() -> None:
        start.wait()
        try:
            results.append(harness.consents.grant(AGENT, grant_command("same-request")))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len({c.name for c in results}) == 1 and len(results) == 4
    assert harness.rows() == 1


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (grant_command(purpose="marketing"), "purpose"),
        (grant_command(purpose_version=7), "purpose_version"),
        (grant_command(purpose="complaint-handling"), "purpose"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    harness: Harness, command: object, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        harness.consents.grant(AGENT, command)  # type: ignore[arg-type]
    assert refused.value.violations[0].field == field
    assert harness.rows() == 0 and harness.log.records == [] and harness.pseudonyms.calls == []


def test_an_expiry_in_the_past_is_refused(harness: Harness) -> None:
    past = harness.clock() - timedelta(seconds=1)
    with pytest.raises(InvalidArgument) as refused:
        harness.consents.grant(AGENT, grant_command(expires_at=past))
    assert refused.value.violations[0].field == "expire_time" and harness.rows() == 0


def test_an_unreachable_pseudonym_service_or_processing_log_leaves_nothing_done(
    harness: Harness,
) -> None:
    harness.pseudonyms.available = False
    with pytest.raises(Unavailable):
        harness.consents.grant(AGENT, grant_command())
    harness.pseudonyms.available = True
    harness.log.failing = True
    with pytest.raises(Unavailable):
        harness.consents.grant(AGENT, grant_command())
    assert harness.rows() == 0
    harness.log.failing = False
    consent = harness.consents.grant(AGENT, grant_command())
    harness.log.failing = True
    with pytest.raises(Unavailable):
        harness.consents.withdraw(AGENT, consent.name, WithdrawalReason.CITIZEN_REQUEST)
    with pytest.raises(Unavailable):
        harness.access.check(AGENT, _check())
    with pytest.raises(Unavailable):
        harness.access.issue_link_grant(AGENT, _check())
    harness.log.failing = False
    assert harness.access.check(AGENT, _check()).allowed


def test_withdrawal_takes_effect_on_the_next_check_and_keeps_the_history(
    harness: Harness,
) -> None:
    consent = harness.consents.grant(AGENT, grant_command())
    assert harness.access.check(AGENT, _check()).consent_name == consent.name
    harness.clock.advance(timedelta(minutes=3))
    withdrawn = harness.consents.withdraw(AGENT, consent.name, WithdrawalReason.CITIZEN_REQUEST)
    assert harness.access.check(AGENT, _check()).denial is Denial.CONSENT_WITHDRAWN
    stored = harness.consents.get(agent(name="agent-9"), consent.name)
    assert stored == withdrawn and stored.given_at == consent.given_at
    assert stored.withdrawn_at == consent.given_at + timedelta(minutes=3)
    assert stored.receipt == consent.receipt and stored.withdrawal_receipt
    with pytest.raises(FailedPrecondition):
        harness.consents.withdraw(AGENT, consent.name, WithdrawalReason.PURPOSE_ENDED)
    with pytest.raises(NotFound):
        harness.consents.withdraw(AGENT, "consents/" + "0" * 32, WithdrawalReason.PURPOSE_ENDED)
    assert harness.rows() == 1


def test_a_consent_stops_allowing_at_its_expiry(harness: Harness) -> None:
    expiry = harness.clock() + timedelta(days=30)
    harness.consents.grant(AGENT, grant_command(expires_at=expiry))
    harness.clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert harness.access.check(AGENT, _check()).allowed
    harness.clock.advance(timedelta(seconds=1))
    assert harness.access.check(AGENT, _check()).denial is Denial.CONSENT_EXPIRED


def test_a_link_grant_is_bound_to_the_tag_and_its_presenter_and_verifies_with_the_consent_key(
    harness: Harness,
) -> None:
    consent = harness.consents.grant(AGENT, grant_command())
    query = _check()
    issued = harness.access.issue_link_grant(AGENT, query)
    grant = link_grants.verify(issued.token, harness.key.public_key(), harness.clock())
    assert grant.is_for(tags.parse(query.subject).use_key()) and not grant.is_for(query.subject)
    assert not grant.is_for(tags.parse(subject(1)).use_key())
    assert grant.basis == consent.name and grant.presenter == AGENT.subject
    assert (grant.requester_domain, grant.target_domain) == ("kcc", "burgerzaken")
    record = harness.log.records[-1]
    assert (record.name, record.reference, record.basis) == (
        "link-grant.issue",
        f"link-grants/{grant.grant_id}",
        consent.name,
    )
    with pytest.raises(PermissionDenied) as refused:
        harness.access.issue_link_grant(AGENT, _check(2))
    assert refused.value.reason == "NO_CONSENT"
    assert harness.log.records[-1].status == "DENIED:NO_CONSENT"


def test_a_subjects_consents_are_listed_page_by_page(harness: Harness) -> None:
    given = {harness.consents.grant(AGENT, grant_command(f"req-{i}")).id for i in range(3)}
    harness.consents.grant(AGENT, grant_command("other", person=2))
    officer = Principal("privacy-1", frozenset({"kcc"}), frozenset({"privacy-officer"}))
    first, token = harness.consents.list(officer, subject(1), 2, "")
    second, last = harness.consents.list(officer, subject(1), 2, token)
    assert (len(first), len(second), last) == (2, 1, "")
    assert {c.id for c in first + second} == given
    with pytest.raises(InvalidArgument) as refused:
        harness.consents.list(officer, subject(1), 2, "not-a-token")
    assert refused.value.violations[0].field == "page_token"


@pytest.mark.parametrize(
    ("caller", "action"),
    [
        (Principal("po", frozenset({"kcc"}), frozenset({"privacy-officer"})), "grant"),
        (Principal("an", frozenset({"kcc"}), frozenset({"analyst"})), "list"),
        (agent(("burgerzaken",)), "check"),
        (Principal("po", frozenset({"kcc"}), frozenset({"privacy-officer"})), "check"),
    ],
)
def test_callers_without_the_role_or_domain_are_refused(
    harness: Harness, caller: Principal, action: str
) -> None:
    calls = {
        "grant": lambda: harness.consents.grant(caller, grant_command()),
        "list": lambda: harness.consents.list(caller, subject(1), 0, ""),
        "check": lambda: harness.access.check(caller, _check()),
    }
    with pytest.raises(PermissionDenied):
        calls[action]()
    assert harness.rows() == 0 and harness.log.records == []


def test_errors_never_carry_the_subject(harness: Harness) -> None:
    harness.consents.grant(AGENT, grant_command())
    query = _check(3)
    with pytest.raises(StadskamerError) as refused:
        harness.access.issue_link_grant(AGENT, query)
    text = f"{refused.value} {refused.value.metadata}"
    assert query.subject.hex() not in text and consent_pseudonym(3).hex() not in text


def test_a_domain_service_records_a_consent_for_its_own_issued_pseudonym(
    harness: Harness,
) -> None:
    surveys = Principal("surveys-service", frozenset({"onderzoek"}), frozenset({"service"}))
    command = grant_command(
        "followup-1",
        purpose="survey-followup-call",
        subject=subject(1, "onderzoek"),
        subject_domain="onderzoek",
        capture=Capture("web-form", CaptureMethod.SELF_SERVICE),
    )
    consent = harness.consents.grant(surveys, command)
    assert consent.subject == consent_pseudonym(1)
    check = LinkQuery(subject(1, "onderzoek"), "survey-followup-call", "onderzoek", "klachten")
    outcome = harness.access.check(surveys, check)
    assert outcome.allowed and outcome.consent_name == consent.name


@pytest.mark.parametrize(
    ("domains", "audience", "subject_domain", "field"),
    [
        (("onderzoek",), "klachten", "", "subject"),
        (("kcc", "onderzoek"), "kcc", "", "subject"),
        (("onderzoek",), "onderzoek", "klachten", "subject_domain"),
    ],
)
def test_a_subject_outside_the_callers_or_the_purposes_domains_is_refused(
    harness: Harness, domains: tuple[str, ...], audience: str, subject_domain: str, field: str
) -> None:
    caller = Principal("svc", frozenset(domains), frozenset({"service"}))
    command = grant_command(
        purpose="survey-followup-call",
        subject=subject(1, audience),
        subject_domain=subject_domain,
        capture=Capture("web-form", CaptureMethod.SELF_SERVICE),
    )
    with pytest.raises(InvalidArgument) as refused:
        harness.consents.grant(caller, command)
    assert refused.value.violations[0].field == field
    assert harness.rows() == 0 and harness.log.records == []
    assert "convert" not in harness.pseudonyms.calls


def test_a_consent_keeps_its_stored_reference_and_later_records_name_the_subject(
    harness: Harness,
) -> None:
    consent = harness.consents.grant(AGENT, grant_command())
    (reference,) = harness.references()
    stored = tags.parse(reference)
    assert (stored.kind, stored.audience) == (Kind.REFERENCE, "consent")
    assert consent.reference == reference
    harness.consents.get(agent(name="agent-9"), consent.name)
    harness.consents.withdraw(AGENT, consent.name, WithdrawalReason.CITIZEN_REQUEST)
    records = harness.log.records
    assert [r.name for r in records] == ["consent.grant", "consent.read", "consent.withdraw"]
    for record in records:
        tag = tags.parse(record.subject_tagged)
        assert tag.audience == "audit/consent" and record.subject == ""
    assert harness.pseudonyms.calls.count("convert") == 1
    assert harness.pseudonyms.calls.count("report") == 2


def test_a_refreshed_stored_reference_records_and_checks_a_consent_like_an_issued_pseudonym(
    harness: Harness,
) -> None:
    surveys = Principal("surveys-service", frozenset({"onderzoek"}), frozenset({"service"}))
    reference = subject(1, "onderzoek", Kind.REFERENCE)
    command = grant_command(
        "followup-2",
        purpose="survey-followup-call",
        subject=reference,
        capture=Capture("web-form", CaptureMethod.SELF_SERVICE),
    )
    consent = harness.consents.grant(surveys, command)
    assert consent.subject == consent_pseudonym(1)
    callback = LinkQuery(
        subject(1, "onderzoek", Kind.REFERENCE), "survey-followup-call", "onderzoek", "klachten"
    )
    issued = harness.access.issue_link_grant(surveys, callback)
    assert issued.outcome.consent_name == consent.name
    assert issued.grant.is_for(tags.parse(callback.subject).use_key())
    assert tags.parse(harness.log.records[-1].subject_tagged).audience == "audit/consent"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (lambda: _check(subject=subject(1, "sociale-zaken")), "subject"),
        (lambda: _check(subject=subject(1, "kcc", Kind.POLYMORPHIC)), "subject"),
        (lambda: _check(subject_domain="burgerzaken"), "subject_domain"),
    ],
)
def test_a_link_subject_of_neither_domain_or_of_another_kind_is_refused(
    harness: Harness, query: object, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        harness.access.check(AGENT, query())  # type: ignore[operator]
    assert refused.value.violations[0].field == field
    assert harness.log.records == [] and "convert" not in harness.pseudonyms.calls


def test_a_refusal_of_the_pseudonym_service_names_the_subject(harness: Harness) -> None:
    harness.pseudonyms.refusal = "IDENTITY_PSEUDONYM"
    with pytest.raises(InvalidArgument) as refused:
        harness.consents.grant(AGENT, grant_command())
    assert refused.value.reason == "IDENTITY_PSEUDONYM"
    assert refused.value.violations[0].field == "subject" and harness.rows() == 0


def test_the_subjects_audience_is_the_direction_the_policy_decides_on(harness: Harness) -> None:
    surveys = Principal("surveys-service", frozenset({"onderzoek"}), frozenset({"service"}))
    pushed = LinkQuery(subject(1, "kcc"), "satisfaction-survey", "onderzoek", "kcc")
    assert harness.access.check(surveys, pushed).allowed
    pulled = replace(pushed, subject=subject(1, "onderzoek"))
    assert harness.access.check(surveys, pulled).denial is Denial.NO_RULE


def test_a_service_reads_a_consent_it_holds_the_name_of_but_lists_none(harness: Harness) -> None:
    consent = harness.consents.grant(AGENT, grant_command())
    surveys = Principal("surveys-service", frozenset({"onderzoek"}), frozenset({"service"}))
    assert harness.consents.get(surveys, consent.name).name == consent.name
    with pytest.raises(PermissionDenied):
        harness.consents.list(surveys, subject(1, "onderzoek"), 0, "")
