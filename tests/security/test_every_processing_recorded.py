"""Every processing recorded: no RPC returns, converts or issues personal data without a record.

The attacker is any insider with valid tokens who would like to process citizens' data without
leaving a trace in the processing log: through an RPC nobody thought of recording, or one
added later. So the RPCs are not listed by hand: the test asks the running stack's gRPC
reflection service for its services and their file descriptors, and every served RPC must be
in exactly one of two tables:

- :data:`RECORDED`: a scenario makes one successful call through the public contract (real
  tokens, citizens issued as an edge would) as a fresh actor, and the audit log must then hold
  a record of the named operation naming that actor; for a call about one citizen, each such
  record names a subject; for a list without a citizen filter, exactly one record for the call
  that names the number of citizens listed (``citizens=N``) and no subject;
- :data:`EXEMPT`: what the RPC hands out is no personal data, with the reason.

A new RPC in neither table fails :func:`test_every_served_rpc_is_recorded_or_exempt`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from tests.security import processing_calls as calls
from tests.security.processing_calls import World
from tests.support.audit import audit_records
from tests.support.stack import running_stack

AUDIT = "stadskamer.audit.v1.ProcessingLogService"
COMPLAINTS = "stadskamer.complaints.v1.ComplaintsService"
CONSENT = "stadskamer.consent.v1.ConsentService"
CONTACTS = "stadskamer.contacts.v1.ContactsService"
EVENTS = "stadskamer.events.v1.EventSinkService"
HEALTH = "grpc.health.v1.Health"
HISTORY = "stadskamer.history.v1.HistoryService"
PSEUDONYMS = "stadskamer.pseudonyms.v1.PseudonymService"
REFLECTION = "grpc.reflection.v1alpha.ServerReflection"
SURVEYS = "stadskamer.surveys.v1.SurveysService"

COUNT = re.compile(r"^citizens=(\d+)$")


class About(Enum):
    """Whom a call's records are about."""

    CITIZEN = "one citizen, or each citizen listed: every record names a subject"
    CITIZENS = "an unfiltered list: one record naming the number of citizens, no subject"
    NO_CITIZEN = "no citizen (a key, aggregate figures): the record names the actor"


@dataclass(frozen=True)
class Case:
    """One successful call of a recorded RPC and the record it must leave.

    ``also`` names further operations whose records must name the actor; ``actor`` is the
    recorded actor of a public RPC (called without a token).
    """

    call: Callable[[World, str], None]
    record: str
    about: About = About.CITIZEN
    also: tuple[str, ...] = ()
    actor: str = ""


# RPC -> its successful calls; each must leave a record.
RECORDED: dict[str, tuple[Case, ...]] = {
    # Issuance turns a BSN into pseudonyms: one record per citizen (actor, purpose, audience).
    f"{PSEUDONYMS}/IssuePolymorphicPseudonyms": (
        Case(calls.issue_polymorphic_pseudonyms, "pseudonyms.issue"),
    ),
    # A conversion into another domain, under a link grant: recorded with the grant. A claim,
    # a refresh or a report stays in the caller's own domain (or becomes an audit subject):
    # the claimed pseudonym was recorded at its issuance, and the service that claims records
    # its processing with the claim's audit subject (the RegisterContact, FileComplaint, ...
    # cases below).
    f"{PSEUDONYMS}/Transcrypt": (Case(calls.transcrypt, "pseudonyms.transcrypt"),),
    f"{PSEUDONYMS}/BatchTranscrypt": (Case(calls.batch_transcrypt, "pseudonyms.transcrypt"),),
    # A domain key decrypts every pseudonym of its domain: who received it is recorded.
    f"{PSEUDONYMS}/GetDomainKey": (
        Case(calls.get_domain_key, "pseudonyms.domain-key", About.NO_CITIZEN),
    ),
    f"{CONTACTS}/RegisterContact": (Case(calls.register_contact, "contacts.register"),),
    f"{CONTACTS}/BatchRegisterContacts": (
        Case(calls.batch_register_contacts, "contacts.register"),
    ),
    f"{CONTACTS}/GetContact": (Case(calls.get_contact, "contacts.read"),),
    f"{CONTACTS}/ListContacts": (
        Case(calls.list_contacts_of_a_citizen, "contacts.read"),
        Case(calls.list_contacts, "contacts.read", About.CITIZENS),
        Case(calls.list_contacts_under_a_grant, "contacts.read"),
    ),
    f"{AUDIT}/ListProcessing": (
        Case(calls.list_processing_of_a_citizen, "audit.subject-access"),
        Case(calls.list_processing, "audit.supervision", About.CITIZENS),
    ),
    f"{CONSENT}/GrantConsent": (Case(calls.grant_consent, "consent.grant"),),
    f"{CONSENT}/GetConsent": (Case(calls.get_consent, "consent.read"),),
    f"{CONSENT}/WithdrawConsent": (Case(calls.withdraw_consent, "consent.withdraw"),),
    f"{CONSENT}/ListConsents": (Case(calls.list_consents, "consent.list"),),
    f"{CONSENT}/CheckConsent": (Case(calls.check_consent, "consent.check"),),
    f"{CONSENT}/IssueLinkGrant": (Case(calls.issue_link_grant, "link-grant.issue"),),
    f"{COMPLAINTS}/FileComplaint": (Case(calls.file_complaint, "complaints.file"),),
    f"{COMPLAINTS}/GetComplaint": (Case(calls.get_complaint, "complaints.read"),),
    f"{COMPLAINTS}/ListComplaints": (
        Case(calls.list_complaints_of_a_citizen, "complaints.list"),
        Case(calls.list_complaints, "complaints.list", About.CITIZENS),
        Case(calls.list_complaints_under_a_grant, "complaints.list"),
    ),
    f"{COMPLAINTS}/ReassignComplaint": (Case(calls.reassign_complaint, "complaints.reassign"),),
    f"{COMPLAINTS}/RecordCallback": (Case(calls.record_callback, "complaints.callback"),),
    f"{COMPLAINTS}/ChooseHandlingForm": (
        Case(calls.choose_handling_form, "complaints.handling-form"),
    ),
    f"{COMPLAINTS}/ExtendDecisionDeadline": (
        Case(calls.extend_decision_deadline, "complaints.extend"),
    ),
    f"{COMPLAINTS}/DecideComplaint": (Case(calls.decide_complaint, "complaints.decide"),),
    f"{COMPLAINTS}/CloseComplaint": (Case(calls.close_complaint, "complaints.close"),),
    f"{COMPLAINTS}/WithdrawComplaint": (Case(calls.withdraw_complaint, "complaints.withdraw"),),
    f"{SURVEYS}/CreateInvitation": (Case(calls.create_invitation, "surveys.invite"),),
    f"{SURVEYS}/GetInvitation": (Case(calls.get_invitation, "surveys.invitation.read"),),
    f"{SURVEYS}/AttachContactAddress": (
        Case(calls.attach_contact_address, "surveys.attach-address"),
    ),
    f"{SURVEYS}/SubmitResponse": (
        Case(calls.submit_response, "surveys.respond", actor="respondent"),
    ),
    f"{SURVEYS}/RecordObjection": (Case(calls.record_objection, "surveys.object"),),
    f"{SURVEYS}/WithdrawObjection": (Case(calls.withdraw_objection, "surveys.object-withdraw"),),
    # One record per task listed, each naming its citizen.
    f"{SURVEYS}/ListCallbackTasks": (
        Case(calls.list_callback_tasks, "surveys.callback-task.read"),
    ),
    f"{SURVEYS}/CompleteCallbackTask": (
        Case(
            calls.complete_callback_task,
            "surveys.callback-task.complete",
        ),
    ),
    # Figures with groups under the minimum size suppressed: no citizen, yet recorded.
    f"{SURVEYS}/GetSurveyInsights": (
        Case(
            calls.get_survey_insights,
            "surveys.insights",
            About.NO_CITIZEN,
        ),
    ),
    f"{SURVEYS}/JoinPanel": (Case(calls.join_panel, "surveys.panel-join"),),
    # One record per member drawn, each naming its citizen.
    f"{SURVEYS}/DrawPanelSample": (Case(calls.draw_panel_sample, "surveys.panel-draw"),),
    # Reads every member's consent: one record naming how many members were checked (and one
    # per member who left, naming its citizen).
    f"{SURVEYS}/SweepPanel": (Case(calls.sweep_panel, "surveys.panel-sweep", About.CITIZENS),),
    # An event's citizen is invited (or skipped) under a push grant: surveys.invite names it.
    f"{EVENTS}/DeliverEvent": (Case(calls.deliver_event, "surveys.invite"),),
    # The history names no subject of its own (the gateway claims nothing); the citizen is
    # named by the reads it makes with the caller's token: its own domain's contacts.read.
    f"{HISTORY}/GetHistory": (
        Case(
            calls.get_history,
            "contacts.read",
            also=("history.read",),
        ),
    ),
}

# RPC -> why it needs no record: what it hands out is no personal data.
EXEMPT: dict[str, str] = {
    f"{HEALTH}/Check": "serving status only",
    f"{HEALTH}/List": "serving status only",
    f"{HEALTH}/Watch": "serving status only",
    f"{REFLECTION}/ServerReflectionInfo": "the contracts' descriptors only",
    f"{PSEUDONYMS}/GetPublicKey": "the public master key and the tag keys, the same for everyone",
    f"{PSEUDONYMS}/ListDomains": "the domain catalogue with each domain's public key",
    # AppendRecords is the recording itself; a record about it would be recorded again, without
    # end. It hands nothing out (leaf indexes and a tree head).
    f"{AUDIT}/AppendRecords": "the recording itself; answers leaf indexes and a tree head",
    f"{AUDIT}/GetTreeHead": "the log's size, root hash and signature",
    f"{AUDIT}/GetInclusionProof": "hashes of the tree (a leaf hash is no readable record)",
    f"{AUDIT}/GetConsistencyProof": "hashes of the tree",
    # GetTopicSignals counts contacts per topic and time bucket of one domain, with shares and
    # the channel mix: no subject, no contact, no text leaves (contacts/signals.py).
    f"{CONTACTS}/GetTopicSignals": "counts per topic and bucket only",
    f"{CONSENT}/ListPurposes": "the purpose catalogue and its consent texts (public)",
    f"{CONSENT}/GetReceiptKey": "the public key that verifies receipts and link grants",
    # GetComplaintStats: totals, counts per org unit and channel, shares within the norms over
    # the complaints received in a period (complaints/stats.py): no complaint, no citizen.
    f"{COMPLAINTS}/GetComplaintStats": "counts and shares over a period only",
    # Improvements are the municipality's own actions (title, description, signal codes and a
    # count), public on the website: no citizen, no answer text.
    f"{SURVEYS}/CreateImprovement": "an improvement of the service: no citizen's data",
    f"{SURVEYS}/ListImprovements": "the public list of improvements: no citizen's data",
}


def _cases() -> Iterator[object]:
    for rpc, cases in RECORDED.items():
        for number, case in enumerate(cases):
            name = rpc.rsplit("/", 1)[1] + (f"-{number}" if len(cases) > 1 else "")
            yield pytest.param(rpc, case, id=name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One embedded stack for every case: each call is told apart by its own actor."""
    folder: Path = tmp_path_factory.mktemp("records") / "var"
    with running_stack(folder) as stack:
        yield World.of(stack)


def served_rpcs(channel: grpc.Channel) -> set[str]:
    """Every RPC the server serves, from its reflection service: the services it lists, each
    resolved through its file descriptor."""
    database = ProtoReflectionDescriptorDatabase(channel)
    pool = DescriptorPool(database)
    return {
        f"{service}/{method.name}"
        for service in database.get_services()
        for method in pool.FindServiceByName(service).methods
    }


def test_every_served_rpc_is_recorded_or_exempt(world: World) -> None:
    served = served_rpcs(world.channel)
    assert not RECORDED.keys() & EXEMPT.keys(), "an RPC is both recorded and exempt"
    unlisted = sorted(served - RECORDED.keys() - EXEMPT.keys())
    assert not unlisted, (
        f"served RPCs neither recorded nor exempt (add a Case or a reason): {unlisted}"
    )
    stale = sorted((RECORDED.keys() | EXEMPT.keys()) - served)
    assert not stale, f"listed RPCs the stack does not serve: {stale}"


@pytest.mark.parametrize(("rpc", "case"), list(_cases()))
def test_a_successful_call_is_recorded(world: World, rpc: str, case: Case) -> None:
    method = f"{rpc.rsplit('/', 1)[1]}-{case.call.__name__}".lower()
    actor = case.actor or "rec-" + re.sub(r"[^a-z0-9]+", "-", method)
    before = len(audit_records(world.stack.data_dir))
    case.call(world, actor)
    mine = [r for r in audit_records(world.stack.data_dir)[before:] if r["actor"] == actor]
    for name in (case.record, *case.also):
        assert any(r["name"] == name for r in mine), (
            f"{rpc}: no {name} record names {actor}; its records: {_names(mine)}"
        )
    named = [r for r in mine if r["name"] == case.record]
    if case.about is About.CITIZEN:
        assert all(r["subject"] for r in named), f"{rpc}: a {case.record} record names no subject"
    if case.about is About.CITIZENS:
        assert len(named) == 1, f"{rpc}: {len(named)} {case.record} records for one list"
        [record] = named
        count = COUNT.match(record["reference"])
        assert count, f"{rpc}: the record names no number of citizens: {record['reference']!r}"
        assert int(count.group(1)) >= 1 and not record["subject"]


def _names(records: list[dict[str, object]]) -> list[object]:
    return [(r["name"], r["status"]) for r in records]
