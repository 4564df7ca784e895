"""Shape checks of the SurveysService and DeliverEvent requests: every bad field is named."""

from __future__ import annotations

from google.protobuf.message import Message

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.events.v1 import events_pb2 as epb
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.surveys.domain import Channel, Outcome, TriggerKind
from stadskamer.surveys.events import incoming
from stadskamer.surveys.validators import PUBLIC_METHODS, SERVICE_NAME, SINK_NAME, VALIDATORS
from tests.support.tagged import tagged

SUBJECT = tagged("onderzoek")
KLACHTEN = tagged("klachten")


def fields(method: str, request: Message, service: str = SERVICE_NAME) -> set[str]:
    """The fields the validator of ``method`` names."""
    return {v.field for v in VALIDATORS[f"/{service}/{method}"](request)}


def test_only_answering_and_the_public_list_need_no_token() -> None:
    assert {
        f"/{SERVICE_NAME}/SubmitResponse",
        f"/{SERVICE_NAME}/ListImprovements",
    } == PUBLIC_METHODS


def test_an_invitation_request_names_every_bad_field() -> None:
    good = pb.CreateInvitationRequest(
        request_id="r-1",
        subject=SUBJECT,
        trigger=pb.TRIGGER_KIND_COMPLAINT,
        channel=channel_pb2.CHANNEL_PHONE,
        topic="klacht",
        org_unit="burgerzaken",
        complaint_outcome=3,  # type: ignore[arg-type]
        contact_address=pb.ContactAddress(kind=pb.ADDRESS_KIND_EMAIL, value="jan@example.nl"),
    )
    assert fields("CreateInvitation", good) == set()
    assert fields("CreateInvitation", pb.CreateInvitationRequest(subject=b"1")) == {
        "request_id",
        "subject",
        "trigger",
        "channel",
        "topic",
        "org_unit",
    }


def test_answers_addresses_names_and_pages_are_checked() -> None:
    bad_answer = pb.SubmitResponseRequest(token="x", score=12, aspect="", may_call_back=True)
    assert fields("SubmitResponse", bad_answer) == {
        "token",
        "score",
        "aspect",
        "consent_purpose_version",
    }
    attach = pb.AttachContactAddressRequest(
        name="invitations/42",
        contact_address=pb.ContactAddress(kind=2, value="abc"),  # type: ignore[arg-type]
    )
    assert fields("AttachContactAddress", attach) == {"name", "contact_address.value"}
    assert fields("GetInvitation", pb.GetInvitationRequest()) == {"name"}
    assert (
        fields("GetInvitation", pb.GetInvitationRequest(source_reference="complaints/1")) == set()
    )
    tasks = pb.ListCallbackTasksRequest(org_unit="", page_size=-1, page_token="x" * 600)
    assert fields("ListCallbackTasks", tasks) == {"org_unit", "page_size", "page_token"}
    assert fields("RecordObjection", pb.RecordObjectionRequest()) == {"subject"}
    assert fields("GetSurveyInsights", pb.GetSurveyInsightsRequest(group_by=9)) == {  # type: ignore[arg-type]
        "start_time",
        "end_time",
        "group_by",
    }


def test_improvements_and_panel_requests_are_checked() -> None:
    improvement = pb.CreateImprovementRequest(
        request_id="i-1", quarter="2026-Q5", title="", description="x", signal_count=0
    )
    assert fields("CreateImprovement", improvement) == {
        "quarter",
        "title",
        "signals",
        "signal_count",
    }
    assert fields("ListImprovements", pb.ListImprovementsRequest(quarter="Q4")) == {"quarter"}
    join = pb.JoinPanelRequest(subject=SUBJECT, strata=pb.Strata(district="West!"))
    assert fields("JoinPanel", join) == {
        "strata.age_band",
        "strata.district",
        "strata.preferred_channel",
        "strata.digital_skills",
        "contact_address.kind",
    }
    draw = pb.DrawPanelSampleRequest(
        request_id="d-1",
        study="kto",
        size=10,
        targets=[
            pb.StratumTarget(age_band=pb.AGE_BAND_75_AND_OVER, share=0.7),
            pb.StratumTarget(age_band=pb.AGE_BAND_18_TO_29, share=0.6),
            pb.StratumTarget(digital_skills=pb.DIGITAL_SKILLS_LOW, share=0),
            pb.StratumTarget(share=0.1),
            pb.StratumTarget(age_band=pb.AGE_BAND_75_AND_OVER, share=0.1),
        ],
    )
    assert fields("DrawPanelSample", draw) == {
        "targets",
        "targets[2].share",
        "targets[3].stratum",
        "targets[4].stratum",
    }


def closed_event(**changes: object) -> epb.Event:
    """A ComplaintClosed event."""
    payload: dict[str, object] = {
        "complaint": "complaints/9a1b",
        "channel": channel_pb2.CHANNEL_WEB_FORM,
        "org_unit": "burgerzaken",
        "handled_by_org_unit": "klachtenteam",
        "outcome": 1,
        "encrypted_subject": KLACHTEN,
        "subject_domain": "klachten",
        **changes,
    }
    return epb.Event(event_id="e-1", complaint_closed=epb.ComplaintClosed(**payload))  # type: ignore[arg-type]


def test_events_are_checked_and_turned_into_triggers() -> None:
    good = epb.DeliverEventRequest(event=closed_event())
    assert fields("DeliverEvent", good, SINK_NAME) == set()
    event = incoming(good.event)
    assert event is not None and event.kind == "complaint-closed"
    assert event.context.trigger is TriggerKind.COMPLAINT
    assert event.context.org_unit == "klachtenteam"
    assert event.context.complaint_outcome is Outcome.FOUNDED
    assert event.reference == "complaints/9a1b" and event.sender_domain == "klachten"
    assert event.subject_field == "event.complaint_closed.encrypted_subject"
    bad = epb.DeliverEventRequest(event=closed_event(channel=0, encrypted_subject=b"x"))
    assert fields("DeliverEvent", bad, SINK_NAME) == {
        "event.complaint_closed.channel",
        "event.complaint_closed.encrypted_subject",
    }
    for wrong in (
        closed_event(encrypted_subject=SUBJECT),
        closed_event(encrypted_subject=bytes(96)),
        closed_event(subject_domain="kcc"),
    ):
        assert fields("DeliverEvent", epb.DeliverEventRequest(event=wrong), SINK_NAME) != set()
    no_domain = epb.DeliverEventRequest(event=closed_event(subject_domain=""))
    assert fields("DeliverEvent", no_domain, SINK_NAME) == set()
    assert fields("DeliverEvent", epb.DeliverEventRequest(), SINK_NAME) == {"event"}


def test_an_anonymous_contact_and_a_product_become_triggers() -> None:
    contact = epb.Event(
        event_id="e-2",
        contact_registered=epb.ContactRegistered(
            contact_id="c-1",
            domain="kcc",
            channel=channel_pb2.CHANNEL_COUNTER,
            topic="afval",
            org_unit="stadswinkel-centrum",
        ),
    )
    assert fields("DeliverEvent", epb.DeliverEventRequest(event=contact), SINK_NAME) == set()
    event = incoming(contact)
    assert event is not None and event.encrypted_subject == b"" and event.sender_domain == "kcc"
    product = epb.Event(
        event_id="e-3",
        product_completed=epb.ProductCompleted(
            product="paspoort",
            reference="A-1",
            domain="burgerzaken",
            channel=channel_pb2.CHANNEL_COUNTER,
            org_unit="stadswinkel-noord",
            encrypted_subject=tagged("burgerzaken"),
            subject_domain="burgerzaken",
        ),
    )
    assert fields("DeliverEvent", epb.DeliverEventRequest(event=product), SINK_NAME) == set()
    event = incoming(product)
    assert event is not None and event.context.topic == "paspoort"
    assert event.context.channel is Channel.COUNTER
    assert event.reference == "products/paspoort/A-1"
    assert incoming(epb.Event(event_id="e-4")) is None
