"""A closed complaint leads to one survey through the real stack, answered once, called back."""

from __future__ import annotations

import logging
import uuid

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import create_engine, func, select

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.complaints.v1 import complaints_pb2 as cpb
from stadskamer.api.consent.v1 import consent_pb2
from stadskamer.api.events.v1 import events_pb2 as epb
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.client import DomainKey
from stadskamer.common.event_sinks import EventIds
from stadskamer.common.keys import KeyLayout
from stadskamer.complaints.adapters.orm import outbox as complaints_outbox
from stadskamer.surveys.adapters.orm import invitations
from tests.e2e.complaints.support import caller, reason, violations
from tests.e2e.surveys.support import Callers, eventually, outbox, token_of
from tests.support.databases import dump_database_text
from tests.support.stack import Stack

BSN, OTHER_BSN = "123456782", "012345672"
ADDRESS = "petra.jansen@example.nl"
GOOD = "Mevrouw De Vries nam echt de tijd voor mij."
BETTER = "De uitkomst vond ik oneerlijk, ik woon aan de Oudegracht 12."


def close_complaint(stack: Stack, bsn: str) -> str:
    """File, call back, decide and close a complaint; its name."""
    token = stack.token("c", ["klachten"], ["coordinator", "agent", "issuer"])
    coordinator = caller(stack.channel, token)
    name = coordinator.file(bsn, f"kto-{bsn}").complaint.name
    coordinator.call("RecordCallback", cpb.RecordCallbackRequest(name=name, handling_form=1))
    coordinator.call(
        "DecideComplaint",
        cpb.DecideComplaintRequest(
            name=name, outcome=cpb.OUTCOME_FOUNDED, handled_by_org_unit="burgerzaken"
        ),
    )
    coordinator.call("CloseComplaint", cpb.CloseComplaintRequest(name=name))
    return name


def invitation_count(stack: Stack) -> int:
    """How many invitations the surveys database holds."""
    engine = create_engine(f"sqlite:///{stack.data_dir / 'surveys.db'}")
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(invitations)).scalar_one()
    engine.dispose()
    return int(count)


def test_a_closed_complaint_is_surveyed_once_answered_once_and_called_back(
    stack: Stack, spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    callers = Callers(stack)
    name = close_complaint(stack, BSN)
    agent = callers.auth("balie-7", ["onderzoek"], ["agent"])
    by_reference = pb.GetInvitationRequest(source_reference=name)
    invitation = eventually(lambda: callers.surveys.GetInvitation(by_reference, metadata=agent))
    assert invitation.delivery_status == pb.DELIVERY_STATUS_AWAITING_ADDRESS
    assert invitation.trigger == pb.TRIGGER_KIND_COMPLAINT
    assert invitation.complaint_outcome == cpb.OUTCOME_FOUNDED
    assert invitation.org_unit == "burgerzaken"

    engine = create_engine(f"sqlite:///{stack.data_dir / 'complaints.db'}")
    with engine.connect() as connection:
        [payload] = connection.execute(select(complaints_outbox.events.c.payload)).scalars()
    engine.dispose()
    stored = epb.Event.FromString(payload)
    assert not stored.complaint_closed.encrypted_subject  # added at each delivery, not stored
    stored.complaint_closed.encrypted_subject = callers.pushed(BSN, "klachten")
    sender = callers.auth("complaints-service", ["klachten"], ["service"])
    assert not callers.sink.DeliverEvent(
        epb.DeliverEventRequest(event=stored), metadata=sender
    ).duplicate, "the stored id is not the one that was sent"
    klachten = DomainKey.from_file(KeyLayout.under(stack.data_dir).domain_key("klachten"))
    stored.event_id = EventIds({"klachten": klachten.secret_key}).wire_id(stored)
    again = epb.DeliverEventRequest(event=stored)
    assert callers.sink.DeliverEvent(again, metadata=sender).duplicate

    address = pb.ContactAddress(kind=pb.ADDRESS_KIND_EMAIL, value=ADDRESS)
    attach = pb.AttachContactAddressRequest(name=invitation.name, contact_address=address)
    delivered = callers.surveys.AttachContactAddress(attach, metadata=agent)
    assert delivered.delivery_status == pb.DELIVERY_STATUS_DELIVERED
    [message] = outbox(stack)
    assert message["to"] == ADDRESS and message["kind"] == "email"
    answer = pb.SubmitResponseRequest(
        token=token_of(message),
        score=4,
        what_was_good=GOOD,
        what_can_be_better=BETTER,
        aspect="uitkomst",
        may_call_back=True,
        consent_purpose_version=1,
    )
    response = callers.surveys.SubmitResponse(answer)
    assert response.callback_scheduled and response.consent.startswith("consents/")
    with pytest.raises(grpc.RpcError) as reused:
        callers.surveys.SubmitResponse(answer)
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason(reused.value) == "TOKEN_USED"

    check = consent_pb2.CheckConsentRequest(
        subject=callers.subject(BSN),
        purpose="survey-followup-call",
        requester_domain="onderzoek",
        target_domain="klachten",
    )
    allowed = callers.consent.CheckConsent(check, metadata=agent)
    assert allowed.allowed and allowed.basis.consent == response.consent
    coordinator = callers.auth("teamleider", ["onderzoek"], ["coordinator"])
    listed = callers.surveys.ListCallbackTasks(
        pb.ListCallbackTasksRequest(org_unit="burgerzaken"), metadata=coordinator
    )
    [task] = listed.tasks
    assert task.source_reference == name and task.score == 4
    assert (task.what_was_good, task.what_can_be_better) == (GOOD, BETTER)
    assert invitation_count(stack) == 1

    literals = [BSN, ADDRESS, GOOD, BETTER, "Petra Jansen"]
    surveys_text = dump_database_text(f"sqlite:///{stack.data_dir / 'surveys.db'}")
    assert [x for x in literals if x in surveys_text] == []
    attributes = [str(dict(span.attributes or {})) for span in spans.get_finished_spans()]
    assert [x for x in literals if any(x in a for a in attributes)] == []
    assert [x for x in literals if x in caplog.text] == []


def pushed_event(stack: Stack, bsn: str, **changes: object) -> epb.Event:
    """A ComplaintClosed event as the complaints service would send it for ``bsn``."""
    closed: dict[str, object] = {
        "complaint": f"complaints/{uuid.uuid4()}",
        "case_number": "KL-2026-000999",
        "channel": channel_pb2.CHANNEL_LETTER,
        "org_unit": "belastingen",
        "outcome": cpb.OUTCOME_UNFOUNDED,
        "encrypted_subject": Callers(stack).pushed(bsn, "klachten"),
        "subject_domain": "klachten",
        **changes,
    }
    return epb.Event(
        event_id=str(uuid.uuid4()),
        type=epb.ComplaintClosed.DESCRIPTOR.full_name,
        source="complaints",
        complaint_closed=epb.ComplaintClosed(**closed),  # type: ignore[arg-type]
    )


def test_an_event_delivered_twice_makes_one_invitation_and_bad_events_are_refused(
    stack: Stack,
) -> None:
    callers = Callers(stack)
    sender = callers.auth("complaints-service", ["klachten"], ["service"])
    event = pushed_event(stack, OTHER_BSN)
    request = epb.DeliverEventRequest(event=event)
    assert not callers.sink.DeliverEvent(request, metadata=sender).duplicate
    assert callers.sink.DeliverEvent(request, metadata=sender).duplicate
    agent = callers.auth("balie-7", ["onderzoek"], ["agent"])
    found = callers.surveys.GetInvitation(
        pb.GetInvitationRequest(source_reference=event.complaint_closed.complaint), metadata=agent
    )
    assert found.complaint_outcome == cpb.OUTCOME_UNFOUNDED and found.channel == 8
    assert invitation_count(stack) == 1

    with pytest.raises(grpc.RpcError) as refused:
        bad = pushed_event(stack, OTHER_BSN, encrypted_subject=b"\x01" * 95)
        callers.sink.DeliverEvent(epb.DeliverEventRequest(event=bad), metadata=sender)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(refused.value) == ["event.complaint_closed.encrypted_subject"]
    stranger = callers.auth("kcc-service", ["kcc"], ["service"])
    with pytest.raises(grpc.RpcError) as denied:
        callers.sink.DeliverEvent(
            epb.DeliverEventRequest(event=pushed_event(stack, BSN)), metadata=stranger
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert invitation_count(stack) == 1
