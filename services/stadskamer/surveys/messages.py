"""Conversions between the SurveysService messages and the domain (no rules here)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.surveys.answering import CallbackTask
from stadskamer.surveys.domain import CHANNEL_CODES, Channel, Invitation, Objection
from stadskamer.surveys.improvements import Improvement, ImprovementDraft
from stadskamer.surveys.inputs import Address, Answer, InvitationDraft
from stadskamer.surveys.insights import Figures, Group, Insights
from stadskamer.surveys.panel import AgeBand, DigitalSkills, DrawRequest, JoinRequest, PanelMember
from stadskamer.surveys.panel_service import Drawn
from stadskamer.surveys.sampler import Target

_INVALID_TIME = datetime(1, 1, 1, tzinfo=UTC)


def to_datetime(stamp: Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime (year 1 for one out of datetime's range)."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        return _INVALID_TIME


def timestamp(moment: datetime) -> Timestamp:
    """A datetime as a Timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def address(
    message: pb.CreateInvitationRequest | pb.AttachContactAddressRequest | pb.JoinPanelRequest,
) -> Address | None:
    """The contact address of a request, or None when it has none."""
    if not message.HasField("contact_address"):
        return None
    given = message.contact_address
    return Address(int(given.kind), given.value)


def draft(request: pb.CreateInvitationRequest) -> InvitationDraft:
    """The domain draft of a CreateInvitationRequest."""
    return InvitationDraft(
        request_id=request.request_id,
        subject=request.subject,
        trigger=int(request.trigger),
        channel=int(request.channel),
        topic=request.topic,
        org_unit=request.org_unit,
        complaint_outcome=int(request.complaint_outcome),
        source_reference=request.source_reference,
        address=address(request),
    )


def answer(request: pb.SubmitResponseRequest) -> Answer:
    """The domain answer of a SubmitResponseRequest."""
    return Answer(
        token=request.token,
        score=request.score,
        what_was_good=request.what_was_good,
        what_can_be_better=request.what_can_be_better,
        aspect=request.aspect,
        may_call_back=request.may_call_back,
        consent_purpose_version=request.consent_purpose_version,
    )


def join(request: pb.JoinPanelRequest) -> JoinRequest:
    """The domain join of a JoinPanelRequest."""
    strata = request.strata
    return JoinRequest(
        subject=request.subject,
        age_band=int(strata.age_band),
        district=strata.district,
        preferred_channel=int(strata.preferred_channel),
        digital_skills=int(strata.digital_skills),
        address=address(request),
    )


def _enum_name(enum: type[AgeBand] | type[DigitalSkills], value: int) -> str:
    return enum(value).name if value in enum.__members__.values() else ""


def target(message: pb.StratumTarget) -> Target:
    """The sampler's target of a StratumTarget (empty dimension or value when invalid)."""
    which: str = message.WhichOneof("stratum") or ""
    if which == "age_band":
        value = _enum_name(AgeBand, int(message.age_band))
    elif which == "digital_skills":
        value = _enum_name(DigitalSkills, int(message.digital_skills))
    elif which == "preferred_channel":
        channel = int(message.preferred_channel)
        value = Channel(channel).code if channel in Channel.__members__.values() else ""
    elif which == "district":
        value = message.district
    else:
        value = ""
    return Target(which, value, message.share)


def draw(request: pb.DrawPanelSampleRequest) -> DrawRequest:
    """The domain draw of a DrawPanelSampleRequest."""
    return DrawRequest(
        request_id=request.request_id,
        study=request.study,
        size=request.size,
        targets=tuple(target(t) for t in request.targets),
        fill_shortfall=request.fill_shortfall,
    )


def improvement_draft(request: pb.CreateImprovementRequest) -> ImprovementDraft:
    """The domain draft of a CreateImprovementRequest."""
    return ImprovementDraft(
        request_id=request.request_id,
        quarter=request.quarter,
        title=request.title,
        description=request.description,
        signals=tuple((int(s.kind), s.value) for s in request.signals),
        signal_count=request.signal_count,
    )


def invitation_message(invitation: Invitation, now: datetime) -> pb.Invitation:
    """The Invitation message (status as of ``now``)."""
    context = invitation.context
    message = pb.Invitation(
        name=invitation.name,
        trigger=int(context.trigger),  # type: ignore[arg-type]
        channel=int(context.channel),  # type: ignore[arg-type]
        topic=context.topic,
        org_unit=context.org_unit,
        complaint_outcome=int(context.complaint_outcome or 0),  # type: ignore[arg-type]
        delivery_status=int(invitation.status_at(now)),  # type: ignore[arg-type]
        create_time=timestamp(invitation.created_at),
        address_kind=int(invitation.address_kind or 0),  # type: ignore[arg-type]
    )
    for field, moment in (
        ("deliver_time", invitation.delivered_at),
        ("expire_time", invitation.token_expires_at if invitation.delivered_at else None),
        ("respond_time", invitation.responded_at),
    ):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp(moment))
    return message


def objection_message(objection: Objection, cancelled: int = 0) -> pb.Objection:
    """The Objection message."""
    message = pb.Objection(
        state=pb.OBJECTION_STATE_WITHDRAWN if objection.withdrawn_at else pb.OBJECTION_STATE_ACTIVE,
        record_time=timestamp(objection.objected_at),
        cancelled_invitations=cancelled,
    )
    if objection.withdrawn_at is not None:
        message.withdraw_time.CopyFrom(timestamp(objection.withdrawn_at))
    return message


def task_message(task: CallbackTask) -> pb.CallbackTask:
    """The CallbackTask message."""
    message = pb.CallbackTask(
        name=task.name,
        invitation=task.invitation,
        org_unit=task.org_unit,
        source_reference=task.source_reference,
        score=task.score,
        aspect=task.aspect,
        what_was_good=task.what_was_good,
        what_can_be_better=task.what_can_be_better,
        consent=task.consent,
        state=pb.CALLBACK_TASK_STATE_DONE if task.done else pb.CALLBACK_TASK_STATE_OPEN,
        create_time=timestamp(task.created_at),
    )
    if task.completed_at is not None:
        message.complete_time.CopyFrom(timestamp(task.completed_at))
    return message


def _figures(figures: Figures) -> pb.ScoreFigures:
    return pb.ScoreFigures(
        invitations=figures.invitations,
        responses=figures.responses,
        response_rate=figures.response_rate,
        mean_score=figures.mean_score,
        distribution=list(figures.distribution),
        sufficient_share=figures.sufficient_share,
        mean_sufficient=figures.mean_sufficient,
        csat=figures.csat,
        promoter_share=figures.promoter_share,
        passive_share=figures.passive_share,
        detractor_share=figures.detractor_share,
        nps=figures.nps,
    )


def _group(group: Group) -> pb.InsightGroup:
    if group.figures is None:
        return pb.InsightGroup(key=group.key, suppressed=True)
    return pb.InsightGroup(key=group.key, figures=_figures(group.figures))


def insights_message(insights: Insights) -> pb.GetSurveyInsightsResponse:
    """The GetSurveyInsightsResponse of computed insights."""
    return pb.GetSurveyInsightsResponse(
        start_time=timestamp(insights.start),
        end_time=timestamp(insights.end),
        group_by=int(insights.group_by),  # type: ignore[arg-type]
        min_group_size=insights.min_group_size,
        overall=_group(insights.overall),
        groups=[_group(g) for g in insights.groups],
        drivers=[
            pb.AspectDriver(
                aspect=d.aspect,
                suppressed=d.suppressed,
                responses=d.responses,
                mean_score=d.mean_score,
                low_score_share=d.low_score_share,
                mean_gap=d.mean_gap,
                low_score_contribution=d.low_score_contribution,
            )
            for d in insights.drivers
        ],
        main_low_score_driver=insights.main_low_score_driver,
    )


def improvement_message(item: Improvement) -> pb.Improvement:
    """The Improvement message."""
    return pb.Improvement(
        name=item.name,
        quarter=item.quarter,
        title=item.title,
        description=item.description,
        signals=[pb.Signal(kind=int(s.kind), value=s.value) for s in item.signals],  # type: ignore[arg-type]
        signal_count=item.signal_count,
        rank=item.rank,
        create_time=timestamp(item.created_at),
    )


def member_message(member: PanelMember) -> pb.PanelMember:
    """The PanelMember message (never the address)."""
    strata = member.strata
    message = pb.PanelMember(
        name=member.name,
        strata=pb.Strata(
            age_band=int(strata.age_band),  # type: ignore[arg-type]
            district=strata.district,
            preferred_channel=int(strata.preferred_channel),  # type: ignore[arg-type]
            digital_skills=int(strata.digital_skills),  # type: ignore[arg-type]
        ),
        state=int(member.state),  # type: ignore[arg-type]
        join_time=timestamp(member.joined_at),
    )
    for field, moment in (("leave_time", member.left_at), ("last_draw_time", member.last_drawn_at)):
        if moment is not None:
            getattr(message, field).CopyFrom(timestamp(moment))
    return message


def target_message(given: Target) -> pb.StratumTarget:
    """The StratumTarget of a sampler target."""
    message = pb.StratumTarget(share=given.share)
    if given.dimension == "age_band":
        message.age_band = int(AgeBand[given.value])  # type: ignore[assignment]
    elif given.dimension == "digital_skills":
        message.digital_skills = int(DigitalSkills[given.value])  # type: ignore[assignment]
    elif given.dimension == "preferred_channel":
        message.preferred_channel = int(CHANNEL_CODES[given.value])  # type: ignore[assignment]
    else:
        message.district = given.value
    return message


def drawn_message(drawn: Drawn) -> pb.DrawPanelSampleResponse:
    """The DrawPanelSampleResponse of a draw."""
    return pb.DrawPanelSampleResponse(
        draw=drawn.name,
        members=[member_message(m) for m in drawn.members],
        strata=[
            pb.StratumResult(
                target=target_message(o.target),
                target_count=o.target_count,
                drawn=o.drawn,
                available=o.available,
                shortfall=o.shortfall,
            )
            for o in drawn.strata
        ],
        requested=drawn.requested,
        left_without_consent=drawn.left_without_consent,
        replayed=drawn.replayed,
    )
