"""The JSON schemas of the contact routes, and the contact's JSON form."""

from __future__ import annotations

from typing import Any

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec, iso, put_time, resource_id

CHANNELS = EnumCodec(channel_pb2.Channel, "CHANNEL_")
BUCKETS = EnumCodec(pb.Bucket, "BUCKET_")
CHANNEL = s.choice("The channel the citizen used.", CHANNELS)

SCHEMAS: dict[str, s.Schema] = {
    "RepeatSignal": s.obj(
        "Whether the citizen contacted the same domain before, within its repeat window.",
        {
            "isRepeat": s.flag("At least one earlier contact within the window."),
            "previousContacts": s.integer("Earlier contacts within the window."),
            "sameTopic": s.flag("Whether one of them had the same topic."),
            "lastContactAt": s.moment("When the latest earlier contact took place."),
            "channels": s.array("The channels of the earlier contacts.", CHANNEL),
            "windowDays": s.integer("The repeat window applied, in days."),
        },
        ("isRepeat", "previousContacts", "sameTopic", "channels", "windowDays"),
    ),
    "Contact": s.obj(
        "One registered customer contact.",
        {
            "id": s.text("The contact's id."),
            "domain": s.code("The organisational domain that registered it."),
            "requestId": s.text(
                "The idempotency key it was registered with, in the answer to the registration "
                "only: it is kept as a keyed digest, so a contact read back has none."
            ),
            "hasSubject": s.flag("Whether a citizen is known (false: anonymous)."),
            "channel": CHANNEL,
            "topic": s.code("The topic code."),
            "orgUnit": s.text("The organisational unit that handled it."),
            "occurredAt": s.moment("When the contact took place."),
            "resolvedFirstTime": s.flag("Whether the question was resolved in this contact."),
            "summary": s.text("The free-text summary, if any."),
            "createTime": s.moment("When it was registered."),
            "repeat": s.ref("RepeatSignal"),
        },
        ("id", "domain", "hasSubject", "topic", "occurredAt", "repeat"),
    ),
    "NewContact": s.obj(
        "A contact to register. Give `bsn` (or `taggedPseudonym`) for a known citizen, who is "
        "issued into `domain`; leave both out for an anonymous contact.",
        {
            "requestId": s.text(
                "Idempotency key (1-128 printable ASCII characters).", maxLength=128
            ),
            "domain": s.code("The domain registering it; must be in the token."),
            **s.CITIZEN_PROPERTIES,
            "channel": CHANNEL,
            "topic": s.code("A topic code from the deployment's topic list."),
            "orgUnit": s.text("The organisational unit handling it.", maxLength=64),
            "occurredAt": s.moment("When the contact took place."),
            "resolvedFirstTime": s.flag("Whether the question was resolved in this contact."),
            "summary": s.text("Optional free text, stored encrypted.", maxLength=2000),
        },
        ("requestId", "domain", "channel", "topic", "orgUnit", "occurredAt"),
    ),
    "ContactRegistration": s.obj(
        "The registered contact and its repeat signal.",
        {"contact": s.ref("Contact"), "repeat": s.ref("RepeatSignal")},
        ("contact", "repeat"),
    ),
    "ContactList": s.obj(
        "A page of contacts, newest first.",
        {"contacts": s.array("The contacts.", s.ref("Contact")), "nextPageToken": s.page_token()},
        ("contacts", "nextPageToken"),
    ),
    "ChannelCount": s.obj(
        "One channel's part of a topic's contacts.",
        {
            "channel": CHANNEL,
            "count": s.count("Contacts over the channel."),
            "share": s.share("Its share of the topic's contacts."),
        },
        ("channel", "count", "share"),
    ),
    "TopicSignal": s.obj(
        "One topic over the period.",
        {
            "topic": s.code("The topic code."),
            "counts": s.array("Contacts per bucket, oldest first.", s.count("Contacts.")),
            "total": s.count("All contacts of the period."),
            "repeatShare": s.share("Share of repeat contacts."),
            "sameTopicRepeatShare": s.share("Share of repeat contacts about this topic."),
            "resolvedFirstTimeShare": s.share("Share resolved in the first contact."),
            "channelMix": s.array("Channels, most used first.", s.ref("ChannelCount")),
            "rising": s.flag("Whether the latest bucket is well above the topic's baseline."),
            "baseline": s.number("Mean count of the buckets before the latest one."),
            "risingThreshold": s.number("The count the latest bucket had to reach to rise."),
        },
        ("topic", "counts", "total", "repeatShare", "channelMix", "rising"),
    ),
    "TopicSignals": s.obj(
        "Per topic: counts per time bucket, repeat shares, channel mix, rising or not.",
        {
            "domain": s.code("The domain."),
            "startTime": s.moment("Start of the first bucket."),
            "endTime": s.moment("End of the last bucket."),
            "bucket": s.choice("The bucket width.", BUCKETS),
            "bucketStartTimes": s.array("Start of every bucket.", s.moment("A bucket start.")),
            "topics": s.array("Rising topics first.", s.ref("TopicSignal")),
        },
        ("domain", "bucketStartTimes", "topics"),
    ),
}


def repeat_json(repeat: pb.RepeatSignal) -> dict[str, Any]:
    """The repeat signal as JSON."""
    result: dict[str, Any] = {
        "isRepeat": repeat.is_repeat,
        "previousContacts": repeat.previous_contacts,
        "sameTopic": repeat.same_topic,
        "channels": [CHANNELS.name(c) for c in repeat.channels if CHANNELS.name(c)],
        "windowDays": repeat.window_days,
    }
    put_time(result, "lastContactAt", repeat, "last_contact_at")
    return result


def contact_json(contact: pb.Contact) -> dict[str, Any]:
    """A contact as JSON."""
    result: dict[str, Any] = {
        "id": resource_id(contact.name),
        "domain": contact.domain,
        "hasSubject": contact.has_subject,
        "topic": contact.topic,
        "orgUnit": contact.org_unit,
        "occurredAt": iso(contact.occurred_at),
        "resolvedFirstTime": contact.resolved_first_time,
        "repeat": repeat_json(contact.repeat),
    }
    CHANNELS.put(result, "channel", contact.channel)
    put_time(result, "createTime", contact, "create_time")
    if contact.request_id:
        result["requestId"] = contact.request_id
    if contact.summary:
        result["summary"] = contact.summary
    return result
