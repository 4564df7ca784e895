"""The complaint lifecycle: the transition table, the actions and the deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from stadskamer.common.errors import FailedPrecondition
from stadskamer.complaints import domain
from stadskamer.complaints.deadlines import DeadlinePolicy
from stadskamer.complaints.domain import (
    Assignment,
    HandlingForm,
    NotHandledReason,
    Outcome,
    Status,
    can_transition,
    format_case_number,
    require_transition,
)
from tests.unit.complaints.factories import POLICY, RECEIVED_AT, complaint

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
ALLOWED = {
    (Status.RECEIVED, Status.IN_HANDLING),
    (Status.RECEIVED, Status.WITHDRAWN),
    (Status.IN_HANDLING, Status.DECIDED),
    (Status.IN_HANDLING, Status.WITHDRAWN),
    (Status.DECIDED, Status.CLOSED),
    (Status.DECIDED, Status.WITHDRAWN),
}


@pytest.mark.parametrize(("current", "target"), list(product(Status, Status)))
def test_the_transition_table_allows_exactly_the_lifecycle(current: Status, target: Status) -> None:
    assert can_transition(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        require_transition(current, target)
    else:
        with pytest.raises(FailedPrecondition) as raised:
            require_transition(current, target)
        assert raised.value.reason == "INVALID_STATUS_TRANSITION"
        assert raised.value.metadata == {"status": current.name, "target_status": target.name}


def _act(action: str, status: Status) -> domain.Complaint:
    subject = complaint(status)
    if action == "callback":
        return domain.record_callback(subject, NOW, HandlingForm.INFORMAL, False, POLICY, NOW)
    if action == "decide":
        return domain.decide(subject, Outcome.FOUNDED, "burgerzaken", None, NOW)
    if action == "close":
        return domain.close(subject, NOW)
    return domain.withdraw(subject, NOW)


ACTIONS = {
    "callback": Status.IN_HANDLING,
    "decide": Status.DECIDED,
    "close": Status.CLOSED,
    "withdraw": Status.WITHDRAWN,
}


@pytest.mark.parametrize(("action", "status"), list(product(ACTIONS, Status)))
def test_each_action_moves_only_from_the_statuses_the_table_allows(
    action: str, status: Status
) -> None:
    target = ACTIONS[action]
    if (status, target) in ALLOWED:
        changed = _act(action, status)
        assert changed.status is target
        assert changed.updated_at == NOW
    else:
        with pytest.raises(FailedPrecondition):
            _act(action, status)


def test_the_call_back_stops_the_clock_and_records_the_choice() -> None:
    called = domain.record_callback(complaint(), NOW, HandlingForm.HEARING, True, POLICY, NOW)
    assert called.callback_at == NOW
    assert called.handling_form is HandlingForm.HEARING
    assert called.advisory_committee
    assert called.decision_due == date(2026, 5, 11)  # 10 weeks after Monday 2 March
    assert called.callback_within_norm
    assert not called.callback_overdue(date(2027, 1, 1))


def test_the_call_back_clock_is_overdue_after_the_due_date_only() -> None:
    received = complaint()
    assert received.callback_due == date(2026, 3, 9)
    assert not received.callback_overdue(date(2026, 3, 9))
    assert received.callback_overdue(date(2026, 3, 10))
    late = domain.record_callback(
        received, datetime(2026, 3, 10, 8, tzinfo=UTC), HandlingForm.INFORMAL, False, POLICY, NOW
    )
    assert not late.callback_within_norm


def test_the_suggested_form_is_a_three_way_conversation_about_an_official() -> None:
    assert complaint(about_official=True).suggested_handling_form is (
        HandlingForm.THREE_WAY_CONVERSATION
    )
    assert complaint().suggested_handling_form is HandlingForm.INFORMAL


def test_the_handling_form_changes_only_in_handling_and_moves_the_deadline() -> None:
    with pytest.raises(FailedPrecondition, match="IN_HANDLING"):
        domain.choose_handling_form(complaint(), HandlingForm.HEARING, True, POLICY, NOW)
    handled = complaint(Status.IN_HANDLING)
    committee = domain.choose_handling_form(handled, HandlingForm.HEARING, True, POLICY, NOW)
    assert committee.decision_due == date(2026, 5, 11)
    informal = domain.choose_handling_form(committee, HandlingForm.INFORMAL, False, POLICY, NOW)
    assert informal.decision_due == date(2026, 4, 13)  # 6 weeks after 2 March


def test_the_decision_deadline_extends_once_by_four_weeks() -> None:
    extended = domain.extend_decision_deadline(complaint(), "Advies nodig", POLICY, NOW)
    assert extended.decision_due == date(2026, 5, 11)
    assert extended.decision_deadline_extended
    assert extended.extension_reason == "Advies nodig"
    with pytest.raises(FailedPrecondition) as raised:
        domain.extend_decision_deadline(extended, "Nog eens", POLICY, NOW)
    assert raised.value.reason == "DEADLINE_ALREADY_EXTENDED"


def test_an_extended_committee_hearing_has_fourteen_weeks() -> None:
    handled = domain.record_callback(complaint(), NOW, HandlingForm.HEARING, True, POLICY, NOW)
    extended = domain.extend_decision_deadline(handled, "Commissie", POLICY, NOW)
    assert extended.decision_due == date(2026, 6, 8)


def test_an_extension_after_the_deadline_or_decision_is_refused() -> None:
    late = datetime(2026, 4, 14, 9, tzinfo=UTC)
    with pytest.raises(FailedPrecondition) as raised:
        domain.extend_decision_deadline(complaint(), "Te laat", POLICY, late)
    assert raised.value.reason == "DEADLINE_PASSED"
    with pytest.raises(FailedPrecondition) as stopped:
        domain.extend_decision_deadline(complaint(Status.DECIDED), "Klaar", POLICY, NOW)
    assert stopped.value.reason == "DECISION_CLOCK_STOPPED"


def test_the_decision_clock_is_overdue_while_open_only() -> None:
    later = date(2026, 4, 14)
    assert complaint().decision_overdue(later)
    assert complaint(Status.IN_HANDLING).decision_overdue(later)
    assert not complaint(Status.DECIDED).decision_overdue(later)
    assert not complaint(Status.IN_HANDLING).decision_overdue(date(2026, 4, 13))


def test_a_decision_keeps_the_not_handled_reason_only_when_not_handled() -> None:
    handled = complaint(Status.IN_HANDLING)
    reason = NotHandledReason.OLDER_THAN_ONE_YEAR
    not_handled = domain.decide(handled, Outcome.NOT_HANDLED, "kcc", reason, NOW)
    assert not_handled.not_handled_reason is reason
    assert not_handled.handled_by_org_unit == "kcc"
    founded = domain.decide(handled, Outcome.FOUNDED, "kcc", reason, NOW)
    assert founded.not_handled_reason is None
    assert founded.decided_at == NOW


def test_reassignment_appends_to_the_history_of_an_open_complaint() -> None:
    moved = domain.reassign(
        complaint(), Assignment("decentraal-belastingen", "Belasting", "c", NOW)
    )
    assert moved.coordinator == "decentraal-belastingen"
    assert [a.coordinator for a in moved.assignments] == ["centraal", "decentraal-belastingen"]
    with pytest.raises(FailedPrecondition) as same:
        domain.reassign(moved, Assignment("decentraal-belastingen", "Nogmaals", "c", NOW))
    assert same.value.reason == "ALREADY_ASSIGNED"
    with pytest.raises(FailedPrecondition) as closed:
        domain.reassign(complaint(Status.DECIDED), Assignment("x", "Reden", "c", NOW))
    assert closed.value.reason == "COMPLAINT_NOT_OPEN"


def test_case_numbers_have_six_digits_and_widen_beyond() -> None:
    assert format_case_number(2026, 123) == "KL-2026-000123"
    assert format_case_number(2026, 1_234_567) == "KL-2026-1234567"


def test_the_call_back_norm_is_configurable() -> None:
    three = DeadlinePolicy(callback_working_days=3)
    assert three.callback_due(RECEIVED_AT) == date(2026, 3, 5)
    with pytest.raises(ValueError, match="call-back norm"):
        DeadlinePolicy(callback_working_days=0)


def test_the_receipt_day_is_the_dutch_date() -> None:
    sunday_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday 00:30 in Amsterdam
    assert POLICY.callback_due(sunday_evening_utc) == date(2026, 3, 9)
    late = replace(complaint(), received_at=sunday_evening_utc)
    assert POLICY.decision_due(late.received_at, False, False) == date(2026, 4, 13)
    assert POLICY.decision_due(late.received_at - timedelta(hours=1), False, False) == date(
        2026, 4, 13
    )
