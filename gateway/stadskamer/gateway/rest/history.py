"""``/contact-histories/_search``: the consent-gated history fan-out over REST.

The citizen (``bsn``) is issued into the caller's own domain, the ``requesterDomain``, for the
search's ``purpose``; the history fan-out asks for the link grants and has that pseudonym
converted into each domain it may consult.
"""

from __future__ import annotations

from typing import Any

from stadskamer.api.history.v1 import history_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec, iso, resource_id, timestamp
from stadskamer.gateway.rest.complaint_schemas import STATUSES
from stadskamer.gateway.rest.consent_schemas import basis_json
from stadskamer.gateway.rest.contact_schemas import CHANNEL, CHANNELS
from stadskamer.gateway.rest.operations import Call, Operation, Reply

TAG = "history"
KINDS = EnumCodec(pb.ItemKind, "ITEM_KIND_")

SCHEMAS: dict[str, s.Schema] = {
    "HistorySearch": s.obj(
        "Whose history, for which domain and purpose.",
        {
            **s.CITIZEN_PROPERTIES,
            "requesterDomain": s.code("The domain the caller acts for, e.g. `kcc`."),
            "purpose": s.text("The purpose id, e.g. `integrated-contact-history`.", maxLength=64),
            "startTime": s.moment("Only items from then on (default: 90 days ago)."),
            "maxItems": s.integer("At most this many items (default 100).", 1, 500),
        },
        ("requesterDomain", "purpose"),
    ),
    "HistoryItem": s.obj(
        "One customer signal of the citizen in one domain: a contact or a complaint.",
        {
            "id": s.text("The id in its own service."),
            "kind": s.choice("What kind of signal.", KINDS),
            "domain": s.code("The domain that holds it."),
            "channel": CHANNEL,
            "topic": s.code("The topic code (contacts only)."),
            "orgUnit": s.text("The organisational unit that handled it (or is complained about)."),
            "occurTime": s.moment("When it happened (a complaint: when it was received)."),
            "basis": s.ref("Basis"),
            "complaint": s.ref("HistoryComplaint"),
        },
        ("id", "domain", "occurTime", "basis"),
    ),
    "HistoryComplaint": s.obj(
        "Where a complaint stands (complaints only; never its text).",
        {
            "caseNumber": s.text("The case number, `KL-<year>-<6 digits>`."),
            "status": s.choice("Where it is in its lifecycle.", STATUSES),
            "callbackDueDate": s.day("The last day for the call-back."),
            "callbackOverdue": s.flag("Not called back and the due date passed."),
            "decisionDueDate": s.day("The last day for the decision."),
            "decisionOverdue": s.flag("Not decided and the due date passed."),
        },
        ("caseNumber", "status", "callbackDueDate", "decisionDueDate"),
    ),
    "ConsultedDomain": s.obj(
        "A domain that was queried, and what allowed it.",
        {"domain": s.code("The domain."), "basis": s.ref("Basis")},
        ("domain", "basis"),
    ),
    "History": s.obj(
        "The permitted history, newest first. Domains without a basis are absent.",
        {
            "items": s.array("The items.", s.ref("HistoryItem")),
            "consultedDomains": s.array("The domains consulted.", s.ref("ConsultedDomain")),
            "truncated": s.flag("Whether more items existed than maxItems."),
        },
        ("items", "consultedDomains", "truncated"),
    ),
}


def _complaint_json(state: pb.ComplaintState) -> dict[str, Any]:
    """The JSON form of a complaint's state."""
    document: dict[str, Any] = {
        "caseNumber": state.case_number,
        "callbackDueDate": state.callback_due_date,
        "callbackOverdue": state.callback_overdue,
        "decisionDueDate": state.decision_due_date,
        "decisionOverdue": state.decision_overdue,
    }
    STATUSES.put(document, "status", state.status)
    return document


def search(call: Call) -> Reply:
    """GetHistory."""
    body = call.body
    request = pb.GetHistoryRequest(
        requester_domain=body["requesterDomain"],
        purpose=body["purpose"],
        max_items=body.get("maxItems", 0),
    )
    if "startTime" in body:
        request.start_time.CopyFrom(timestamp(body["startTime"], "startTime"))
    request.subject = call.subject(
        body["requesterDomain"], body["purpose"], audience_field="requesterDomain"
    )
    history = call.rpc("history", call.stubs.history.GetHistory, request)
    items: list[dict[str, Any]] = []
    for item in history.items:
        entry: dict[str, Any] = {
            "id": resource_id(item.name),
            "domain": item.domain,
            "orgUnit": item.org_unit,
            "occurTime": iso(item.occur_time),
            "basis": basis_json(item.basis),
        }
        if item.topic:
            entry["topic"] = item.topic
        KINDS.put(entry, "kind", item.kind)
        CHANNELS.put(entry, "channel", item.channel)
        if item.HasField("complaint"):
            entry["complaint"] = _complaint_json(item.complaint)
        items.append(entry)
    consulted = [
        {"domain": c.domain, "basis": basis_json(c.basis)} for c in history.consulted_domains
    ]
    return Reply(
        200, {"items": items, "consultedDomains": consulted, "truncated": history.truncated}
    )


OPERATIONS = [
    Operation(
        "POST",
        "/contact-histories/_search",
        "searchContactHistory",
        TAG,
        "A citizen's permitted history",
        "GetHistory: the citizen's contacts and complaints across domains, each with what "
        "allowed it; a complaint with its status and deadlines (the open ones whatever their "
        "receive time). A domain is consulted only with a link grant (own domain, consent or "
        "legal basis); the others are neither queried nor named.",
        search,
        "History",
        body="HistorySearch",
    )
]
