"""The gRPC servicers of the surveys service: proto ⇄ domain only, no rule.

Two services share the component: ``stadskamer.surveys.v1.SurveysService`` and the event
sink ``stadskamer.events.v1.EventSinkService`` that other services deliver their events to.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from stadskamer.api.events.v1 import events_pb2 as epb
from stadskamer.api.events.v1 import events_pb2_grpc as epb_grpc
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.api.surveys.v1 import surveys_pb2_grpc as pb_grpc
from stadskamer.common.auth import current_principal
from stadskamer.surveys import messages
from stadskamer.surveys.answering import AnsweringService
from stadskamer.surveys.delivery import DeliveryService
from stadskamer.surveys.events import incoming
from stadskamer.surveys.intake import InvitationIntake
from stadskamer.surveys.opt_out import ObjectionService
from stadskamer.surveys.panel_service import PanelService
from stadskamer.surveys.queries import SurveyQueries
from stadskamer.surveys.service import Clock
from stadskamer.surveys.validators import PUBLIC_METHODS, SERVICE_NAME, SINK_NAME, VALIDATORS

__all__ = [
    "PUBLIC_METHODS",
    "SERVICE_NAME",
    "SINK_NAME",
    "VALIDATORS",
    "EventSinkServicer",
    "SurveysServicer",
    "UseCases",
]


@dataclass(frozen=True)
class UseCases:
    """The use cases the servicers map onto."""

    intake: InvitationIntake
    deliveries: DeliveryService
    answering: AnsweringService
    objections: ObjectionService
    panel: PanelService
    queries: SurveyQueries
    clock: Clock


class SurveysServicer(pb_grpc.SurveysServiceServicer):
    """Maps the SurveysService RPCs onto the use cases."""

    def __init__(self, cases: UseCases) -> None:
        self._cases = cases

    def CreateInvitation(
        self, request: pb.CreateInvitationRequest, context: grpc.ServicerContext
    ) -> pb.CreateInvitationResponse:
        """Invite or skip."""
        admission = self._cases.intake.create(current_principal(), messages.draft(request))
        response = pb.CreateInvitationResponse(
            skip_reason=int(admission.skip or 0),  # type: ignore[arg-type]
            replayed=admission.replayed,
        )
        if admission.invitation is not None:
            response.invitation.CopyFrom(
                messages.invitation_message(admission.invitation, self._cases.clock())
            )
        return response

    def GetInvitation(
        self, request: pb.GetInvitationRequest, context: grpc.ServicerContext
    ) -> pb.Invitation:
        """One invitation."""
        invitation = self._cases.queries.invitation(
            current_principal(), request.name, request.source_reference
        )
        return messages.invitation_message(invitation, self._cases.clock())

    def AttachContactAddress(
        self, request: pb.AttachContactAddressRequest, context: grpc.ServicerContext
    ) -> pb.Invitation:
        """Attach an address and deliver."""
        address = messages.address(request)
        assert address is not None  # the validator requires it
        invitation = self._cases.deliveries.attach(current_principal(), request.name, address)
        return messages.invitation_message(invitation, self._cases.clock())

    def SubmitResponse(
        self, request: pb.SubmitResponseRequest, context: grpc.ServicerContext
    ) -> pb.SubmitResponseResponse:
        """Answer a survey (public)."""
        granted = self._cases.answering.submit(messages.answer(request))
        if granted is None:
            return pb.SubmitResponseResponse()
        return pb.SubmitResponseResponse(
            callback_scheduled=True, consent=granted.name, consent_receipt=granted.receipt
        )

    def RecordObjection(
        self, request: pb.RecordObjectionRequest, context: grpc.ServicerContext
    ) -> pb.Objection:
        """Record an objection."""
        recorded = self._cases.objections.record(current_principal(), request.subject)
        return messages.objection_message(recorded.objection, recorded.cancelled_invitations)

    def WithdrawObjection(
        self, request: pb.WithdrawObjectionRequest, context: grpc.ServicerContext
    ) -> pb.Objection:
        """Withdraw an objection."""
        objection = self._cases.objections.withdraw(current_principal(), request.subject)
        return messages.objection_message(objection)

    def ListCallbackTasks(
        self, request: pb.ListCallbackTasksRequest, context: grpc.ServicerContext
    ) -> pb.ListCallbackTasksResponse:
        """A page of open call-back tasks."""
        tasks, token = self._cases.answering.tasks(
            current_principal(), request.org_unit, request.page_size, request.page_token
        )
        return pb.ListCallbackTasksResponse(
            tasks=[messages.task_message(t) for t in tasks], next_page_token=token
        )

    def CompleteCallbackTask(
        self, request: pb.CompleteCallbackTaskRequest, context: grpc.ServicerContext
    ) -> pb.CallbackTask:
        """Mark a task done."""
        task = self._cases.answering.complete(current_principal(), request.name)
        return messages.task_message(task)

    def GetSurveyInsights(
        self, request: pb.GetSurveyInsightsRequest, context: grpc.ServicerContext
    ) -> pb.GetSurveyInsightsResponse:
        """Figures of a period."""
        insights = self._cases.queries.insights(
            current_principal(),
            messages.to_datetime(request.start_time),
            messages.to_datetime(request.end_time),
            int(request.group_by),
        )
        return messages.insights_message(insights)

    def CreateImprovement(
        self, request: pb.CreateImprovementRequest, context: grpc.ServicerContext
    ) -> pb.Improvement:
        """Record an improvement."""
        item = self._cases.queries.create_improvement(
            current_principal(), messages.improvement_draft(request)
        )
        return messages.improvement_message(item)

    def ListImprovements(
        self, request: pb.ListImprovementsRequest, context: grpc.ServicerContext
    ) -> pb.ListImprovementsResponse:
        """The public top 5 (no token)."""
        top, total = self._cases.queries.top(request.quarter)
        return pb.ListImprovementsResponse(
            quarter=request.quarter,
            improvements=[messages.improvement_message(i) for i in top],
            total=total,
        )

    def JoinPanel(
        self, request: pb.JoinPanelRequest, context: grpc.ServicerContext
    ) -> pb.PanelMember:
        """Join the research panel."""
        member = self._cases.panel.join(current_principal(), messages.join(request))
        return messages.member_message(member)

    def DrawPanelSample(
        self, request: pb.DrawPanelSampleRequest, context: grpc.ServicerContext
    ) -> pb.DrawPanelSampleResponse:
        """Draw a sample."""
        drawn = self._cases.panel.draw(current_principal(), messages.draw(request))
        return messages.drawn_message(drawn)

    def SweepPanel(
        self, request: pb.SweepPanelRequest, context: grpc.ServicerContext
    ) -> pb.SweepPanelResponse:
        """Check every member's consent."""
        checked, left = self._cases.panel.sweep(current_principal())
        return pb.SweepPanelResponse(checked=checked, left=left)


class EventSinkServicer(epb_grpc.EventSinkServiceServicer):
    """Receives other services' events (at least once; deduplicated by event id)."""

    def __init__(self, intake: InvitationIntake) -> None:
        self._intake = intake

    def DeliverEvent(
        self, request: epb.DeliverEventRequest, context: grpc.ServicerContext
    ) -> epb.DeliverEventResponse:
        """Handle one event; ``duplicate`` on a redelivery."""
        caller = current_principal()
        event = incoming(request.event)
        if event is None:
            return epb.DeliverEventResponse(
                duplicate=self._intake.ignore(caller, request.event.event_id)
            )
        return epb.DeliverEventResponse(duplicate=self._intake.receive(caller, event))
