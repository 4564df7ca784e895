"""``/complaints`` and ``/complaint-stats``: ComplaintsService over REST.

The lifecycle steps are sub-resources of the complaint (``/callback``, ``/decision``, …), each
one RPC; the service decides whether the step is allowed (409 when the complaint's state does
not allow it). A complainant (``bsn``) is issued into ``klachten``, the complaints' domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import timestamp
from stadskamer.gateway.rest.complaint_schemas import (
    DEADLINES,
    FORMS,
    NOT_HANDLED,
    OUTCOMES,
    STATUSES,
    complaint_json,
)
from stadskamer.gateway.rest.contacts import CHANNELS, END, PAGE_TOKEN, START
from stadskamer.gateway.rest.operations import Call, Operation, Param, Reply

TAG = "complaints"
DOMAIN = "klachten"
PURPOSE = "complaint-handling"


def _name(call: Call) -> str:
    return f"complaints/{call.path['complaintId']}"


def file_complaint(call: Call) -> Reply:
    """FileComplaint."""
    body = call.body
    request = pb.FileComplaintRequest(
        request_id=body["requestId"],
        channel=CHANNELS.number(body["channel"], "channel"),  # type: ignore[arg-type]
        org_unit=body["orgUnit"],
        about_official=bool(body.get("aboutOfficial", False)),
        description=body["description"],
        contact_id=body.get("contactId", ""),
    )
    if "receiveTime" in body:
        request.receive_time.CopyFrom(timestamp(body["receiveTime"], "receiveTime"))
    request.subject = call.subject(DOMAIN, PURPOSE)
    filed = call.rpc("complaints", call.stubs.complaints.FileComplaint, request)
    return Reply(
        201, {"complaint": complaint_json(filed.complaint), "receiptText": filed.receipt_text}
    )


def list_complaints(call: Call) -> Reply:
    """ListComplaints."""
    query = call.query
    request = pb.ListComplaintsRequest(
        coordinator=query.get("coordinator", ""),
        org_unit=query.get("orgUnit", ""),
        overdue=query.get("overdue", False),
        page_size=query.get("pageSize", 0),
        page_token=query.get("pageToken", ""),
    )
    if "status" in query:
        request.status = STATUSES.number(query["status"], "status")  # type: ignore[assignment]
    if "deadline" in query:
        request.deadline = DEADLINES.number(query["deadline"], "deadline")  # type: ignore[assignment]
    if "dueWithinDays" in query:
        request.due_within_days = query["dueWithinDays"]
    page = call.rpc("complaints", call.stubs.complaints.ListComplaints, request)
    complaints = [complaint_json(c) for c in page.complaints]
    return Reply(200, {"complaints": complaints, "nextPageToken": page.next_page_token})


def get_complaint(call: Call) -> Reply:
    """GetComplaint."""
    request = pb.GetComplaintRequest(name=_name(call))
    return Reply(
        200, complaint_json(call.rpc("complaints", call.stubs.complaints.GetComplaint, request))
    )


def _step(method: str, build: Callable[[Call], Any]) -> Callable[[Call], Reply]:
    def handle(call: Call) -> Reply:
        stub_method = getattr(call.stubs.complaints, method)
        return Reply(200, complaint_json(call.rpc("complaints", stub_method, build(call))))

    handle.__doc__ = f"{method}."
    return handle


def _callback(call: Call) -> pb.RecordCallbackRequest:
    request = pb.RecordCallbackRequest(
        name=_name(call),
        handling_form=FORMS.number(call.body["handlingForm"], "handlingForm"),  # type: ignore[arg-type]
        advisory_committee=bool(call.body.get("advisoryCommittee", False)),
    )
    if "callbackTime" in call.body:
        request.callback_time.CopyFrom(timestamp(call.body["callbackTime"], "callbackTime"))
    return request


def _decision(call: Call) -> pb.DecideComplaintRequest:
    body = call.body
    request = pb.DecideComplaintRequest(
        name=_name(call),
        outcome=OUTCOMES.number(body["outcome"], "outcome"),  # type: ignore[arg-type]
        handled_by_org_unit=body["handledByOrgUnit"],
    )
    if "notHandledReason" in body:
        request.not_handled_reason = NOT_HANDLED.number(  # type: ignore[assignment]
            body["notHandledReason"], "notHandledReason"
        )
    return request


def stats(call: Call) -> Reply:
    """GetComplaintStats."""
    request = pb.GetComplaintStatsRequest(
        start_time=timestamp(call.query["startTime"], "startTime"),
        end_time=timestamp(call.query["endTime"], "endTime"),
    )
    figures = call.rpc("complaints", call.stubs.complaints.GetComplaintStats, request)
    result: dict[str, Any] = {
        "startTime": call.query["startTime"],
        "endTime": call.query["endTime"],
        "total": figures.total,
        "orgUnits": [{"orgUnit": u.org_unit, "count": u.count} for u in figures.org_units],
        "outcomes": [
            {"outcome": OUTCOMES.name(o.outcome), "count": o.count}
            for o in figures.outcomes
            if OUTCOMES.name(o.outcome)
        ],
        "callbackNormWorkingDays": figures.callback_norm_working_days,
        "callbacksJudged": figures.callbacks_judged,
        "callbacksWithinNorm": figures.callbacks_within_norm,
        "callbackWithinNormShare": figures.callback_within_norm_share,
    }
    for key, field in (
        ("medianSecondsToCallback", "median_time_to_callback"),
        ("medianSecondsToDecision", "median_time_to_decision"),
    ):
        if figures.HasField(field):
            result[key] = getattr(figures, field).ToTimedelta().total_seconds()
    return Reply(200, result)


ID = Param(
    "complaintId",
    s.text("A complaint id.", pattern=s.ID_PATTERN),
    "The complaint's id.",
    where="path",
)


def _lifecycle(
    method: str,
    suffix: str,
    op_id: str,
    summary: str,
    body: str | None,
    build: Callable[[Call], Any],
) -> Operation:
    verb = "PUT" if suffix == "handling-form" else "POST"
    return Operation(
        verb,
        f"/complaints/{{complaintId}}/{suffix}",
        op_id,
        TAG,
        summary,
        f"{method}: the service checks that the complaint's state allows it (409 otherwise).",
        _step(method, build),
        "Complaint",
        params=(ID,),
        body=body,
    )


OPERATIONS = [
    Operation(
        "POST",
        "/complaints",
        "fileComplaint",
        TAG,
        "File a complaint",
        "FileComplaint: registers, routes to a coordinator, starts the clocks; answers the "
        "receipt text. Idempotent on requestId.",
        file_complaint,
        "ComplaintFiling",
        201,
        body="NewComplaint",
    ),
    Operation(
        "GET",
        "/complaints",
        "listComplaints",
        TAG,
        "List complaints",
        "ListComplaints, oldest receipt first, without descriptions.",
        list_complaints,
        "ComplaintList",
        params=(
            Param("status", s.choice("Status.", STATUSES), "Only this status."),
            Param("coordinator", s.text("Code.", maxLength=64), "Only this coordinator."),
            Param("orgUnit", s.text("Unit.", maxLength=64), "Only about this unit."),
            Param("deadline", s.choice("Clock.", DEADLINES), "The clock for the due filters."),
            Param("overdue", s.flag("Overdue."), "Only those whose clock ran out."),
            Param(
                "dueWithinDays", s.integer("Days.", 0, 365), "Only those due within so many days."
            ),
            Param("pageSize", s.integer("Page size.", 1, 500), "At most this many (default 50)."),
            PAGE_TOKEN,
        ),
    ),
    Operation(
        "GET",
        "/complaints/{complaintId}",
        "getComplaint",
        TAG,
        "Get a complaint",
        "GetComplaint, with description and assignment history.",
        get_complaint,
        "Complaint",
        params=(ID,),
    ),
    _lifecycle(
        "ReassignComplaint",
        "reassignment",
        "reassignComplaint",
        "Reassign a complaint",
        "Reassignment",
        lambda c: pb.ReassignComplaintRequest(
            name=_name(c), coordinator=c.body["coordinator"], reason=c.body["reason"]
        ),
    ),
    _lifecycle(
        "RecordCallback",
        "callback",
        "recordCallback",
        "Record the call-back",
        "Callback",
        _callback,
    ),
    _lifecycle(
        "ChooseHandlingForm",
        "handling-form",
        "chooseHandlingForm",
        "Change the handling form",
        "HandlingFormChoice",
        lambda c: pb.ChooseHandlingFormRequest(
            name=_name(c),
            handling_form=FORMS.number(c.body["handlingForm"], "handlingForm"),  # type: ignore[arg-type]
            advisory_committee=bool(c.body.get("advisoryCommittee", False)),
        ),
    ),
    _lifecycle(
        "ExtendDecisionDeadline",
        "deadline-extension",
        "extendDecisionDeadline",
        "Extend the decision deadline",
        "DeadlineExtension",
        lambda c: pb.ExtendDecisionDeadlineRequest(name=_name(c), reason=c.body["reason"]),
    ),
    _lifecycle(
        "DecideComplaint",
        "decision",
        "decideComplaint",
        "Record the decision",
        "Decision",
        _decision,
    ),
    _lifecycle(
        "CloseComplaint",
        "closure",
        "closeComplaint",
        "Close a complaint",
        None,
        lambda c: pb.CloseComplaintRequest(name=_name(c)),
    ),
    _lifecycle(
        "WithdrawComplaint",
        "withdrawal",
        "withdrawComplaint",
        "Record a withdrawal",
        None,
        lambda c: pb.WithdrawComplaintRequest(name=_name(c)),
    ),
    Operation(
        "GET",
        "/complaint-stats",
        "getComplaintStats",
        TAG,
        "Complaint figures",
        "GetComplaintStats over the complaints received in [startTime, endTime).",
        stats,
        "ComplaintStats",
        params=(
            Param(START.name, START.schema, "Start of the period.", True),
            Param(END.name, END.schema, "End of the period (exclusive).", True),
        ),
    ),
]
