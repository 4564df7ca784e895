"""``/survey-responses``, ``/survey-insights``, ``/improvements`` and ``/callback-tasks``:
SurveysService over REST. Answering with the token of an invitation link is public, and so
is the quarter's list of improvements."""

from __future__ import annotations

from typing import Any

from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import put_time, resource_id, timestamp
from stadskamer.gateway.rest.contacts import END, PAGE_TOKEN, START
from stadskamer.gateway.rest.operations import Call, Operation, Param, Reply
from stadskamer.gateway.rest.survey_schemas import (
    GROUPS,
    QUARTER,
    SIGNALS,
    TASK_STATES,
)

TAG = "surveys"


def answer(call: Call) -> Reply:
    """SubmitResponse (public: the token is the credential)."""
    body = call.body
    request = pb.SubmitResponseRequest(
        token=body["token"],
        score=body["score"],
        what_was_good=body.get("whatWasGood", ""),
        what_can_be_better=body.get("whatCanBeBetter", ""),
        aspect=body["aspect"],
        may_call_back=bool(body.get("mayCallBack", False)),
        consent_purpose_version=body.get("consentPurposeVersion", 0),
    )
    receipt = call.rpc("surveys", call.stubs.surveys.SubmitResponse, request)
    result: dict[str, Any] = {"callbackScheduled": receipt.callback_scheduled}
    if receipt.consent:
        result["consent"] = resource_id(receipt.consent)
    if receipt.consent_receipt:
        result["consentReceipt"] = receipt.consent_receipt
    return Reply(201, result)


def _group(group: pb.InsightGroup) -> dict[str, Any]:
    result: dict[str, Any] = {"key": group.key, "suppressed": group.suppressed}
    if group.HasField("figures"):
        f = group.figures
        result["figures"] = {
            "invitations": f.invitations,
            "responses": f.responses,
            "responseRate": f.response_rate,
            "meanScore": f.mean_score,
            "distribution": list(f.distribution),
            "sufficientShare": f.sufficient_share,
            "meanSufficient": f.mean_sufficient,
            "csat": f.csat,
            "promoterShare": f.promoter_share,
            "passiveShare": f.passive_share,
            "detractorShare": f.detractor_share,
            "nps": f.nps,
        }
    return result


def insights(call: Call) -> Reply:
    """GetSurveyInsights."""
    request = pb.GetSurveyInsightsRequest(
        start_time=timestamp(call.query["startTime"], "startTime"),
        end_time=timestamp(call.query["endTime"], "endTime"),
    )
    if "groupBy" in call.query:
        request.group_by = GROUPS.number(call.query["groupBy"], "groupBy")  # type: ignore[assignment]
    figures = call.rpc("surveys", call.stubs.surveys.GetSurveyInsights, request)
    result: dict[str, Any] = {
        "minGroupSize": figures.min_group_size,
        "groups": [_group(g) for g in figures.groups],
        "drivers": [
            {
                "aspect": d.aspect,
                "suppressed": d.suppressed,
                "responses": d.responses,
                "meanScore": d.mean_score,
                "lowScoreShare": d.low_score_share,
                "meanGap": d.mean_gap,
                "lowScoreContribution": d.low_score_contribution,
            }
            for d in figures.drivers
        ],
    }
    put_time(result, "startTime", figures, "start_time")
    put_time(result, "endTime", figures, "end_time")
    GROUPS.put(result, "groupBy", figures.group_by)
    if figures.HasField("overall"):
        result["overall"] = _group(figures.overall)
    if figures.main_low_score_driver:
        result["mainLowScoreDriver"] = figures.main_low_score_driver
    return Reply(200, result)


def improvements(call: Call) -> Reply:
    """ListImprovements (public)."""
    request = pb.ListImprovementsRequest(quarter=call.query["quarter"])
    listed = call.rpc("surveys", call.stubs.surveys.ListImprovements, request)
    items = []
    for item in listed.improvements:
        entry: dict[str, Any] = {
            "id": resource_id(item.name),
            "quarter": item.quarter,
            "title": item.title,
            "description": item.description,
            "signalCount": item.signal_count,
            "rank": item.rank,
            "signals": [
                {"kind": SIGNALS.name(x.kind), "value": x.value}
                for x in item.signals
                if SIGNALS.name(x.kind)
            ],
        }
        put_time(entry, "createTime", item, "create_time")
        items.append(entry)
    return Reply(200, {"quarter": listed.quarter, "improvements": items, "total": listed.total})


def _task(task: pb.CallbackTask) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": resource_id(task.name),
        "invitation": resource_id(task.invitation),
        "orgUnit": task.org_unit,
        "sourceReference": task.source_reference,
        "aspect": task.aspect,
        "whatWasGood": task.what_was_good,
        "whatCanBeBetter": task.what_can_be_better,
        "consent": resource_id(task.consent),
    }
    if task.score:
        result["score"] = task.score
    TASK_STATES.put(result, "state", task.state)
    put_time(result, "createTime", task, "create_time")
    put_time(result, "completeTime", task, "complete_time")
    return result


def tasks(call: Call) -> Reply:
    """ListCallbackTasks."""
    request = pb.ListCallbackTasksRequest(
        org_unit=call.query["orgUnit"],
        page_size=call.query.get("pageSize", 0),
        page_token=call.query.get("pageToken", ""),
    )
    page = call.rpc("surveys", call.stubs.surveys.ListCallbackTasks, request)
    return Reply(
        200, {"tasks": [_task(t) for t in page.tasks], "nextPageToken": page.next_page_token}
    )


def complete(call: Call) -> Reply:
    """CompleteCallbackTask."""
    request = pb.CompleteCallbackTaskRequest(name=f"callbackTasks/{call.path['taskId']}")
    return Reply(200, _task(call.rpc("surveys", call.stubs.surveys.CompleteCallbackTask, request)))


OPERATIONS = [
    Operation(
        "POST",
        "/survey-responses",
        "submitSurveyResponse",
        TAG,
        "Answer a survey",
        "SubmitResponse with the token from the invitation link. Public: the token answers once "
        "(409 when used or expired, 404 when unknown).",
        answer,
        "SurveyAnswerReceipt",
        201,
        body="SurveyAnswer",
        public=True,
    ),
    Operation(
        "GET",
        "/survey-insights",
        "getSurveyInsights",
        TAG,
        "Satisfaction figures",
        "GetSurveyInsights: scores per group and the drivers of low scores (analyst).",
        insights,
        "SurveyInsights",
        params=(
            Param(START.name, START.schema, "Start of the period.", True),
            Param(END.name, END.schema, "End of the period (exclusive).", True),
            Param("groupBy", s.choice("Grouping.", GROUPS), "How to group."),
        ),
    ),
    Operation(
        "GET",
        "/improvements",
        "listImprovements",
        TAG,
        "You said, we did",
        "ListImprovements: the public top 5 of a quarter.",
        improvements,
        "ImprovementList",
        params=(Param("quarter", QUARTER, "The quarter.", True),),
        public=True,
    ),
    Operation(
        "GET",
        "/callback-tasks",
        "listCallbackTasks",
        TAG,
        "Call-back tasks",
        "ListCallbackTasks of an organisational unit, oldest first (coordinator).",
        tasks,
        "CallbackTaskList",
        params=(
            Param("orgUnit", s.text("Unit.", maxLength=64), "The organisational unit.", True),
            Param("pageSize", s.integer("Page size.", 1, 200), "At most this many (default 50)."),
            PAGE_TOKEN,
        ),
    ),
    Operation(
        "POST",
        "/callback-tasks/{taskId}/completion",
        "completeCallbackTask",
        TAG,
        "Mark a call-back done",
        "CompleteCallbackTask.",
        complete,
        "CallbackTask",
        params=(
            Param(
                "taskId", s.text("A task id.", pattern=s.ID_PATTERN), "The task's id.", where="path"
            ),
        ),
    ),
]
