"""Conversions between the ContactsService messages and the domain objects, and shape checks.

The checks here need no configuration (presence, lengths, patterns, known enum values); the
configured rules (served domains, topic list, clock skew) are checked in the service layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.common.errors import FieldViolation
from stadskamer.contacts.domain import (
    CODE,
    MAX_SUBJECT_BYTES,
    Channel,
    Contact,
    Draft,
    RepeatSignal,
    shape_violations,
)
from stadskamer.contacts.queries import MAX_PAGE_SIZE, ListQuery, TopicReport
from stadskamer.contacts.service import MAX_BATCH
from stadskamer.contacts.signals import Bucket

_INVALID_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID_LENGTH = 64
RESOURCE_PREFIX = "contacts/"
MAX_PAGE_TOKEN_LENGTH = 1024
MAX_GRANT_LENGTH = 2048


def to_datetime(stamp: Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime (the epoch for one out of datetime's range)."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        return _INVALID_TIME


def _optional_time(message: object, name: str) -> datetime | None:
    stamp: Timestamp = getattr(message, name)
    return to_datetime(stamp) if message.HasField(name) else None  # type: ignore[attr-defined]


def timestamp(moment: datetime) -> Timestamp:
    """A datetime as a Timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def draft(request: pb.RegisterContactRequest) -> Draft:
    """The domain draft of a RegisterContactRequest."""
    return Draft(
        request_id=request.request_id,
        domain=request.domain,
        subject=request.subject,
        channel=int(request.channel),
        topic=request.topic,
        org_unit=request.org_unit,
        occurred_at=_optional_time(request, "occurred_at") or _INVALID_TIME,
        resolved_first_time=request.resolved_first_time,
        summary=request.summary,
    )


def repeat_message(signal: RepeatSignal) -> pb.RepeatSignal:
    """The RepeatSignal message."""
    message = pb.RepeatSignal(
        is_repeat=signal.is_repeat,
        previous_contacts=signal.previous_contacts,
        same_topic=signal.same_topic,
        channels=[int(c) for c in signal.channels],  # type: ignore[misc]
        window_days=signal.window_days,
    )
    if signal.last_contact_at is not None:
        message.last_contact_at.CopyFrom(timestamp(signal.last_contact_at))
    return message


def contact_message(contact: Contact) -> pb.Contact:
    """The Contact message (the subject pseudonym never leaves the service)."""
    return pb.Contact(
        name=f"{RESOURCE_PREFIX}{contact.id}",
        domain=contact.domain,
        request_id=contact.request_id,
        has_subject=contact.subject is not None,
        channel=int(contact.channel),  # type: ignore[arg-type]
        topic=contact.topic,
        org_unit=contact.org_unit,
        occurred_at=timestamp(contact.occurred_at),
        resolved_first_time=contact.resolved_first_time,
        summary=contact.summary,
        create_time=timestamp(contact.created_at),
        repeat=repeat_message(contact.repeat),
    )


def registration(contact: Contact) -> pb.RegisterContactResponse:
    """The RegisterContactResponse of a registered contact."""
    return pb.RegisterContactResponse(
        contact=contact_message(contact), repeat=repeat_message(contact.repeat)
    )


def list_query(request: pb.ListContactsRequest) -> ListQuery:
    """The domain query of a ListContactsRequest."""
    return ListQuery(
        domain=request.domain,
        subject=request.subject,
        channel=int(request.channel),
        topic=request.topic,
        org_unit=request.org_unit,
        start=_optional_time(request, "start_time"),
        end=_optional_time(request, "end_time"),
        page_size=request.page_size,
        page_token=request.page_token,
        encrypted_subject=request.encrypted_subject,
        link_grant=request.link_grant,
    )


def topic_signals_query(
    request: pb.GetTopicSignalsRequest,
) -> tuple[datetime | None, datetime | None, Bucket]:
    """Start, end and bucket of a GetTopicSignalsRequest."""
    bucket = Bucket(request.bucket) if request.bucket else Bucket.DAY
    return _optional_time(request, "start_time"), _optional_time(request, "end_time"), bucket


def report_message(report: TopicReport) -> pb.GetTopicSignalsResponse:
    """The GetTopicSignalsResponse of a report."""
    period = report.period
    return pb.GetTopicSignalsResponse(
        domain=report.domain,
        start_time=timestamp(period.start),
        end_time=timestamp(period.end),
        bucket=int(period.bucket),  # type: ignore[arg-type]
        bucket_start_times=[timestamp(s) for s in period.bucket_starts()],
        topics=[
            pb.TopicSignal(
                topic=t.topic,
                counts=list(t.counts),
                total=t.total,
                repeat_share=t.repeat_share,
                same_topic_repeat_share=t.same_topic_repeat_share,
                resolved_first_time_share=t.resolved_first_time_share,
                channel_mix=[
                    pb.ChannelCount(channel=int(c.channel), count=c.count, share=c.share)  # type: ignore[arg-type]
                    for c in t.channel_mix
                ],
                rising=t.rising.rising,
                baseline=t.rising.baseline,
                rising_threshold=t.rising.threshold,
            )
            for t in report.topics
        ],
    )


def register_violations(
    request: pb.RegisterContactRequest, prefix: str = ""
) -> list[FieldViolation]:
    """Shape checks of one RegisterContactRequest."""
    return [FieldViolation(prefix + n, d) for n, d in shape_violations(draft(request))]


def batch_violations(request: pb.BatchRegisterContactsRequest) -> list[FieldViolation]:
    """Shape checks of a BatchRegisterContactsRequest."""
    if not request.requests or len(request.requests) > MAX_BATCH:
        return [FieldViolation("requests", f"give 1 to {MAX_BATCH} contacts")]
    found: list[FieldViolation] = []
    for index, item in enumerate(request.requests):
        found += register_violations(item, f"requests[{index}].")
    return found


def get_violations(request: pb.GetContactRequest) -> list[FieldViolation]:
    """Shape checks of a GetContactRequest."""
    contact_id = contact_id_of(request.name)
    if not contact_id or len(contact_id) > MAX_ID_LENGTH:
        return [FieldViolation("name", "required, as contacts/{id}")]
    return []


def contact_id_of(name: str) -> str:
    """The id in a resource name ``contacts/{id}``, or empty when it is not one."""
    return name.removeprefix(RESOURCE_PREFIX) if name.startswith(RESOURCE_PREFIX) else ""


def list_violations(request: pb.ListContactsRequest) -> Iterable[FieldViolation]:
    """Shape checks of a ListContactsRequest."""
    if request.domain and not CODE.match(request.domain):
        yield FieldViolation("domain", "not a domain name")
    if len(request.subject) > MAX_SUBJECT_BYTES:
        yield FieldViolation("subject", "a tagged pseudonym as issued")
    if len(request.encrypted_subject) > MAX_SUBJECT_BYTES:
        yield FieldViolation("encrypted_subject", "a tagged pseudonym as converted")
    if request.subject and request.encrypted_subject:
        yield FieldViolation("encrypted_subject", "give subject or encrypted_subject, not both")
    if len(request.link_grant) > MAX_GRANT_LENGTH:
        yield FieldViolation("link_grant", f"at most {MAX_GRANT_LENGTH} characters")
    if request.channel and int(request.channel) not in {int(c) for c in Channel}:
        yield FieldViolation("channel", "not a Channel value")
    for name in ("topic", "org_unit"):
        value = getattr(request, name)
        if value and not CODE.match(value):
            yield FieldViolation(name, "not a code: lowercase letters, digits, '-', '_' or '.'")
    yield from _time_violations(request)
    if request.page_size < 0:
        yield FieldViolation("page_size", f"0 (default 50) to {MAX_PAGE_SIZE}; larger is capped")
    if len(request.page_token) > MAX_PAGE_TOKEN_LENGTH:
        yield FieldViolation("page_token", "not a page token of this service")


def topic_signals_violations(request: pb.GetTopicSignalsRequest) -> Iterable[FieldViolation]:
    """Shape checks of a GetTopicSignalsRequest."""
    if not CODE.match(request.domain):
        yield FieldViolation("domain", "required")
    if request.bucket not in (0, *Bucket.__members__.values()):
        yield FieldViolation("bucket", "not a Bucket value")
    yield from _time_violations(request)


def _time_violations(
    request: pb.ListContactsRequest | pb.GetTopicSignalsRequest,
) -> Iterable[FieldViolation]:
    for name in ("start_time", "end_time"):
        stamp = _optional_time(request, name)
        if stamp == _INVALID_TIME:
            yield FieldViolation(name, "not a valid time")
