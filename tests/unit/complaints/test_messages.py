"""Shape checks of the ComplaintsService requests: each bad field is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.common.errors import FieldViolation
from stadskamer.complaints import messages
from stadskamer.complaints.domain import Status
from tests.support.tagged import tagged
from tests.unit.complaints.factories import complaint

SUBJECT = tagged("klachten")

NAME = "complaints/0f6ad1c0-8a7e-4c1f-9d3e-1b2c3d4e5f60"


def _file(**changes: object) -> pb.FileComplaintRequest:
    fields: dict[str, object] = {
        "request_id": "req-1",
        "subject": SUBJECT,
        "channel": channel_pb2.CHANNEL_WEB_FORM,
        "org_unit": "burgerzaken",
        "description": "De balie was dicht.",
    }
    fields.update(changes)
    return pb.FileComplaintRequest(**fields)  # type: ignore[arg-type]


def _fields(violations: list[FieldViolation]) -> list[str]:
    return [v.field for v in violations]


def test_a_complete_filing_has_no_violations() -> None:
    assert messages.file_violations(_file()) == []
    assert messages.file_violations(_file(contact_id="c0ffee-1", about_official=True)) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"request_id": "has space"}, "request_id"),
        ({"request_id": "x" * 129}, "request_id"),
        ({"subject": b""}, "subject"),
        ({"subject": bytes(95)}, "subject"),
        ({"subject": bytes(96)}, "subject"),
        ({"subject": tagged("kcc")}, "subject"),
        ({"subject": SUBJECT + b"x"}, "subject"),
        ({"channel": 0}, "channel"),
        ({"channel": 99}, "channel"),
        ({"org_unit": ""}, "org_unit"),
        ({"org_unit": "Burgerzaken"}, "org_unit"),
        ({"description": ""}, "description"),
        ({"description": "   \n"}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"contact_id": "not a/valid id"}, "contact_id"),
        ({"receive_time": Timestamp(seconds=0)}, "receive_time"),
    ],
)
def test_each_bad_filing_field_is_named(changes: dict[str, object], field: str) -> None:
    assert _fields(messages.file_violations(_file(**changes))) == [field]


def test_the_description_limit_is_5000_characters() -> None:
    assert messages.file_violations(_file(description="é" * 5000)) == []


@given(st.text(max_size=60).map(lambda t: "geheim " + t), st.booleans())
def test_a_violation_never_repeats_the_description(text: str, too_long: bool) -> None:
    description = text * 200 if too_long else text
    for violation in messages.file_violations(_file(description=description, subject=b"")):
        assert "geheim" not in violation.description


@pytest.mark.parametrize(
    ("get_request", "fields"),
    [
        (pb.GetComplaintRequest(name=NAME), []),
        (pb.GetComplaintRequest(case_number="KL-2026-000001"), []),
        (pb.GetComplaintRequest(), ["name"]),
        (pb.GetComplaintRequest(name="contacts/1"), ["name"]),
        (pb.GetComplaintRequest(name=NAME, case_number="KL-2026-000001"), ["case_number"]),
    ],
)
def test_get_needs_a_name_or_a_case_number(
    get_request: pb.GetComplaintRequest, fields: list[str]
) -> None:
    assert _fields(messages.get_violations(get_request)) == fields


def test_list_filters_are_checked() -> None:
    assert messages.list_violations(pb.ListComplaintsRequest()) == []
    bad = pb.ListComplaintsRequest(
        status=9, deadline=7, coordinator="A B", org_unit="-x", page_size=-1, page_token="x" * 2000
    )
    assert _fields(messages.list_violations(bad)) == [
        "status",
        "deadline",
        "coordinator",
        "org_unit",
        "page_size",
        "page_token",
    ]
    both = pb.ListComplaintsRequest(overdue=True, due_within_days=3)
    assert _fields(messages.list_violations(both)) == ["due_within_days"]
    far = pb.ListComplaintsRequest(due_within_days=400)
    assert _fields(messages.list_violations(far)) == ["due_within_days"]
    assert messages.list_query(pb.ListComplaintsRequest(due_within_days=0)).due_within_days == 0
    assert messages.list_query(pb.ListComplaintsRequest()).due_within_days is None


def test_the_citizen_filter_takes_one_pseudonym_and_a_grant_only_with_the_encrypted_one() -> None:
    since = Timestamp(seconds=1_800_000_000)
    bound = tagged("klachten", grant_id="g" * 32)
    linked = pb.ListComplaintsRequest(
        encrypted_subject=bound, link_grant="a.b.c", start_time=since, include_open=True
    )
    assert messages.list_violations(linked) == []
    query = messages.list_query(linked)
    assert (query.subject.encrypted, query.subject.link_grant) == (bound, "a.b.c")
    assert query.include_open and query.start == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert messages.list_violations(pb.ListComplaintsRequest(subject=SUBJECT)) == []
    bad = pb.ListComplaintsRequest(
        subject=bytes(96),
        encrypted_subject=tagged("kcc"),
        link_grant="x" * 5000,
        start_time=Timestamp(seconds=0),
    )
    assert _fields(messages.list_violations(bad)) == [
        "subject",
        "encrypted_subject",
        "encrypted_subject",
        "link_grant",
        "start_time",
    ]
    alone = pb.ListComplaintsRequest(subject=SUBJECT, link_grant="a.b.c", include_open=True)
    assert _fields(messages.list_violations(alone)) == ["link_grant", "include_open"]
    ungranted = pb.ListComplaintsRequest(encrypted_subject=bound)
    assert _fields(messages.list_violations(ungranted)) == ["encrypted_subject"]


def test_lifecycle_requests_are_checked() -> None:
    hearing = pb.HANDLING_FORM_HEARING
    assert messages.callback_violations(pb.RecordCallbackRequest(name=NAME, handling_form=1)) == []
    assert _fields(messages.callback_violations(pb.RecordCallbackRequest(name=NAME))) == [
        "handling_form"
    ]
    committee = pb.RecordCallbackRequest(name=NAME, handling_form=1, advisory_committee=True)
    assert _fields(messages.callback_violations(committee)) == ["advisory_committee"]
    ok = pb.ChooseHandlingFormRequest(name=NAME, handling_form=hearing, advisory_committee=True)
    assert messages.form_violations(ok) == []
    assert _fields(messages.reassign_violations(pb.ReassignComplaintRequest(name=NAME))) == [
        "coordinator",
        "reason",
    ]
    long = pb.ExtendDecisionDeadlineRequest(name=NAME, reason="x" * 501)
    assert _fields(messages.extend_violations(long)) == ["reason"]
    assert _fields(messages.name_violations(pb.CloseComplaintRequest(name="complaints/"))) == [
        "name"
    ]


@pytest.mark.parametrize(
    ("outcome", "org_unit", "reason", "fields"),
    [
        (pb.OUTCOME_FOUNDED, "kcc", 0, []),
        (pb.OUTCOME_NOT_HANDLED, "kcc", pb.NOT_HANDLED_REASON_INCOMPLETE, []),
        (pb.OUTCOME_NOT_HANDLED, "kcc", 0, ["not_handled_reason"]),
        (pb.OUTCOME_UNFOUNDED, "kcc", pb.NOT_HANDLED_REASON_INCOMPLETE, ["not_handled_reason"]),
        (0, "kcc", 0, ["outcome"]),
        (pb.OUTCOME_FOUNDED, "", 0, ["handled_by_org_unit"]),
    ],
)
def test_a_decision_needs_an_outcome_a_unit_and_a_reason_when_not_handled(
    outcome: int, org_unit: str, reason: int, fields: list[str]
) -> None:
    request = pb.DecideComplaintRequest(
        name=NAME,
        outcome=outcome,  # type: ignore[arg-type]
        handled_by_org_unit=org_unit,
        not_handled_reason=reason,  # type: ignore[arg-type]
    )
    assert _fields(messages.decide_violations(request)) == fields


def test_stats_need_both_bounds() -> None:
    assert _fields(messages.stats_violations(pb.GetComplaintStatsRequest())) == [
        "start_time",
        "end_time",
    ]


def test_the_complaint_message_carries_the_clocks() -> None:
    message = messages.complaint_message(complaint(Status.RECEIVED), datetime(2026, 3, 10).date())
    assert message.name == NAME
    assert message.callback_due_date == "2026-03-09"
    assert message.callback_overdue
    assert message.decision_due_date == "2026-04-13"
    assert message.status == pb.COMPLAINT_STATUS_RECEIVED
    assert message.suggested_handling_form == pb.HANDLING_FORM_INFORMAL
    assert not message.HasField("callback_time")
    assert message.assignments[0].coordinator == "centraal"
    assert messages.to_datetime(message.receive_time) == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
