"""A registered contact reaches the surveys service as a ContactRegistered event, once."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import create_engine, select

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.contacts.v1 import contacts_pb2 as pb
from stadskamer.api.events.v1 import events_pb2 as epb
from stadskamer.api.surveys.v1 import surveys_pb2 as spb
from stadskamer.client import DomainKey, decrypt_pseudonym
from stadskamer.common.keys import KeyLayout
from stadskamer.contacts.adapters.orm import contacts, outbox
from stadskamer.pep import tags
from tests.e2e.contacts.conftest import Caller
from tests.e2e.surveys.support import Callers, eventually
from tests.support.databases import dump_database_text
from tests.support.stack import Stack

BSN = "111222333"


def _events(stack: Stack) -> list[tuple[epb.Event, int | None]]:
    """Every event in the contacts outbox with the time it was delivered everywhere."""
    engine = create_engine(f"sqlite:///{stack.data_dir / 'contacts.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            select(outbox.events.c.payload, outbox.events.c.delivered_at_us).order_by(
                outbox.events.c.sequence
            )
        ).all()
    engine.dispose()
    return [(epb.Event.FromString(row.payload), row.delivered_at_us) for row in rows]


def _stored_subject(stack: Stack, contact_id: str) -> tuple[bytes, bytes]:
    """The stored domain pseudonym and stored reference of a contact."""
    engine = create_engine(f"sqlite:///{stack.data_dir / 'contacts.db'}")
    with engine.connect() as connection:
        row = connection.execute(
            select(contacts.c.subject_pseudonym, contacts.c.subject_reference).where(
                contacts.c.id == contact_id
            )
        ).one()
    engine.dispose()
    return bytes(row.subject_pseudonym), bytes(row.subject_reference)


def test_a_new_contact_is_surveyed_through_its_event(stack: Stack, everyone: Caller) -> None:
    def register() -> pb.RegisterContactResponse:
        return everyone.register(
            request_id="event-1",
            domain="kcc",
            subject=everyone.subject(BSN, "kcc"),
            channel=channel_pb2.CHANNEL_PHONE,
            topic="afval",
            org_unit="kcc-telefonie",
        )

    registered = register().contact
    assert register().contact.name == registered.name
    [event] = [e for e, _ in _events(stack)]
    assert event.source == "contacts"
    payload = event.contact_registered
    assert f"contacts/{payload.contact_id}" == registered.name
    assert payload.subject_domain == "kcc"
    key = DomainKey.from_file(KeyLayout.under(stack.data_dir).domain_key("kcc"))
    pseudonym, reference = _stored_subject(stack, registered.name.removeprefix("contacts/"))
    sent = tags.parse(payload.encrypted_subject)
    assert (sent.kind, sent.audience) == (tags.Kind.REFERENCE, "kcc")
    assert payload.encrypted_subject != reference, "a fresh reference, never the stored one"
    assert sent.ciphertext != tags.parse(reference).ciphertext
    assert decrypt_pseudonym(payload.encrypted_subject, key) == pseudonym
    assert BSN not in dump_database_text(f"sqlite:///{stack.data_dir / 'contacts.db'}")

    callers = Callers(stack)
    analyst = callers.auth("analist", ["onderzoek"], ["agent"])
    by_reference = spb.GetInvitationRequest(source_reference=registered.name)
    invitation = eventually(lambda: callers.surveys.GetInvitation(by_reference, metadata=analyst))
    assert invitation.trigger == spb.TRIGGER_KIND_CONTACT
    assert (invitation.channel, invitation.topic) == (channel_pb2.CHANNEL_PHONE, "afval")
    assert invitation.org_unit == "kcc-telefonie"
    eventually(lambda: [e for e in _events(stack) if e[1] is not None] or None)


def test_an_anonymous_contact_is_announced_without_a_subject_and_not_surveyed(
    stack: Stack, everyone: Caller
) -> None:
    registered = everyone.register(request_id="anonymous-1", domain="kcc").contact
    [(event, _)] = [e for e in _events(stack) if e[0].contact_registered.contact_id]
    assert f"contacts/{event.contact_registered.contact_id}" == registered.name
    assert event.contact_registered.encrypted_subject == b""
    eventually(lambda: [e for e in _events(stack) if e[1] is not None] or None)
    callers = Callers(stack)
    analyst = callers.auth("analist", ["onderzoek"], ["agent"])
    by_reference = spb.GetInvitationRequest(source_reference=registered.name)
    with pytest.raises(grpc.RpcError) as raised:
        callers.surveys.GetInvitation(by_reference, metadata=analyst)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
