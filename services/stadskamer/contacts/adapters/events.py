"""The ContactRegistered event (``stadskamer.events.v1``) of a new contact.

:class:`ProtoContactEvents` builds the event for the outbox without the citizen.
:class:`RegisteredContactSubjects` completes it at each delivery (the relay's ``prepare``):
it reads the contact's stored reference and has the pseudonym service refresh it (a new
rerandomization and tag of the contact's domain), so the bytes a receiver gets are nowhere in
the contacts database, never a BSN; an anonymous contact has no subject. The receiver needs a
link grant to convert it into its own domain. A contact whose reference is gone or expired is
not sent (it can no longer name the citizen).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.events.v1 import events_pb2 as pb
from stadskamer.common.citizens import fresh_reference
from stadskamer.common.db import UnitOfWork
from stadskamer.common.outbox import OutboxEvent
from stadskamer.contacts.adapters.repository import ContactRepository
from stadskamer.contacts.domain import Contact
from stadskamer.contacts.ports import PseudonymPort

SOURCE = "contacts"
CONTACT_REGISTERED = pb.ContactRegistered.DESCRIPTOR.full_name
# Stored event ids are UUIDs derived from the contact's id, so a contact has exactly one such
# event. They never leave: the relay sends each event under an id keyed with the contact's
# domain key (:class:`stadskamer.common.event_sinks.EventIds`).
_EVENT_IDS = uuid.UUID("5b0c2f0e-6a57-4f1e-9d55-0c6c1a3e7d21")
_log = logging.getLogger("stadskamer.contacts")


class ProtoContactEvents:
    """Implements :class:`stadskamer.contacts.ports.ContactEvents` with protobuf."""

    def registered(self, contacts: Sequence[Contact]) -> list[OutboxEvent]:
        """The serialized Events with a ContactRegistered payload, ids derived from the
        contacts' ids, without their subjects."""
        return [_event(contact) for contact in contacts]


class RegisteredContactSubjects:
    """The relay's ``prepare``: a fresh reference of the contact's citizen in each delivery."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        pseudonyms: PseudonymPort,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._unit_of_work = unit_of_work
        self._pseudonyms = pseudonyms
        self._clock = clock

    def __call__(self, event: pb.Event) -> pb.Event | None:
        """The event with its subject; None when the citizen can no longer be named."""
        if event.WhichOneof("payload") != "contact_registered":
            return event
        registered = event.contact_registered
        with self._unit_of_work() as uow:
            stored = ContactRepository(uow.session).get(registered.contact_id)
        if stored is None:
            _log.warning("registered contact no longer stored: nothing to send")
            return None
        if stored.contact.subject is None:
            return event
        domain = stored.contact.domain
        fresh = fresh_reference(self._pseudonyms, stored.reference, domain, self._clock())
        if fresh is None:
            _log.warning("registered contact without a valid reference: no subject to send")
            return None
        registered.encrypted_subject = fresh
        registered.subject_domain = stored.contact.domain
        return event


def _event(contact: Contact) -> OutboxEvent:
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
    event = pb.Event(
        event_id=event_id,
        type=CONTACT_REGISTERED,
        occurred_at=created,
        source=SOURCE,
        contact_registered=payload,
    )
    return OutboxEvent(event_id, CONTACT_REGISTERED, event.SerializeToString(), contact.created_at)
