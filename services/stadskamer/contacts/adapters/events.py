"""The ContactRegistered event (``stadskamer.events.v1``) of a new contact.

The citizen travels as a fresh stored reference of the contact's domain (a tagged pseudonym
that the pseudonym service rerandomized and tagged anew for this event, never the bytes the
contacts service keeps, never a BSN); an anonymous contact has no subject. The receiver needs
a link grant to convert it into its own domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.domain import Contact
from stadskamer.contacts.ports import PseudonymPort

SOURCE = "contacts"
CONTACT_REGISTERED = pb.ContactRegistered.DESCRIPTOR.full_name
# Stored event ids are UUIDs derived from the contact's id, so a contact has exactly one such
# event. They never leave: the relay sends each event under an id keyed with the contact's
# domain key (:class:`stadskamer.common.event_sinks.EventIds`).
_EVENT_IDS = uuid.UUID("5b0c2f0e-6a57-4f1e-9d55-0c6c1a3e7d21")


class ProtoContactEvents:
    """Implements :class:`stadskamer.contacts.ports.ContactEvents` with protobuf."""

    def __init__(self, pseudonyms: PseudonymPort) -> None:
        self._pseudonyms = pseudonyms

    def registered(self, contacts: Sequence[tuple[Contact, bytes | None]]) -> list[OutboxEvent]:
        """The serialized Events with a ContactRegistered payload, ids derived from the
        contacts' ids; the subjects refreshed in one call."""
        wanted = [(reference, c.domain) for c, reference in contacts if reference is not None]
        fresh = iter(self._pseudonyms.convert_many(wanted) if wanted else [])
        return [
            _event(contact, next(fresh) if reference is not None else b"")
            for contact, reference in contacts
        ]


def _event(contact: Contact, subject: bytes) -> OutboxEvent:
    event_id = str(uuid.uuid5(_EVENT_IDS, contact.id))
    occurred = Timestamp()
    occurred.FromDatetime(contact.occurred_at)
    created = Timestamp()
    created.FromDatetime(contact.created_at)
    payload = pb.ContactRegistered(
        contact_id=contact.id,
        domain=contact.domain,
        channel=int(contact.channel),  # type: ignore[arg-type]
        topic=contact.topic,
        org_unit=contact.org_unit,
        occur_time=occurred,
    )
    if subject:
        payload.encrypted_subject = subject
        payload.subject_domain = contact.domain
    event = pb.Event(
        event_id=event_id,
        type=CONTACT_REGISTERED,
        occurred_at=created,
        source=SOURCE,
        contact_registered=payload,
    )
    return OutboxEvent(event_id, CONTACT_REGISTERED, event.SerializeToString(), contact.created_at)
