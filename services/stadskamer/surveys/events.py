"""The events that can lead to an invitation, as ``stadskamer.events.v1`` messages.

- ``ComplaintClosed`` (from complaints, domain ``klachten``): trigger COMPLAINT, topic
  ``klacht``, attributed to the org unit that handled the complaint (the one it was about
  when none is given), with the outcome; its source reference is the complaint's name.
- ``ContactRegistered`` (from contacts, the contact's domain): trigger CONTACT with the
  contact's channel, topic and org unit; an empty subject is an anonymous contact;
  reference ``contacts/<id>``.
- ``ProductCompleted`` (the delivering domain): trigger PRODUCT, the product code as topic;
  reference ``products/<product>/<reference>`` when a reference is given.

The subject is a tagged pseudonym whose audience is the sending domain (``subject_domain``,
when set, must name it); the sender's token must act for that domain.

Any other payload is acknowledged and ignored (recorded once by its event id).
"""

from __future__ import annotations

from collections.abc import Iterator

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.common.citizens import tagged_violations
from stadskamer.common.errors import FieldViolation
from stadskamer.surveys.domain import Channel, Context, Outcome, TriggerKind
from stadskamer.surveys.inputs import (
    REFERENCE,
    REQUEST_ID,
    Violation,
    code_violations,
)
from stadskamer.surveys.intake import IncomingEvent

COMPLAINT_TOPIC = "klacht"
COMPLAINTS_DOMAIN = "klachten"
KINDS = {
    "complaint_closed": "complaint-closed",
    "contact_registered": "contact-registered",
    "product_completed": "product-completed",
}


def incoming(event: pb.Event) -> IncomingEvent | None:
    """The domain form of a (valid) event; None for a payload this service ignores."""
    which = event.WhichOneof("payload")
    if which == "complaint_closed":
        closed = event.complaint_closed
        outcome = int(closed.outcome)
        context = Context(
            TriggerKind.COMPLAINT,
            Channel(closed.channel),
            COMPLAINT_TOPIC,
            closed.handled_by_org_unit or closed.org_unit,
            Outcome(outcome) if outcome else None,
        )
        subject, sender, reference = closed.encrypted_subject, COMPLAINTS_DOMAIN, closed.complaint
    elif which == "contact_registered":
        contact = event.contact_registered
        context = Context(
            TriggerKind.CONTACT, Channel(contact.channel), contact.topic, contact.org_unit
        )
        subject, sender = contact.encrypted_subject, contact.domain
        reference = f"contacts/{contact.contact_id}"
    elif which == "product_completed":
        product = event.product_completed
        context = Context(
            TriggerKind.PRODUCT, Channel(product.channel), product.product, product.org_unit
        )
        subject, sender = product.encrypted_subject, product.domain
        reference = f"products/{product.product}/{product.reference}" if product.reference else ""
    else:
        return None
    field = f"event.{which}.encrypted_subject"
    return IncomingEvent(event.event_id, KINDS[which], context, subject, sender, reference, field)


def _channel(field: str, value: int) -> Iterator[Violation]:
    if value not in Channel.__members__.values():
        yield field, "required: a Channel value"


def _subject(
    prefix: str, subject: bytes, domain: str, sender: str, optional: bool
) -> Iterator[Violation]:
    """A tagged pseudonym of the sending domain; ``subject_domain``, when set, names it."""
    if optional and not subject and not domain:
        return
    yield from tagged_violations(f"{prefix}.encrypted_subject", subject, (sender,))
    if domain and domain != sender:
        yield f"{prefix}.subject_domain", f"the audience of encrypted_subject: {sender}"


def _payload(event: pb.Event) -> Iterator[Violation]:
    which = event.WhichOneof("payload")
    prefix = f"event.{which}"
    if which == "complaint_closed":
        closed = event.complaint_closed
        yield from _channel(f"{prefix}.channel", int(closed.channel))
        yield from code_violations(f"{prefix}.org_unit", closed.org_unit)
        if closed.handled_by_org_unit:
            yield from code_violations(f"{prefix}.handled_by_org_unit", closed.handled_by_org_unit)
        if closed.outcome and int(closed.outcome) not in Outcome.__members__.values():
            yield f"{prefix}.outcome", "not an Outcome value"
        if not REFERENCE.match(closed.complaint):
            yield f"{prefix}.complaint", "required: the complaint's name"
        yield from _subject(
            prefix, closed.encrypted_subject, closed.subject_domain, COMPLAINTS_DOMAIN, False
        )
    elif which == "contact_registered":
        contact = event.contact_registered
        yield from _channel(f"{prefix}.channel", int(contact.channel))
        yield from code_violations(f"{prefix}.topic", contact.topic)
        yield from code_violations(f"{prefix}.org_unit", contact.org_unit)
        yield from code_violations(f"{prefix}.domain", contact.domain)
        if not REFERENCE.match(contact.contact_id):
            yield f"{prefix}.contact_id", "required: the contact's id"
        yield from _subject(
            prefix, contact.encrypted_subject, contact.subject_domain, contact.domain, True
        )
    elif which == "product_completed":
        product = event.product_completed
        yield from _channel(f"{prefix}.channel", int(product.channel))
        yield from code_violations(f"{prefix}.product", product.product)
        yield from code_violations(f"{prefix}.org_unit", product.org_unit)
        yield from code_violations(f"{prefix}.domain", product.domain)
        if product.reference and not REFERENCE.match(product.reference):
            yield f"{prefix}.reference", "at most 128 printable ASCII characters"
        yield from _subject(
            prefix, product.encrypted_subject, product.subject_domain, product.domain, False
        )


def event_violations(request: pb.DeliverEventRequest) -> list[FieldViolation]:
    """Shape checks of a DeliverEventRequest (an unknown payload is not a violation)."""
    if not request.HasField("event"):
        return [FieldViolation("event", "required")]
    found: list[Violation] = []
    if not REQUEST_ID.match(request.event.event_id) or len(request.event.event_id) > 64:
        found.append(("event.event_id", "required: 1-64 printable ASCII characters"))
    found += _payload(request.event)
    return [FieldViolation(name, text) for name, text in found]
