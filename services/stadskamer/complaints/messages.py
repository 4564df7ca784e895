"""Conversions between the ComplaintsService messages and the domain, and the shape checks.

The checks here need no stored state (presence, lengths, patterns, known enum values); the
rules that depend on a complaint's state are checked in the service layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.common.citizens import tagged_violations
from stadskamer.common.errors import FieldViolation
from stadskamer.complaints import inputs
from stadskamer.complaints.domain import DOMAIN, NAME_PREFIX, Complaint
from stadskamer.complaints.queries import MAX_DUE_WITHIN_DAYS, MAX_PAGE_SIZE, ListQuery
from stadskamer.complaints.stats import ComplaintStats
from stadskamer.complaints.subjects import SubjectFilter

_INVALID_TIME = datetime(1, 1, 1, tzinfo=UTC)
MAX_PAGE_TOKEN_LENGTH = 1024
MAX_CASE_NUMBER_LENGTH = 24
MAX_LINK_GRANT_LENGTH = 4096


def to_datetime(stamp: Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime (year 1 for one out of datetime's range)."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        return _INVALID_TIME


def optional_time(message: object, name: str) -> datetime | None:
    """The datetime of a Timestamp field, or None when it is not set."""
    stamp: Timestamp = getattr(message, name)
    return to_datetime(stamp) if message.HasField(name) else None  # type: ignore[attr-defined]


def timestamp(moment: datetime) -> Timestamp:
    """A datetime as a Timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _duration(value: timedelta | None) -> Duration | None:
    if value is None:
        return None
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


def draft(request: pb.FileComplaintRequest) -> inputs.Draft:
    """The domain draft of a FileComplaintRequest."""
    return inputs.Draft(
        request_id=request.request_id,
        subject=request.subject,
        channel=int(request.channel),
        received_at=optional_time(request, "receive_time"),
        org_unit=request.org_unit,
        about_official=request.about_official,
        description=request.description,
        contact_id=request.contact_id,
    )


def complaint_message(complaint: Complaint, today: date) -> pb.Complaint:
    """The Complaint message; overdue flags as of ``today``."""
    message = pb.Complaint(
        name=complaint.name,
        case_number=complaint.case_number,
        request_id=complaint.request_id,
        channel=int(complaint.channel),  # type: ignore[arg-type]
        receive_time=timestamp(complaint.received_at),
        org_unit=complaint.org_unit,
        about_official=complaint.about_official,
        description=complaint.description,
        contact_id=complaint.contact_id,
        status=int(complaint.status),  # type: ignore[arg-type]
        coordinator=complaint.coordinator,
        assignments=[
            pb.Assignment(
                coordinator=a.coordinator,
                reason=a.reason,
                assigned_by=a.assigned_by,
                assign_time=timestamp(a.assigned_at),
            )
            for a in complaint.assignments
        ],
        callback_due_date=complaint.callback_due.isoformat(),
        callback_overdue=complaint.callback_overdue(today),
        callback_within_norm=complaint.callback_within_norm,
        suggested_handling_form=int(complaint.suggested_handling_form),  # type: ignore[arg-type]
        handling_form=int(complaint.handling_form or 0),  # type: ignore[arg-type]
        advisory_committee=complaint.advisory_committee,
        decision_due_date=complaint.decision_due.isoformat(),
        decision_deadline_extended=complaint.decision_deadline_extended,
        extension_reason=complaint.extension_reason,
        decision_overdue=complaint.decision_overdue(today),
        outcome=int(complaint.outcome or 0),  # type: ignore[arg-type]
        not_handled_reason=int(complaint.not_handled_reason or 0),  # type: ignore[arg-type]
        handled_by_org_unit=complaint.handled_by_org_unit,
        create_time=timestamp(complaint.created_at),
        update_time=timestamp(complaint.updated_at),
    )
    for field, moment in (
        ("callback_time", complaint.callback_at),
        ("decide_time", complaint.decided_at),
        ("close_time", complaint.closed_at),
        ("withdraw_time", complaint.withdrawn_at),
    ):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp(moment))
    return message


def list_query(request: pb.ListComplaintsRequest) -> ListQuery:
    """The domain query of a ListComplaintsRequest."""
    return ListQuery(
        status=int(request.status),
        coordinator=request.coordinator,
        org_unit=request.org_unit,
        deadline=int(request.deadline),
        overdue=request.overdue,
        due_within_days=(request.due_within_days if request.HasField("due_within_days") else None),
        page_size=request.page_size,
        page_token=request.page_token,
        subject=SubjectFilter(request.subject, request.encrypted_subject, request.link_grant),
        start=optional_time(request, "start_time"),
        include_open=request.include_open,
    )


def stats_message(stats: ComplaintStats) -> pb.GetComplaintStatsResponse:
    """The GetComplaintStatsResponse of computed figures."""
    return pb.GetComplaintStatsResponse(
        start_time=timestamp(stats.start),
        end_time=timestamp(stats.end),
        total=stats.total,
        org_units=[pb.OrgUnitCount(org_unit=u, count=n) for u, n in stats.org_units],
        outcomes=[pb.OutcomeCount(outcome=int(o), count=n) for o, n in stats.outcomes],  # type: ignore[arg-type]
        callback_norm_working_days=stats.callback_norm_working_days,
        callbacks_judged=stats.callbacks_judged,
        callbacks_within_norm=stats.callbacks_within_norm,
        callback_within_norm_share=stats.callback_within_norm_share,
        median_time_to_callback=_duration(stats.median_time_to_callback),
        median_time_to_decision=_duration(stats.median_time_to_decision),
    )


def _found(pairs: Iterable[tuple[str, str]]) -> list[FieldViolation]:
    return [FieldViolation(name, text) for name, text in pairs]


def _name(name: str) -> Iterator[tuple[str, str]]:
    identifier = name[len(NAME_PREFIX) :]
    if not name.startswith(NAME_PREFIX) or not inputs.CONTACT_ID.match(identifier):
        yield "name", "required: complaints/{id}"


def _time(message: object, name: str) -> Iterator[tuple[str, str]]:
    moment = optional_time(message, name)
    if moment is not None and moment < inputs.EARLIEST_RECEIVED_AT:
        yield name, "not a valid time (before 2000-01-01)"


def file_violations(request: pb.FileComplaintRequest) -> list[FieldViolation]:
    """Shape checks of a FileComplaintRequest."""
    return _found(inputs.draft_violations(draft(request)))


def get_violations(request: pb.GetComplaintRequest) -> list[FieldViolation]:
    """Exactly one of name and case_number."""
    if request.name and request.case_number:
        return _found([("case_number", "give name or case_number, not both")])
    if request.name:
        return _found(_name(request.name))
    if not request.case_number or len(request.case_number) > MAX_CASE_NUMBER_LENGTH:
        return _found([("name", "give name or case_number")])
    return []


def list_violations(request: pb.ListComplaintsRequest) -> list[FieldViolation]:
    """Shape checks of a ListComplaintsRequest."""
    found: list[tuple[str, str]] = []
    if request.status not in pb.ComplaintStatus.values():
        found.append(("status", "not a ComplaintStatus value"))
    if request.deadline not in pb.Deadline.values():
        found.append(("deadline", "not a Deadline value"))
    for name in ("coordinator", "org_unit"):
        if getattr(request, name):
            found += inputs.code_violations(name, getattr(request, name))
    if request.HasField("due_within_days"):
        if not 0 <= request.due_within_days <= MAX_DUE_WITHIN_DAYS:
            found.append(("due_within_days", f"0 to {MAX_DUE_WITHIN_DAYS}"))
        elif request.overdue:
            found.append(("due_within_days", "not together with overdue"))
    if request.page_size < 0:
        found.append(("page_size", f"0 (default 50) to {MAX_PAGE_SIZE}; larger is capped"))
    if len(request.page_token) > MAX_PAGE_TOKEN_LENGTH:
        found.append(("page_token", "not a page token of this service"))
    return _found([*found, *_subject_violations(request)])


def _subject_violations(request: pb.ListComplaintsRequest) -> Iterator[tuple[str, str]]:
    """The citizen filter: a tagged klachten pseudonym, either for klachten itself (subject)
    or produced under a link grant (encrypted_subject with link_grant)."""
    for name in ("subject", "encrypted_subject"):
        yield from tagged_violations(name, getattr(request, name), (DOMAIN,), optional=True)
    if request.subject and request.encrypted_subject:
        yield "encrypted_subject", "not together with subject"
    if request.link_grant and not request.encrypted_subject:
        yield "link_grant", "needs encrypted_subject"
    if request.encrypted_subject and not request.link_grant:
        yield "encrypted_subject", "only with link_grant; use subject otherwise"
    if len(request.link_grant) > MAX_LINK_GRANT_LENGTH:
        yield "link_grant", "not a link grant"
    yield from _time(request, "start_time")
    if request.include_open and not request.HasField("start_time"):
        yield "include_open", "only with start_time"


def reassign_violations(request: pb.ReassignComplaintRequest) -> list[FieldViolation]:
    """Shape checks of a ReassignComplaintRequest."""
    return _found(
        [
            *_name(request.name),
            *inputs.code_violations("coordinator", request.coordinator),
            *inputs.text_violations("reason", request.reason, inputs.MAX_REASON_CHARS),
        ]
    )


def callback_violations(request: pb.RecordCallbackRequest) -> list[FieldViolation]:
    """Shape checks of a RecordCallbackRequest."""
    return _found(
        [
            *_name(request.name),
            *_time(request, "callback_time"),
            *inputs.form_violations(int(request.handling_form), request.advisory_committee),
        ]
    )


def form_violations(request: pb.ChooseHandlingFormRequest) -> list[FieldViolation]:
    """Shape checks of a ChooseHandlingFormRequest."""
    return _found(
        [
            *_name(request.name),
            *inputs.form_violations(int(request.handling_form), request.advisory_committee),
        ]
    )


def extend_violations(request: pb.ExtendDecisionDeadlineRequest) -> list[FieldViolation]:
    """Shape checks of an ExtendDecisionDeadlineRequest."""
    return _found(
        [
            *_name(request.name),
            *inputs.text_violations("reason", request.reason, inputs.MAX_REASON_CHARS),
        ]
    )


def decide_violations(request: pb.DecideComplaintRequest) -> list[FieldViolation]:
    """Shape checks of a DecideComplaintRequest."""
    return _found(
        [
            *_name(request.name),
            *inputs.decision_violations(
                int(request.outcome), request.handled_by_org_unit, int(request.not_handled_reason)
            ),
        ]
    )


def name_violations(request: pb.CloseComplaintRequest) -> list[FieldViolation]:
    """Shape check of a request that only names a complaint."""
    return _found(_name(request.name))


def stats_violations(request: pb.GetComplaintStatsRequest) -> list[FieldViolation]:
    """Both bounds of the period are required and valid."""
    found: list[tuple[str, str]] = []
    for name in ("start_time", "end_time"):
        if not request.HasField(name):
            found.append((name, "required"))
        else:
            found += _time(request, name)
    return _found(found)
