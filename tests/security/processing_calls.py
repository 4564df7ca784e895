"""One successful call of each recorded RPC, through the public contract, as a given actor.

Each call function makes one call of the RPC it is named after with a token whose subject is
``actor``; whatever it needs first (a contact to read, a consent to check, a grant to read
under) it prepares as :data:`SETUP`, or as ``actor`` through other RPCs, so the records of the
RPC's own operation that name ``actor`` are the call's. Citizens are issued as an edge would
(:class:`tests.support.citizens.Citizens`): a fresh tagged pseudonym for every call that takes
one, and a BSN of its own for every call (:meth:`World.bsn`), so that no call meets another
call's citizen (a survey invitation's fatigue, a panel member drawn before).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.audit.v1 import audit_pb2, audit_pb2_grpc
from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2, complaints_pb2_grpc
from stadskamer.api.consent.v1 import consent_pb2, consent_pb2_grpc
from stadskamer.api.contacts.v1 import contacts_pb2, contacts_pb2_grpc
from stadskamer.api.events.v1 import events_pb2, events_pb2_grpc
from stadskamer.api.history.v1 import history_pb2, history_pb2_grpc
from stadskamer.api.pseudonyms.v1 import pseudonyms_pb2, pseudonyms_pb2_grpc
from stadskamer.api.surveys.v1 import surveys_pb2, surveys_pb2_grpc
from stadskamer.client import PseudonymClient
from tests.support.citizens import Citizens
from tests.support.stack import Stack

SETUP = "setup-agent"
HISTORY = "integrated-contact-history"
Metadata = tuple[tuple[str, str], ...]


def valid_bsns(start: int) -> Iterator[str]:
    """BSNs that pass the 11-check, from the eight-digit prefix ``start`` on."""
    for number in itertools.count(start):
        first = f"{number:08d}"
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
        if check <= 9:
            yield first + str(check)


@dataclass
class World:
    """The running stack, an issuer of citizens, tokens for any actor, and fresh BSNs."""

    stack: Stack
    citizens: Citizens
    _bsns: Iterator[str] = field(default_factory=lambda: valid_bsns(31_000_000))

    @classmethod
    def of(cls, stack: Stack) -> World:
        """The world of a running stack."""
        return cls(stack, Citizens(stack.channel, stack.issuer))

    @property
    def channel(self) -> grpc.Channel:
        """The stack's channel."""
        return self.stack.channel

    def bsn(self) -> str:
        """A citizen no call has met before."""
        return next(self._bsns)

    def token(self, actor: str, domains: Sequence[str], roles: Sequence[str]) -> str:
        """A valid token of ``actor``."""
        return self.stack.token(actor, list(domains), list(roles))

    def metadata(self, actor: str, domains: Sequence[str], roles: Sequence[str]) -> Metadata:
        """Call metadata with a fresh token of ``actor``."""
        return (("authorization", f"Bearer {self.token(actor, domains, roles)}"),)

    def subject(self, domain: str, bsn: str) -> bytes:
        """A freshly issued tagged pseudonym of ``bsn`` for ``domain``."""
        return self.citizens.subject(bsn, domain)


def ago(**delta: float) -> Timestamp:
    """A Timestamp some time before now."""
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(**delta))
    return stamp


# --- pseudonyms -----------------------------------------------------------------------------


def issue_polymorphic_pseudonyms(world: World, actor: str) -> None:
    """A KCC agent's edge has one citizen issued into kcc."""
    token = world.token(actor, ["kcc"], ["agent", "issuer"])
    PseudonymClient(world.channel, token).issue_one(world.bsn(), "kcc", "contact-registration")


def get_domain_key(world: World, actor: str) -> None:
    """The kcc service fetches its domain key."""
    PseudonymClient(world.channel, world.token(actor, ["kcc"], ["service"])).domain_key("kcc")


def granted(world: World, actor: str, target: str, bsn: str) -> tuple[bytes, str]:
    """A kcc agent's subject of a citizen who consented to the integrated contact history, and
    the link grant the consent service issued ``actor`` for reading ``target`` with it."""
    given_consent(world, bsn)
    subject = world.subject("kcc", bsn)
    request = consent_pb2.IssueLinkGrantRequest(
        subject=subject, purpose=HISTORY, requester_domain="kcc", target_domain=target
    )
    grant = consent_pb2_grpc.ConsentServiceStub(world.channel).IssueLinkGrant(
        request, metadata=world.metadata(actor, ["kcc"], ["agent"])
    )
    return subject, str(grant.link_grant)


def transcrypt(world: World, actor: str) -> None:
    """A kcc agent has the citizen's pseudonym converted into burgerzaken under a grant."""
    subject, grant = granted(world, actor, "burgerzaken", world.bsn())
    token = world.token(actor, ["kcc"], ["agent"])
    PseudonymClient(world.channel, token).convert(subject, "burgerzaken", grant)


def batch_transcrypt(world: World, actor: str) -> None:
    """The same conversion as one item of a batch."""
    subject, grant = granted(world, actor, "burgerzaken", world.bsn())
    item = pseudonyms_pb2.TranscryptRequest(
        tagged_pseudonym=subject, target_domain="burgerzaken", link_grant=grant
    )
    pseudonyms_pb2_grpc.PseudonymServiceStub(world.channel).BatchTranscrypt(
        pseudonyms_pb2.BatchTranscryptRequest(requests=[item]),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


# --- contacts -------------------------------------------------------------------------------


def _contacts(world: World) -> contacts_pb2_grpc.ContactsServiceStub:
    return contacts_pb2_grpc.ContactsServiceStub(world.channel)


def contact_request(subject: bytes, domain: str = "kcc") -> contacts_pb2.RegisterContactRequest:
    """A valid registration of a contact of ``subject`` in ``domain``."""
    return contacts_pb2.RegisterContactRequest(
        request_id=uuid.uuid4().hex,
        domain=domain,
        subject=subject,
        channel=channel_pb2.CHANNEL_PHONE,
        topic="paspoort",
        org_unit="kcc-telefonie",
        occurred_at=ago(hours=1),
    )


def registered_contact(world: World, bsn: str, domain: str = "kcc") -> str:
    """The name of a contact of the citizen that :data:`SETUP` registered in ``domain``."""
    answer = _contacts(world).RegisterContact(
        contact_request(world.subject(domain, bsn), domain),
        metadata=world.metadata(SETUP, [domain], ["agent"]),
    )
    return str(answer.contact.name)


def register_contact(world: World, actor: str) -> None:
    """An agent registers a citizen's contact."""
    _contacts(world).RegisterContact(
        contact_request(world.subject("kcc", world.bsn())),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def batch_register_contacts(world: World, actor: str) -> None:
    """An importer registers two citizens' contacts in one batch."""
    requests = [contact_request(world.subject("kcc", world.bsn())) for _ in range(2)]
    _contacts(world).BatchRegisterContacts(
        contacts_pb2.BatchRegisterContactsRequest(requests=requests),
        metadata=world.metadata(actor, ["kcc"], ["system"]),
    )


def get_contact(world: World, actor: str) -> None:
    """An agent opens one contact."""
    name = registered_contact(world, world.bsn())
    _contacts(world).GetContact(
        contacts_pb2.GetContactRequest(name=name),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def list_contacts_of_a_citizen(world: World, actor: str) -> None:
    """An agent lists one citizen's contacts."""
    bsn = world.bsn()
    registered_contact(world, bsn)
    _contacts(world).ListContacts(
        contacts_pb2.ListContactsRequest(domain="kcc", subject=world.subject("kcc", bsn)),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def list_contacts(world: World, actor: str) -> None:
    """A coordinator lists a domain's contacts without a citizen filter."""
    registered_contact(world, world.bsn())
    _contacts(world).ListContacts(
        contacts_pb2.ListContactsRequest(domain="kcc"),
        metadata=world.metadata(actor, ["kcc"], ["coordinator"]),
    )


def list_contacts_under_a_grant(world: World, actor: str) -> None:
    """A kcc agent reads the citizen's burgerzaken contacts under a link grant."""
    bsn = world.bsn()
    registered_contact(world, bsn, "burgerzaken")
    subject, grant = granted(world, actor, "burgerzaken", bsn)
    token = world.token(actor, ["kcc"], ["agent"])
    converted = PseudonymClient(world.channel, token).convert(subject, "burgerzaken", grant)
    _contacts(world).ListContacts(
        contacts_pb2.ListContactsRequest(
            domain="burgerzaken", encrypted_subject=converted, link_grant=grant
        ),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


# --- audit ----------------------------------------------------------------------------------


def _list_processing(world: World, token: str, purpose: int, **filters: object) -> None:
    request = audit_pb2.ListProcessingRequest(
        filter=audit_pb2.ProcessingFilter(**filters),  # type: ignore[arg-type]
        query_purpose=purpose,  # type: ignore[arg-type]
    )
    audit_pb2_grpc.ProcessingLogServiceStub(world.channel).ListProcessing(
        request, metadata=(("authorization", f"Bearer {token}"),)
    )


def list_processing_of_a_citizen(world: World, actor: str) -> None:
    """A privacy officer answers a citizen's subject-access request."""
    bsn = world.bsn()
    registered_contact(world, bsn)
    token = world.token(actor, [], ["privacy-officer", "issuer"])
    subjects = PseudonymClient(world.channel, token).issue([bsn], ["audit"], "subject-access")[0]
    assert subjects
    _list_processing(world, token, audit_pb2.QUERY_PURPOSE_SUBJECT_ACCESS, subjects_tagged=subjects)


def list_processing(world: World, actor: str) -> None:
    """A privacy officer supervises a domain's processing, no citizen named."""
    registered_contact(world, world.bsn())
    token = world.token(actor, [], ["privacy-officer"])
    _list_processing(world, token, audit_pb2.QUERY_PURPOSE_SUPERVISION, domain="kcc")


# --- consent --------------------------------------------------------------------------------


def _consent(world: World) -> consent_pb2_grpc.ConsentServiceStub:
    return consent_pb2_grpc.ConsentServiceStub(world.channel)


def _consent_request(subject: bytes, purpose: str = HISTORY) -> consent_pb2.GrantConsentRequest:
    return consent_pb2.GrantConsentRequest(
        request_id=uuid.uuid4().hex,
        subject=subject,
        purpose=purpose,
        purpose_version=1,
        capture=consent_pb2.Capture(
            channel=channel_pb2.CHANNEL_PHONE, method=consent_pb2.CAPTURE_METHOD_AGENT
        ),
    )


def given_consent(world: World, bsn: str, purpose: str = HISTORY) -> str:
    """The name of the consent for ``purpose`` that :data:`SETUP` recorded for the citizen."""
    consent = _consent(world).GrantConsent(
        _consent_request(world.subject("kcc", bsn), purpose),
        metadata=world.metadata(SETUP, ["kcc"], ["agent"]),
    )
    return str(consent.name)


def grant_consent(world: World, actor: str) -> None:
    """An agent records a citizen's consent given by phone."""
    _consent(world).GrantConsent(
        _consent_request(world.subject("kcc", world.bsn())),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def get_consent(world: World, actor: str) -> None:
    """An agent reads one consent."""
    name = given_consent(world, world.bsn())
    _consent(world).GetConsent(
        consent_pb2.GetConsentRequest(name=name), metadata=world.metadata(actor, ["kcc"], ["agent"])
    )


def withdraw_consent(world: World, actor: str) -> None:
    """An agent records the citizen's withdrawal."""
    name = given_consent(world, world.bsn())
    _consent(world).WithdrawConsent(
        consent_pb2.WithdrawConsentRequest(
            name=name, reason=consent_pb2.WITHDRAWAL_REASON_CITIZEN_REQUEST
        ),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def list_consents(world: World, actor: str) -> None:
    """An agent lists a citizen's consents."""
    bsn = world.bsn()
    given_consent(world, bsn)
    _consent(world).ListConsents(
        consent_pb2.ListConsentsRequest(subject=world.subject("kcc", bsn)),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def check_consent(world: World, actor: str) -> None:
    """An agent checks whether kcc may read the citizen's burgerzaken contacts."""
    bsn = world.bsn()
    given_consent(world, bsn)
    _consent(world).CheckConsent(
        consent_pb2.CheckConsentRequest(
            subject=world.subject("kcc", bsn),
            purpose=HISTORY,
            requester_domain="kcc",
            target_domain="burgerzaken",
        ),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def issue_link_grant(world: World, actor: str) -> None:
    """An agent has a link grant issued for reading the citizen's burgerzaken contacts."""
    granted(world, actor, "burgerzaken", world.bsn())


# --- complaints -----------------------------------------------------------------------------

CLERK = ("agent", "coordinator")


def _complaints(world: World) -> complaints_pb2_grpc.ComplaintsServiceStub:
    return complaints_pb2_grpc.ComplaintsServiceStub(world.channel)


def _complaint_request(subject: bytes) -> complaints_pb2.FileComplaintRequest:
    return complaints_pb2.FileComplaintRequest(
        request_id=uuid.uuid4().hex,
        subject=subject,
        channel=channel_pb2.CHANNEL_WEB_FORM,
        org_unit="burgerzaken",
        about_official=False,
        description="De afspraak aan de balie werd twee keer verzet.",
    )


Step = tuple[str, Callable[[str], Message]]


def filed_complaint(world: World, bsn: str, *steps: Step) -> str:
    """The name of a complaint of the citizen that :data:`SETUP` filed, then took through
    ``steps`` (a method, and its request for the complaint's name)."""
    metadata = world.metadata(SETUP, ["klachten"], CLERK)
    stub = _complaints(world)
    filed = stub.FileComplaint(
        _complaint_request(world.subject("klachten", bsn)), metadata=metadata
    )
    name = str(filed.complaint.name)
    for method, request in steps:
        getattr(stub, method)(request(name), metadata=metadata)
    return name


def _called_back(name: str) -> Message:
    return complaints_pb2.RecordCallbackRequest(
        name=name, handling_form=complaints_pb2.HANDLING_FORM_THREE_WAY_CONVERSATION
    )


def _decided(name: str) -> Message:
    return complaints_pb2.DecideComplaintRequest(
        name=name, outcome=complaints_pb2.OUTCOME_FOUNDED, handled_by_org_unit="burgerzaken"
    )


CALLED_BACK: Step = ("RecordCallback", _called_back)
DECIDED: Step = ("DecideComplaint", _decided)


def _coordinate(world: World, actor: str, method: str, request: object) -> None:
    getattr(_complaints(world), method)(
        request, metadata=world.metadata(actor, ["klachten"], ["coordinator"])
    )


def file_complaint(world: World, actor: str) -> None:
    """A klachten agent files a citizen's complaint."""
    _complaints(world).FileComplaint(
        _complaint_request(world.subject("klachten", world.bsn())),
        metadata=world.metadata(actor, ["klachten"], ["agent"]),
    )


def get_complaint(world: World, actor: str) -> None:
    """A coordinator opens a complaint."""
    name = filed_complaint(world, world.bsn())
    _coordinate(world, actor, "GetComplaint", complaints_pb2.GetComplaintRequest(name=name))


def list_complaints_of_a_citizen(world: World, actor: str) -> None:
    """A coordinator lists one citizen's complaints."""
    bsn = world.bsn()
    filed_complaint(world, bsn)
    request = complaints_pb2.ListComplaintsRequest(subject=world.subject("klachten", bsn))
    _coordinate(world, actor, "ListComplaints", request)


def list_complaints(world: World, actor: str) -> None:
    """A coordinator lists the complaints without a citizen filter."""
    filed_complaint(world, world.bsn())
    _coordinate(world, actor, "ListComplaints", complaints_pb2.ListComplaintsRequest())


def list_complaints_under_a_grant(world: World, actor: str) -> None:
    """A kcc agent reads the citizen's complaints under a link grant."""
    bsn = world.bsn()
    filed_complaint(world, bsn)
    subject, grant = granted(world, actor, "klachten", bsn)
    token = world.token(actor, ["kcc"], ["agent"])
    converted = PseudonymClient(world.channel, token).convert(subject, "klachten", grant)
    _complaints(world).ListComplaints(
        complaints_pb2.ListComplaintsRequest(encrypted_subject=converted, link_grant=grant),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )


def reassign_complaint(world: World, actor: str) -> None:
    """A coordinator hands a complaint to another coordinator."""
    name = filed_complaint(world, world.bsn())
    request = complaints_pb2.ReassignComplaintRequest(
        name=name, coordinator="centraal", reason="Betreft meerdere afdelingen"
    )
    _coordinate(world, actor, "ReassignComplaint", request)


def record_callback(world: World, actor: str) -> None:
    """A coordinator records the call-back."""
    name = filed_complaint(world, world.bsn())
    request = complaints_pb2.RecordCallbackRequest(
        name=name, handling_form=complaints_pb2.HANDLING_FORM_INFORMAL
    )
    _coordinate(world, actor, "RecordCallback", request)


def choose_handling_form(world: World, actor: str) -> None:
    """A coordinator records the complainant's change of handling form."""
    name = filed_complaint(world, world.bsn(), CALLED_BACK)
    request = complaints_pb2.ChooseHandlingFormRequest(
        name=name, handling_form=complaints_pb2.HANDLING_FORM_HEARING
    )
    _coordinate(world, actor, "ChooseHandlingForm", request)


def extend_decision_deadline(world: World, actor: str) -> None:
    """A coordinator extends the decision deadline."""
    name = filed_complaint(world, world.bsn(), CALLED_BACK)
    request = complaints_pb2.ExtendDecisionDeadlineRequest(
        name=name, reason="Gesprek met de medewerker gepland"
    )
    _coordinate(world, actor, "ExtendDecisionDeadline", request)


def decide_complaint(world: World, actor: str) -> None:
    """A coordinator records the decision."""
    name = filed_complaint(world, world.bsn(), CALLED_BACK)
    _coordinate(world, actor, "DecideComplaint", _decided(name))


def close_complaint(world: World, actor: str) -> None:
    """A coordinator closes a decided complaint."""
    name = filed_complaint(world, world.bsn(), CALLED_BACK, DECIDED)
    _coordinate(world, actor, "CloseComplaint", complaints_pb2.CloseComplaintRequest(name=name))


def withdraw_complaint(world: World, actor: str) -> None:
    """A coordinator records the complainant's withdrawal."""
    name = filed_complaint(world, world.bsn())
    request = complaints_pb2.WithdrawComplaintRequest(name=name)
    _coordinate(world, actor, "WithdrawComplaint", request)


# --- surveys --------------------------------------------------------------------------------

ONDERZOEK = ["onderzoek"]


def _surveys(world: World) -> surveys_pb2_grpc.SurveysServiceStub:
    return surveys_pb2_grpc.SurveysServiceStub(world.channel)


def _phone(bsn: str) -> surveys_pb2.ContactAddress:
    """An SMS address of the citizen's own (the outbox message to it is the citizen's)."""
    return surveys_pb2.ContactAddress(kind=surveys_pb2.ADDRESS_KIND_SMS, value=f"+316{bsn[1:]}")


def _invitation_request(
    world: World, bsn: str, org_unit: str, address: surveys_pb2.ContactAddress | None
) -> surveys_pb2.CreateInvitationRequest:
    request = surveys_pb2.CreateInvitationRequest(
        request_id=uuid.uuid4().hex,
        subject=world.subject("onderzoek", bsn),
        trigger=surveys_pb2.TRIGGER_KIND_CONTACT,
        channel=channel_pb2.CHANNEL_PHONE,
        topic="energietoeslag",
        org_unit=org_unit,
    )
    if address is not None:
        request.contact_address.CopyFrom(address)
    return request


def invited(world: World, bsn: str, org_unit: str = "kcc-team-noord", sent: bool = True) -> str:
    """The name of the citizen's invitation that :data:`SETUP` created (sent by SMS, or
    awaiting an address)."""
    request = _invitation_request(world, bsn, org_unit, _phone(bsn) if sent else None)
    answer = _surveys(world).CreateInvitation(
        request, metadata=world.metadata(SETUP, ONDERZOEK, ["agent"])
    )
    assert answer.HasField("invitation"), answer.skip_reason
    return str(answer.invitation.name)


def survey_token(world: World, bsn: str) -> str:
    """The survey token of the SMS sent to the citizen."""
    phone = _phone(bsn).value
    folder = world.stack.data_dir / "outbox" / "surveys"
    for path in folder.glob("*.json"):
        message = json.loads(path.read_text())
        if message["to"] == phone:
            return str(message["body"].split("?t=", 1)[1].split()[0])
    raise AssertionError("no invitation was sent to the citizen")


def answered(world: World, bsn: str, org_unit: str) -> None:
    """The citizen answers an invitation and asks to be called back (a call-back task)."""
    invited(world, bsn, org_unit)
    _surveys(world).SubmitResponse(
        surveys_pb2.SubmitResponseRequest(
            token=survey_token(world, bsn),
            score=4,
            aspect="uitkomst",
            may_call_back=True,
            consent_purpose_version=1,
        )
    )


def create_invitation(world: World, actor: str) -> None:
    """An agent invites a citizen after a phone contact."""
    request = _invitation_request(world, world.bsn(), "kcc-team-noord", None)
    _surveys(world).CreateInvitation(request, metadata=world.metadata(actor, ONDERZOEK, ["agent"]))


def get_invitation(world: World, actor: str) -> None:
    """An agent looks an invitation up."""
    name = invited(world, world.bsn())
    _surveys(world).GetInvitation(
        surveys_pb2.GetInvitationRequest(name=name),
        metadata=world.metadata(actor, ONDERZOEK, ["agent"]),
    )


def attach_contact_address(world: World, actor: str) -> None:
    """An agent adds the citizen's address to an invitation awaiting one."""
    bsn = world.bsn()
    name = invited(world, bsn, sent=False)
    _surveys(world).AttachContactAddress(
        surveys_pb2.AttachContactAddressRequest(name=name, contact_address=_phone(bsn)),
        metadata=world.metadata(actor, ONDERZOEK, ["agent"]),
    )


def submit_response(world: World, actor: str) -> None:
    """The citizen answers with the survey link (no token: the record names the respondent)."""
    bsn = world.bsn()
    invited(world, bsn)
    request = surveys_pb2.SubmitResponseRequest(
        token=survey_token(world, bsn), score=8, aspect="duidelijkheid"
    )
    _surveys(world).SubmitResponse(request)


def record_objection(world: World, actor: str) -> None:
    """The citizen's self-service front end records an objection to surveys."""
    _surveys(world).RecordObjection(
        surveys_pb2.RecordObjectionRequest(subject=world.subject("onderzoek", world.bsn())),
        metadata=world.metadata(actor, ONDERZOEK, ["system"]),
    )


def withdraw_objection(world: World, actor: str) -> None:
    """The front end records that the citizen withdraws the objection."""
    bsn = world.bsn()
    _surveys(world).RecordObjection(
        surveys_pb2.RecordObjectionRequest(subject=world.subject("onderzoek", bsn)),
        metadata=world.metadata(SETUP, ONDERZOEK, ["system"]),
    )
    _surveys(world).WithdrawObjection(
        surveys_pb2.WithdrawObjectionRequest(subject=world.subject("onderzoek", bsn)),
        metadata=world.metadata(actor, ONDERZOEK, ["system"]),
    )


def list_callback_tasks(world: World, actor: str) -> None:
    """A coordinator lists the open call-back tasks of a team."""
    bsn = world.bsn()
    answered(world, bsn, f"team-{bsn}")
    _surveys(world).ListCallbackTasks(
        surveys_pb2.ListCallbackTasksRequest(org_unit=f"team-{bsn}"),
        metadata=world.metadata(actor, ONDERZOEK, ["coordinator"]),
    )


def complete_callback_task(world: World, actor: str) -> None:
    """A coordinator marks a call-back task done."""
    bsn = world.bsn()
    answered(world, bsn, f"team-{bsn}")
    [task] = (
        _surveys(world)
        .ListCallbackTasks(
            surveys_pb2.ListCallbackTasksRequest(org_unit=f"team-{bsn}"),
            metadata=world.metadata(SETUP, ONDERZOEK, ["coordinator"]),
        )
        .tasks
    )
    _surveys(world).CompleteCallbackTask(
        surveys_pb2.CompleteCallbackTaskRequest(name=task.name),
        metadata=world.metadata(actor, ONDERZOEK, ["coordinator"]),
    )


def get_survey_insights(world: World, actor: str) -> None:
    """An analyst asks for the satisfaction figures per channel."""
    invited(world, world.bsn())
    _surveys(world).GetSurveyInsights(
        surveys_pb2.GetSurveyInsightsRequest(
            start_time=ago(days=1), end_time=ago(minutes=-1), group_by=surveys_pb2.GROUP_BY_CHANNEL
        ),
        metadata=world.metadata(actor, ONDERZOEK, ["analyst"]),
    )


def _join_request(world: World, bsn: str) -> surveys_pb2.JoinPanelRequest:
    return surveys_pb2.JoinPanelRequest(
        subject=world.subject("onderzoek", bsn),
        strata=surveys_pb2.Strata(
            age_band=surveys_pb2.AGE_BAND_75_AND_OVER,
            district="overvecht",
            preferred_channel=channel_pb2.CHANNEL_PHONE,
            digital_skills=surveys_pb2.DIGITAL_SKILLS_LOW,
        ),
        contact_address=_phone(bsn),
    )


def panel_member(world: World, bsn: str) -> str:
    """The citizen, with a research-panel consent, joined by :data:`SETUP`; the consent."""
    consent = given_consent(world, bsn, "research-panel")
    _surveys(world).JoinPanel(
        _join_request(world, bsn), metadata=world.metadata(SETUP, ONDERZOEK, ["system"])
    )
    return consent


def join_panel(world: World, actor: str) -> None:
    """The front end has a consenting citizen join the research panel."""
    bsn = world.bsn()
    given_consent(world, bsn, "research-panel")
    _surveys(world).JoinPanel(
        _join_request(world, bsn), metadata=world.metadata(actor, ONDERZOEK, ["system"])
    )


def draw_panel_sample(world: World, actor: str) -> None:
    """An analyst draws one member for a study."""
    panel_member(world, world.bsn())
    _surveys(world).DrawPanelSample(
        surveys_pb2.DrawPanelSampleRequest(request_id=uuid.uuid4().hex, study="wonen", size=1),
        metadata=world.metadata(actor, ONDERZOEK, ["analyst"]),
    )


def sweep_panel(world: World, actor: str) -> None:
    """The scheduler checks every member's consent."""
    panel_member(world, world.bsn())
    _surveys(world).SweepPanel(
        surveys_pb2.SweepPanelRequest(), metadata=world.metadata(actor, ONDERZOEK, ["system"])
    )


def deliver_event(world: World, actor: str) -> None:
    """The contacts service delivers a ContactRegistered event of a citizen to the surveys
    service: its subject is a fresh reference of kcc, as a sender puts it in an event."""
    kcc = PseudonymClient(world.channel, world.token("contacts-service", ["kcc"], ["service"]))
    stored = kcc.claim(world.subject("kcc", world.bsn()), "kcc").reference
    occurred = ago(minutes=5)
    event = events_pb2.Event(
        event_id=str(uuid.uuid4()),
        type=events_pb2.ContactRegistered.DESCRIPTOR.full_name,
        occurred_at=occurred,
        source="contacts",
        contact_registered=events_pb2.ContactRegistered(
            contact_id=str(uuid.uuid4()),
            domain="kcc",
            channel=channel_pb2.CHANNEL_PHONE,
            topic="paspoort",
            org_unit="kcc-telefonie",
            occur_time=occurred,
            encrypted_subject=kcc.convert(stored, "kcc"),
            subject_domain="kcc",
        ),
    )
    events_pb2_grpc.EventSinkServiceStub(world.channel).DeliverEvent(
        events_pb2.DeliverEventRequest(event=event),
        metadata=world.metadata(actor, ["kcc"], ["service"]),
    )


# --- history --------------------------------------------------------------------------------


def get_history(world: World, actor: str) -> None:
    """A KCC agent asks for a citizen's contact history."""
    bsn = world.bsn()
    registered_contact(world, bsn)
    history_pb2_grpc.HistoryServiceStub(world.channel).GetHistory(
        history_pb2.GetHistoryRequest(
            subject=world.subject("kcc", bsn),
            requester_domain="kcc",
            purpose=HISTORY,
            max_items=10,
        ),
        metadata=world.metadata(actor, ["kcc"], ["agent"]),
    )
