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
32-hex ids, digests, pseudonyms) is longer. Two more exclusions, each narrow:

- the ``key_id`` field inside a stored tagged pseudonym (a domain's stored reference): it
  names the pseudonym service's tag key, the same for every citizen, so it joins no one. The
  stored reference itself is still compared as a whole value (and its other fields);
- the pseudonym service's own database column ``issuance_counts.actor``: it is no domain
  store, and an actor (an agent's token subject) is not a citizen. Actors in domain stores
  (a complaint's assignment) are still compared.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2 as consent_pb
from stadskamer.api.surveys.v1 import surveys_pb2 as spb
from stadskamer.complaints.adapters.orm import outbox as complaints_outbox
from stadskamer.pep import tags
from tests.e2e.complaints.support import caller as complaints_caller
from tests.e2e.consent.support import grant_request
from tests.e2e.contacts.conftest import caller as contacts_caller
from tests.e2e.surveys.support import Callers, eventually, outbox, token_of
from tests.support.audit import records_settled
from tests.support.databases import value_forms
from tests.support.stack import Stack

BSN = "111222333"
MIN_LENGTH = 16
AUDIT_DATABASE = "audit.db"
# The pseudonym service's own bookkeeping: who had how many citizens issued (an actor per hour).
NOT_A_DOMAIN_STORE = {("pseudonyms.db", "issuance_counts", "actor")}
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


def stored_forms(value: object) -> list[str]:
    """The forms of a stored value; in a tagged pseudonym its ``key_id`` is not compared (it
    names the tag key, the same for every citizen), the value itself and its other fields are."""
    raw = bytes(value) if isinstance(value, memoryview | bytes) else None
    if raw is None:
        return list(value_forms(value))
    try:
        tagged = tags.parse(raw)
    except tags.InvalidTagError:
        return list(value_forms(raw))
    return [raw.hex(), *value_forms(replace(tagged, key_id="").to_bytes())]


def joinable_values(path: Path) -> dict[str, str]:
    """Every compared form of every column value of every row of a database, with its column."""
    engine = create_engine(f"sqlite:///{path}")
    found: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if (path.name, table, column) in NOT_A_DOMAIN_STORE:
                            continue
                        for form in stored_forms(value):
                            if len(form) >= MIN_LENGTH:
                                found.setdefault(form, f"{table}.{column}")
    finally:
        engine.dispose()
    return found


def test_no_stored_value_of_one_database_is_in_another(stack: Stack) -> None:
    play_a_day(stack)
    databases = {
        path.name: joinable_values(path)
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
