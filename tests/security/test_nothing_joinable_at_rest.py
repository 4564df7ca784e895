"""An insider who reads the database files of two services joins nothing across them.

The attacker can read every service's database file (not the processing log's: the audit
service is the oversight domain, one subject per citizen is its purpose) and holds no key.
After a day played over every service through the public contracts (contacts in two domains,
one of which leads to a survey invitation, a complaint that names the KCC contact it was
made in and is announced to the surveys service, a consent given and listed, the survey
answered with a call-back consent), every stored value of one database (each column value of
each row, the parts of a name, printable runs and UUIDs inside it) is looked up in every
other database. Any hit is a join key between two domains' stores.

Shared vocabulary is not a join key and is left out, explicitly and only this: values
shorter than :data:`MIN_LENGTH` characters (enum names, domain, topic and org-unit codes,
versions, empty strings). Numbers, booleans and times are never compared
(:func:`tests.support.databases.value_forms`). Every identifier of these schemas (UUIDs,
32-hex ids, digests, pseudonyms) is longer.
"""

from __future__ import annotations

from itertools import combinations

from sqlalchemy import create_engine, func, select

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.surveys.v1 import surveys_pb2 as spb
from stadskamer.complaints.adapters.orm import outbox as complaints_outbox
from tests.e2e.complaints.support import caller as complaints_caller
from tests.e2e.consent.support import grant_request
from tests.e2e.contacts.conftest import caller as contacts_caller
from tests.e2e.surveys.support import Callers, eventually, outbox, token_of
from tests.support.audit import records_settled
from tests.support.databases import stored_values
from tests.support.stack import Stack

BSN = "111222333"
MIN_LENGTH = 16
AUDIT_DATABASE = "audit.db"
ACTORS = ("agent-kcc-1", "agent-bz-1", "coordinator-kl-1", "agent-ok-1", "privacy-1")


def complaint_event_delivered(stack: Stack) -> bool:
    """Whether the surveys service has the ComplaintClosed event (the citizen is not invited
    twice: the survey-fatigue rule skips it, but it is recorded)."""
    engine = create_engine(f"sqlite:///{stack.data_dir / 'complaints.db'}")
    with engine.connect() as connection:
        pending = connection.execute(
            select(func.count()).where(complaints_outbox.events.c.delivered_at_us.is_(None))
        ).scalar_one()
    engine.dispose()
    return pending == 0


def play_a_day(stack: Stack) -> None:
    """Contacts, a complaint naming one, a consent, lists, two invitations, one answer."""
    callers = Callers(stack)
    kcc = contacts_caller(stack, ["kcc"], ["agent"], ACTORS[0])
    contact = kcc.register(
        request_id="at-rest-kcc-1",
        domain="kcc",
        subject=kcc.subject(BSN),
        channel=channel_pb2.CHANNEL_PHONE,
        topic="afval",
        org_unit="kcc-telefonie",
        summary="Container niet geleegd.",
    ).contact
    burgerzaken = contacts_caller(stack, ["burgerzaken"], ["agent"], ACTORS[1])
    burgerzaken.register(
        request_id="at-rest-bz-1", domain="burgerzaken", subject=burgerzaken.subject(BSN)
    )
    contact_id = contact.name.removeprefix("contacts/")

    coordinator = complaints_caller(
        stack.channel, stack.token(ACTORS[2], ["klachten"], ["coordinator", "agent", "issuer"])
    )
    complaint = coordinator.file(BSN, "at-rest-complaint-1", contact_id=contact_id).complaint
    read = coordinator.call("GetComplaint", cpb.GetComplaintRequest(name=complaint.name))
    assert complaint.contact_id == read.contact_id == contact_id
    coordinator.call(
        "RecordCallback", cpb.RecordCallbackRequest(name=complaint.name, handling_form=1)
    )
    coordinator.call(
        "DecideComplaint",
        cpb.DecideComplaintRequest(
            name=complaint.name, outcome=cpb.OUTCOME_FOUNDED, handled_by_org_unit="burgerzaken"
        ),
    )
    coordinator.call("CloseComplaint", cpb.CloseComplaintRequest(name=complaint.name))

    agent = callers.auth(ACTORS[0], ["kcc"], ["agent"])
    callers.consent.GrantConsent(
        grant_request(callers.subject(BSN, "kcc"), "complaint-callback"), metadata=agent
    )
    listing = consent_pb.ListConsentsRequest(subject=callers.subject(BSN, "kcc"))
    callers.consent.ListConsents(listing, metadata=agent)
    officer = callers.auth(ACTORS[4], ["kcc"], ["privacy-officer"])
    callers.consent.ListConsents(listing, metadata=officer)

    onderzoek = callers.auth(ACTORS[3], ["onderzoek"], ["agent"])
    by_contact = spb.GetInvitationRequest(source_reference=contact.name)
    invitation = eventually(lambda: callers.surveys.GetInvitation(by_contact, metadata=onderzoek))
    eventually(lambda: complaint_event_delivered(stack) or None)
    address = spb.ContactAddress(kind=spb.ADDRESS_KIND_EMAIL, value="burger@example.nl")
    callers.surveys.AttachContactAddress(
        spb.AttachContactAddressRequest(name=invitation.name, contact_address=address),
        metadata=onderzoek,
    )
    [message] = outbox(stack)
    answered = callers.surveys.SubmitResponse(
        spb.SubmitResponseRequest(
            token=token_of(message),
            score=4,
            what_was_good="Snel teruggebeld.",
            what_can_be_better="Eerder antwoord.",
            aspect="uitkomst",
            may_call_back=True,
            consent_purpose_version=1,
        )
    )
    assert answered.callback_scheduled
    records_settled(stack.data_dir)


def test_no_stored_value_of_one_database_is_in_another(stack: Stack) -> None:
    play_a_day(stack)
    databases = {
        path.name: {
            form: column
            for form, column in stored_values(f"sqlite:///{path}").items()
            if len(form) >= MIN_LENGTH
        }
        for path in sorted(stack.data_dir.glob("*.db"))
        if path.name != AUDIT_DATABASE
    }
    assert {"contacts.db", "complaints.db", "consent.db", "surveys.db"} <= set(databases)
    joins = [
        f"{value!r}: {first}:{ours[value]} = {second}:{theirs[value]}"
        for (first, ours), (second, theirs) in combinations(databases.items(), 2)
        for value in sorted(ours.keys() & theirs.keys())
    ]
    assert joins == [], "\n".join(joins)
