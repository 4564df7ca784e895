"""The ContactRegistered event (``stadskamer.events.v1``) of a new contact.

The citizen travels as the contact's domain pseudonym, freshly encrypted under that domain's
public key (never a BSN, never the bare pseudonym); an anonymous contact has no subject.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.client import DomainKey
from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.domain import Contact

SOURCE = "contacts"
CONTACT_REGISTERED = pb.ContactRegistered.DESCRIPTOR.full_name
# Stored event ids are UUIDs derived from the contact's id, so a contact has exactly one such
# event. They never leave: the relay sends each event under an id keyed with the contact's
# domain key (:class:`stadskamer.common.event_sinks.EventIds`).
_EVENT_IDS = uuid.UUID("5b0c2f0e-6a57-4f1e-9d55-0c6c1a3e7d21")


class ProtoContactEvents:
    """Implements :class:`stadskamer.contacts.ports.ContactEvents` with protobuf."""

    def __init__(self, keys: Mapping[str, DomainKey]) -> None:
        self._keys = dict(keys)

    def registered(self, contact: Contact) -> OutboxEvent:
        """The serialized Event with a ContactRegistered payload, its id derived from the
        contact's."""
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
        if contact.subject is not None:
            from stadskamer.client import encrypt_pseudonym  # type: ignore[attr-defined]  # removed: moves next

            payload.encrypted_subject = encrypt_pseudonym(
                contact.subject, self._keys[contact.domain]
            )
            payload.subject_domain = contact.domain
        event = pb.Event(
            event_id=event_id,
            type=CONTACT_REGISTERED,
            occurred_at=created,
            source=SOURCE,
            contact_registered=payload,
        )
        return OutboxEvent(
            event_id, CONTACT_REGISTERED, event.SerializeToString(), contact.created_at
        )
