"""``/contacts`` and ``/topic-signals``: ContactsService over REST.

A contact's citizen (``bsn``) is issued into the contact's own ``domain``
(:mod:`stadskamer.gateway.rest.citizens`).
"""

from __future__ import annotations

from typing import Any

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import iso, put_time, timestamp
from stadskamer.gateway.rest.contact_schemas import (
    BUCKETS,
    CHANNEL,
    CHANNELS,
    contact_json,
    repeat_json,
)
from stadskamer.gateway.rest.operations import Call, Operation, Param, Reply

TAG = "contacts"
PURPOSE = "contact-registration"


def register(call: Call) -> Reply:
    """RegisterContact."""
    body = call.body
    request = pb.RegisterContactRequest(
        request_id=body["requestId"],
        domain=body["domain"],
        channel=CHANNELS.number(body["channel"], "channel"),  # type: ignore[arg-type]
        topic=body["topic"],
        org_unit=body["orgUnit"],
        occurred_at=timestamp(body["occurredAt"], "occurredAt"),
        resolved_first_time=bool(body.get("resolvedFirstTime", False)),
        summary=body.get("summary", ""),
    )
    request.subject = call.subject(body["domain"], PURPOSE, False, "domain")
    response = call.rpc("contacts", call.stubs.contacts.RegisterContact, request)
    return Reply(
        201, {"contact": contact_json(response.contact), "repeat": repeat_json(response.repeat)}
    )


def list_contacts(call: Call) -> Reply:
    """ListContacts (no citizen filter: a BSN never goes in a URL; see the history)."""
    query = call.query
    request = pb.ListContactsRequest(
        domain=query.get("domain", ""),
        topic=query.get("topic", ""),
        org_unit=query.get("orgUnit", ""),
        page_size=query.get("pageSize", 0),
        page_token=query.get("pageToken", ""),
    )
    if "channel" in query:
        request.channel = CHANNELS.number(query["channel"], "channel")  # type: ignore[assignment]
    for name, key in (("start_time", "startTime"), ("end_time", "endTime")):
        if key in query:
            getattr(request, name).CopyFrom(timestamp(query[key], key))
    page = call.rpc("contacts", call.stubs.contacts.ListContacts, request)
    contacts = [contact_json(c) for c in page.contacts]
    return Reply(200, {"contacts": contacts, "nextPageToken": page.next_page_token})


def get_contact(call: Call) -> Reply:
    """GetContact."""
    request = pb.GetContactRequest(name=f"contacts/{call.path['contactId']}")
    return Reply(200, contact_json(call.rpc("contacts", call.stubs.contacts.GetContact, request)))


def topic_signals(call: Call) -> Reply:
    """GetTopicSignals."""
    query = call.query
    request = pb.GetTopicSignalsRequest(domain=query["domain"])
    if "bucket" in query:
        request.bucket = BUCKETS.number(query["bucket"], "bucket")  # type: ignore[assignment]
    for name, key in (("start_time", "startTime"), ("end_time", "endTime")):
        if key in query:
            getattr(request, name).CopyFrom(timestamp(query[key], key))
    report = call.rpc("contacts", call.stubs.contacts.GetTopicSignals, request)
    result: dict[str, Any] = {
        "domain": report.domain,
        "bucketStartTimes": [iso(t) for t in report.bucket_start_times],
        "topics": [
            {
                "topic": t.topic,
                "counts": list(t.counts),
                "total": t.total,
                "repeatShare": t.repeat_share,
                "sameTopicRepeatShare": t.same_topic_repeat_share,
                "resolvedFirstTimeShare": t.resolved_first_time_share,
                "channelMix": [
                    {"channel": CHANNELS.name(m.channel), "count": m.count, "share": m.share}
                    for m in t.channel_mix
                    if CHANNELS.name(m.channel)
                ],
                "rising": t.rising,
                "baseline": t.baseline,
                "risingThreshold": t.rising_threshold,
            }
            for t in report.topics
        ],
    }
    put_time(result, "startTime", report, "start_time")
    put_time(result, "endTime", report, "end_time")
    BUCKETS.put(result, "bucket", report.bucket)
    return Reply(200, result)


CONTACT_ID = Param(
    "contactId", s.text("A contact id.", pattern=s.ID_PATTERN), "The contact's id.", where="path"
)
PAGE_SIZE = Param("pageSize", s.integer("Page size.", 1, 500), "At most this many (default 50).")
PAGE_TOKEN = Param(
    "pageToken", s.text("Token.", maxLength=2048), "`nextPageToken` of the page before."
)
START = Param("startTime", s.moment("From."), "Only from this time on.")
END = Param("endTime", s.moment("Until."), "Only before this time.")

OPERATIONS = [
    Operation(
        "POST",
        "/contacts",
        "registerContact",
        TAG,
        "Register a contact",
        "RegisterContact. Idempotent per domain and requestId. Answers the repeat signal.",
        register,
        "ContactRegistration",
        201,
        body="NewContact",
    ),
    Operation(
        "GET",
        "/contacts",
        "listContacts",
        TAG,
        "List contacts",
        "ListContacts of the token's domains, newest first. A citizen's contacts are read "
        "with the history search, where the BSN goes in the body.",
        list_contacts,
        "ContactList",
        params=(
            Param("domain", s.code("Domain."), "Only this domain (must be in the token)."),
            Param("channel", CHANNEL, "Only this channel."),
            Param("topic", s.code("Topic."), "Only this topic."),
            Param("orgUnit", s.text("Unit.", maxLength=64), "Only this organisational unit."),
            START,
            END,
            PAGE_SIZE,
            PAGE_TOKEN,
        ),
    ),
    Operation(
        "GET",
        "/contacts/{contactId}",
        "getContact",
        TAG,
        "Get a contact",
        "GetContact: one contact of the token's domains.",
        get_contact,
        "Contact",
        params=(CONTACT_ID,),
    ),
    Operation(
        "GET",
        "/topic-signals",
        "getTopicSignals",
        TAG,
        "Topic signals",
        "GetTopicSignals: per topic counts per bucket, repeat share, channel mix, rising.",
        topic_signals,
        "TopicSignals",
        params=(
            Param("domain", s.code("Domain."), "The domain (must be in the token).", True),
            START,
            END,
            Param("bucket", s.choice("Bucket width.", BUCKETS), "Bucket width (default day)."),
        ),
    ),
]
