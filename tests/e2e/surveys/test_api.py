"""The SurveysService contract through the real stack: invitations by API, objections,
insights, the public improvements list, and refusals."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.common.v1 import channel_pb2
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from tests.e2e.complaints.support import reason, violations
from tests.e2e.surveys.support import Callers, outbox, token_of
from tests.support.stack import Stack

BSN = "111222333"
PHONE = "+31612345678"


def invite(callers: Callers, request_id: str, **fields: object) -> pb.CreateInvitationResponse:
    """CreateInvitation after a phone contact, as an agent."""
    values: dict[str, object] = {
        "request_id": request_id,
        "subject": callers.subject(BSN),
        "trigger": pb.TRIGGER_KIND_CONTACT,
        "channel": channel_pb2.CHANNEL_PHONE,
        "topic": "energietoeslag",
        "org_unit": "kcc-team-noord",
        **fields,
    }
    request = pb.CreateInvitationRequest(**values)  # type: ignore[arg-type]
    metadata = callers.auth("agent-3", ["onderzoek"], ["agent"])
    response: pb.CreateInvitationResponse = callers.surveys.CreateInvitation(
        request, metadata=metadata
    )
    return response


def test_invitations_objections_insights_and_improvements_over_the_contract(stack: Stack) -> None:
    callers = Callers(stack)
    sms = pb.ContactAddress(kind=pb.ADDRESS_KIND_SMS, value=PHONE)
    first = invite(callers, "api-1", contact_address=sms)
    assert first.invitation.delivery_status == pb.DELIVERY_STATUS_DELIVERED
    assert first.invitation.address_kind == pb.ADDRESS_KIND_SMS
    assert PHONE not in str(first)
    [message] = outbox(stack)
    assert message["kind"] == "sms" and message["to"] == PHONE
    assert invite(callers, "api-1", contact_address=sms).replayed
    spent = pb.CreateInvitationRequest(
        request_id="api-spent",
        subject=callers.subject(BSN),
        trigger=1,
        channel=2,
        topic="a",
        org_unit="b",
    )
    agent = callers.auth("agent-3", ["onderzoek"], ["agent"])
    callers.surveys.CreateInvitation(spent, metadata=agent)
    spent.request_id = "api-spent-again"
    with pytest.raises(grpc.RpcError) as again:
        callers.surveys.CreateInvitation(spent, metadata=agent)
    assert reason(again.value) == "TAG_SPENT"
    assert invite(callers, "api-2").skip_reason == pb.SKIP_REASON_FATIGUE
    anonymous = invite(callers, "api-3", subject=b"")
    assert anonymous.skip_reason == pb.SKIP_REASON_ANONYMOUS
    assert not anonymous.HasField("invitation")

    answer = pb.SubmitResponseRequest(token=token_of(message), score=9, aspect="duidelijkheid")
    assert not callers.surveys.SubmitResponse(answer).callback_scheduled
    front_end = callers.auth("mijn-gemeente", ["onderzoek"], ["system"])
    objection = callers.surveys.RecordObjection(
        pb.RecordObjectionRequest(subject=callers.subject(BSN)), metadata=front_end
    )
    assert objection.state == pb.OBJECTION_STATE_ACTIVE and objection.cancelled_invitations == 0
    withdrawn = callers.surveys.WithdrawObjection(
        pb.WithdrawObjectionRequest(subject=callers.subject(BSN)), metadata=front_end
    )
    assert withdrawn.state == pb.OBJECTION_STATE_WITHDRAWN and withdrawn.HasField("withdraw_time")

    start, end = Timestamp(), Timestamp()
    end.GetCurrentTime()
    start.FromSeconds(end.seconds - 86400)
    end.FromSeconds(end.seconds + 60)
    insights = callers.surveys.GetSurveyInsights(
        pb.GetSurveyInsightsRequest(start_time=start, end_time=end, group_by=pb.GROUP_BY_CHANNEL),
        metadata=callers.auth("analist", ["onderzoek"], ["analyst"]),
    )
    assert insights.min_group_size == 10 and insights.overall.suppressed
    assert [(g.key, g.suppressed) for g in insights.groups] == [("phone", True)]
    assert not insights.overall.HasField("figures")

    coordinator = callers.auth("teamleider", ["onderzoek"], ["coordinator"])
    created = callers.surveys.CreateImprovement(
        pb.CreateImprovementRequest(
            request_id="imp-1",
            quarter="2026-Q4",
            title="Uitbetaaldatum energietoeslag op de website",
            description="Veel bellers vroegen wanneer de toeslag kwam; de datum staat er nu.",
            signals=[pb.Signal(kind=pb.SIGNAL_KIND_TOPIC, value="energietoeslag")],
            signal_count=412,
        ),
        metadata=coordinator,
    )
    assert created.rank == 1 and created.name.startswith("improvements/")
    public = callers.surveys.ListImprovements(pb.ListImprovementsRequest(quarter="2026-Q4"))
    assert [i.title for i in public.improvements] == [created.title] and public.total == 1


def test_refusals_name_the_field_or_the_missing_right(stack: Stack) -> None:
    callers = Callers(stack)
    with pytest.raises(grpc.RpcError) as bad:
        invite(callers, "bad-1", topic="Energie Toeslag", channel=0)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(bad.value) == ["channel", "topic"]
    with pytest.raises(grpc.RpcError) as foreign:
        invite(callers, "bad-2", subject=callers.subject(BSN, "kcc"))
    assert violations(foreign.value) == ["subject"]
    request = pb.CreateInvitationRequest(
        request_id="x", trigger=1, channel=2, topic="a", org_unit="b"
    )
    with pytest.raises(grpc.RpcError) as anonymous:
        callers.surveys.CreateInvitation(request)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as wrong_domain:
        callers.surveys.CreateInvitation(request, metadata=callers.auth("a", ["kcc"], ["agent"]))
    assert wrong_domain.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as wrong_role:
        callers.surveys.DrawPanelSample(
            pb.DrawPanelSampleRequest(request_id="d", study="s", size=1),
            metadata=callers.auth("a", ["onderzoek"], ["agent"]),
        )
    assert reason(wrong_role.value) == "ROLE_MISSING"
    with pytest.raises(grpc.RpcError) as unknown:
        callers.surveys.SubmitResponse(
            pb.SubmitResponseRequest(token="A" * 43, score=7, aspect="snelheid")
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    assert outbox(stack) == []
