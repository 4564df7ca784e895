"""The JSON schemas of the complaint routes, and the complaint's JSON form."""

from __future__ import annotations

from typing import Any

from stadskamer.api.complaints.v1 import complaints_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec, iso, put_time, resource_id
from stadskamer.gateway.rest.contact_schemas import CHANNEL, CHANNELS

STATUSES = EnumCodec(pb.ComplaintStatus, "COMPLAINT_STATUS_")
FORMS = EnumCodec(pb.HandlingForm, "HANDLING_FORM_")
OUTCOMES = EnumCodec(pb.Outcome, "OUTCOME_")
NOT_HANDLED = EnumCodec(pb.NotHandledReason, "NOT_HANDLED_REASON_")
DEADLINES = EnumCodec(pb.Deadline, "DEADLINE_")
FORM = s.choice("A handling form.", FORMS)
REASON = s.text("Why (stored encrypted, never logged).", maxLength=500)

SCHEMAS: dict[str, s.Schema] = {
    "Assignment": s.obj(
        "One entry of the assignment history.",
        {
            "coordinator": s.text("The coordinator code."),
            "reason": s.text("Why it was reassigned; empty for the routing at filing."),
            "assignedBy": s.text("Who assigned it."),
            "assignTime": s.moment("When."),
        },
        ("coordinator", "assignedBy", "assignTime"),
    ),
    "Complaint": s.obj(
        "One complaint (klacht) and where its handling stands (Awb chapter 9).",
        {
            "id": s.text("The complaint's id."),
            "caseNumber": s.text("The case number, `KL-<year>-<6 digits>`."),
            "requestId": s.text(
                "The idempotency key it was filed with, in the answer to the filing only: it is "
                "kept as a keyed digest, so a complaint read back has none."
            ),
            "channel": CHANNEL,
            "receiveTime": s.moment("When the municipality received it."),
            "orgUnit": s.text("The organisational unit it is about."),
            "aboutOfficial": s.flag("Whether it is about the conduct of an official."),
            "description": s.text("The complainant's words (not in lists)."),
            "contactId": s.text("The contact in which it was made, if any."),
            "status": s.choice("Where it is in its lifecycle.", STATUSES),
            "coordinator": s.text("The coordinator it is assigned to."),
            "assignments": s.array("The assignment history (not in lists).", s.ref("Assignment")),
            "callbackDueDate": s.day("The last day for the call-back (5 working days)."),
            "callbackTime": s.moment("When the complainant was called back."),
            "callbackOverdue": s.flag("Not called back and the due date passed."),
            "callbackWithinNorm": s.flag("Called back on or before the due date."),
            "suggestedHandlingForm": FORM,
            "handlingForm": FORM,
            "advisoryCommittee": s.flag("Whether an advisory committee holds the hearing."),
            "decisionDueDate": s.day("The last day for the decision."),
            "decisionDeadlineExtended": s.flag("Whether the decision deadline was extended."),
            "extensionReason": s.text("Why it was extended (not in lists)."),
            "decisionOverdue": s.flag("Not decided and the due date passed."),
            "outcome": s.choice("The decision.", OUTCOMES),
            "notHandledReason": s.choice("Why it was not handled.", NOT_HANDLED),
            "handledByOrgUnit": s.text("The unit that handled it."),
            "decideTime": s.moment("When it was decided."),
            "closeTime": s.moment("When it was closed."),
            "withdrawTime": s.moment("When it was withdrawn."),
            "createTime": s.moment("When it was registered."),
            "updateTime": s.moment("When it last changed."),
        },
        ("id", "caseNumber", "status", "coordinator", "callbackDueDate", "decisionDueDate"),
    ),
    "NewComplaint": s.obj(
        "A complaint to register; the complainant (`bsn`) is issued into `klachten`.",
        {
            "requestId": s.text("Idempotency key (1-128 printable ASCII).", maxLength=128),
            **s.CITIZEN_PROPERTIES,
            "channel": CHANNEL,
            "receiveTime": s.moment("When it was received (default: now)."),
            "orgUnit": s.text("The organisational unit it is about.", maxLength=64),
            "aboutOfficial": s.flag("Whether it is about the conduct of an official."),
            "description": s.text("What it is about (stored encrypted).", maxLength=5000),
            "contactId": s.text("The contact in which it was made.", maxLength=64),
        },
        ("requestId", "channel", "orgUnit", "description"),
    ),
    "ComplaintFiling": s.obj(
        "The registered complaint and the receipt text for the complainant.",
        {
            "complaint": s.ref("Complaint"),
            "receiptText": s.text("A Dutch receipt (no personal data)."),
        },
        ("complaint", "receiptText"),
    ),
    "ComplaintList": s.obj(
        "A page of complaints, oldest receipt first, without descriptions.",
        {
            "complaints": s.array("The complaints.", s.ref("Complaint")),
            "nextPageToken": s.page_token(),
        },
        ("complaints", "nextPageToken"),
    ),
    "Reassignment": s.obj(
        "Another coordinator, and why.",
        {"coordinator": s.text("The coordinator code.", maxLength=64), "reason": REASON},
        ("coordinator", "reason"),
    ),
    "Callback": s.obj(
        "The call-back and the complainant's choice of handling form.",
        {
            "callbackTime": s.moment("When the complainant was reached (default: now)."),
            "handlingForm": FORM,
            "advisoryCommittee": s.flag("Only with `hearing`."),
        },
        ("handlingForm",),
    ),
    "HandlingFormChoice": s.obj(
        "The handling form the complainant now chose.",
        {"handlingForm": FORM, "advisoryCommittee": s.flag("Only with `hearing`.")},
        ("handlingForm",),
    ),
    "DeadlineExtension": s.obj(
        "Why the decision needs 4 more weeks.", {"reason": REASON}, ("reason",)
    ),
    "Decision": s.obj(
        "The decision on a complaint.",
        {
            "outcome": s.choice("The outcome.", OUTCOMES),
            "handledByOrgUnit": s.text("The unit that handled it.", maxLength=64),
            "notHandledReason": s.choice("Required with `not-handled`.", NOT_HANDLED),
        },
        ("outcome", "handledByOrgUnit"),
    ),
    "ComplaintStats": s.obj(
        "Figures over the complaints received in a period.",
        {
            "startTime": s.moment("Start of the period."),
            "endTime": s.moment("End of the period (exclusive)."),
            "total": s.count("Complaints received."),
            "orgUnits": s.array(
                "Per unit, most first.",
                s.obj("A unit.", {"orgUnit": s.text("Unit."), "count": s.count("Complaints.")}),
            ),
            "outcomes": s.array(
                "Decided complaints per outcome.",
                s.obj(
                    "An outcome.",
                    {"outcome": s.choice("Outcome.", OUTCOMES), "count": s.count("Complaints.")},
                ),
            ),
            "callbackNormWorkingDays": s.integer("The call-back norm in working days."),
            "callbacksJudged": s.count("Complaints whose call-back norm can be judged."),
            "callbacksWithinNorm": s.count("Of those, called back in time."),
            "callbackWithinNormShare": s.share("Their share."),
            "medianSecondsToCallback": s.number("Median time from receipt to call-back."),
            "medianSecondsToDecision": s.number("Median time from receipt to decision."),
        },
        ("total", "orgUnits", "outcomes", "callbacksJudged", "callbacksWithinNorm"),
    ),
}


def complaint_json(complaint: pb.Complaint) -> dict[str, Any]:
    """A complaint as JSON (empty optional fields left out)."""
    result: dict[str, Any] = {
        "id": resource_id(complaint.name),
        "caseNumber": complaint.case_number,
        "orgUnit": complaint.org_unit,
        "aboutOfficial": complaint.about_official,
        "coordinator": complaint.coordinator,
        "assignments": [
            {
                "coordinator": a.coordinator,
                "reason": a.reason,
                "assignedBy": a.assigned_by,
                "assignTime": iso(a.assign_time),
            }
            for a in complaint.assignments
        ],
        "callbackDueDate": complaint.callback_due_date,
        "callbackOverdue": complaint.callback_overdue,
        "callbackWithinNorm": complaint.callback_within_norm,
        "advisoryCommittee": complaint.advisory_committee,
        "decisionDueDate": complaint.decision_due_date,
        "decisionDeadlineExtended": complaint.decision_deadline_extended,
        "decisionOverdue": complaint.decision_overdue,
    }
    for key, value in (
        ("requestId", complaint.request_id),
        ("description", complaint.description),
        ("contactId", complaint.contact_id),
        ("extensionReason", complaint.extension_reason),
        ("handledByOrgUnit", complaint.handled_by_org_unit),
    ):
        if value:
            result[key] = value
    CHANNELS.put(result, "channel", complaint.channel)
    STATUSES.put(result, "status", complaint.status)
    FORMS.put(result, "suggestedHandlingForm", complaint.suggested_handling_form)
    FORMS.put(result, "handlingForm", complaint.handling_form)
    OUTCOMES.put(result, "outcome", complaint.outcome)
    NOT_HANDLED.put(result, "notHandledReason", complaint.not_handled_reason)
    for key in (
        "receive_time",
        "callback_time",
        "decide_time",
        "close_time",
        "withdraw_time",
        "create_time",
        "update_time",
    ):
        head, _, tail = key.partition("_")
        put_time(result, head + tail.capitalize(), complaint, key)
    return result
