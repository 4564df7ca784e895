"""The shape checks run by the validation interceptor before the servicer (nothing stored).

Checks that need configuration (the aspect list, the district list) or stored state are made
again, completely, by the use cases.
"""

from __future__ import annotations

from collections.abc import Iterable

from stadskamer.api.events.v1 import events_pb2
from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.common.errors import FieldViolation
from stadskamer.common.interceptors import Validator
from stadskamer.common.paging import MAX_TOKEN_LENGTH
from stadskamer.surveys import improvements, inputs, messages
from stadskamer.surveys.answering import TASK_PREFIX
from stadskamer.surveys.domain import INVITATION_PREFIX
from stadskamer.surveys.events import event_violations
from stadskamer.surveys.insights import GroupBy
from stadskamer.surveys.panel import draw_violations, join_violations

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SurveysService"].full_name
SINK_NAME = events_pb2.DESCRIPTOR.services_by_name["EventSinkService"].full_name
PUBLIC_METHODS = frozenset({f"/{SERVICE_NAME}/SubmitResponse", f"/{SERVICE_NAME}/ListImprovements"})


def _found(pairs: Iterable[tuple[str, str]]) -> list[FieldViolation]:
    return [FieldViolation(name, text) for name, text in pairs]


def _create(request: pb.CreateInvitationRequest) -> list[FieldViolation]:
    return _found(inputs.draft_violations(messages.draft(request)))


def _get(request: pb.GetInvitationRequest) -> list[FieldViolation]:
    if bool(request.name) == bool(request.source_reference):
        return _found([("name", "give name or source_reference")])
    if request.name:
        return _found(inputs.name_violations("name", request.name, INVITATION_PREFIX))
    if not inputs.REFERENCE.match(request.source_reference):
        return _found([("source_reference", "at most 128 printable ASCII characters")])
    return []


def _attach(request: pb.AttachContactAddressRequest) -> list[FieldViolation]:
    return _found(
        [
            *inputs.name_violations("name", request.name, INVITATION_PREFIX),
            *inputs.address_violations("contact_address", messages.address(request)),
        ]
    )


def _submit(request: pb.SubmitResponseRequest) -> list[FieldViolation]:
    return _found(inputs.answer_violations(messages.answer(request)))


def _subject(
    request: pb.RecordObjectionRequest | pb.WithdrawObjectionRequest,
) -> list[FieldViolation]:
    return _found(inputs.subject_violations("subject", request.subject))


def _tasks(request: pb.ListCallbackTasksRequest) -> list[FieldViolation]:
    found = list(inputs.code_violations("org_unit", request.org_unit))
    if request.page_size < 0:
        found.append(("page_size", "must not be negative"))
    if len(request.page_token) > MAX_TOKEN_LENGTH:
        found.append(("page_token", "not a page token of this service"))
    return _found(found)


def _complete(request: pb.CompleteCallbackTaskRequest) -> list[FieldViolation]:
    return _found(inputs.name_violations("name", request.name, TASK_PREFIX))


def _insights(request: pb.GetSurveyInsightsRequest) -> list[FieldViolation]:
    found = [
        (name, "required") for name in ("start_time", "end_time") if not request.HasField(name)
    ]
    if int(request.group_by) not in GroupBy.__members__.values():
        found.append(("group_by", "not a GroupBy value"))
    return _found(found)


def _improvement(request: pb.CreateImprovementRequest) -> list[FieldViolation]:
    return _found(improvements.draft_violations(messages.improvement_draft(request)))


def _quarter(request: pb.ListImprovementsRequest) -> list[FieldViolation]:
    return _found(improvements.quarter_violations("quarter", request.quarter))


def _join(request: pb.JoinPanelRequest) -> list[FieldViolation]:
    return _found(join_violations(messages.join(request), None))


def _draw(request: pb.DrawPanelSampleRequest) -> list[FieldViolation]:
    return _found(draw_violations(messages.draw(request)))


VALIDATORS: dict[str, Validator] = {
    f"/{SERVICE_NAME}/CreateInvitation": _create,
    f"/{SERVICE_NAME}/GetInvitation": _get,
    f"/{SERVICE_NAME}/AttachContactAddress": _attach,
    f"/{SERVICE_NAME}/SubmitResponse": _submit,
    f"/{SERVICE_NAME}/RecordObjection": _subject,
    f"/{SERVICE_NAME}/WithdrawObjection": _subject,
    f"/{SERVICE_NAME}/ListCallbackTasks": _tasks,
    f"/{SERVICE_NAME}/CompleteCallbackTask": _complete,
    f"/{SERVICE_NAME}/GetSurveyInsights": _insights,
    f"/{SERVICE_NAME}/CreateImprovement": _improvement,
    f"/{SERVICE_NAME}/ListImprovements": _quarter,
    f"/{SERVICE_NAME}/JoinPanel": _join,
    f"/{SERVICE_NAME}/DrawPanelSample": _draw,
    f"/{SINK_NAME}/DeliverEvent": event_violations,
}
