"""The JSON schemas of the survey routes."""

from __future__ import annotations

from stadskamer.api.surveys.v1 import surveys_pb2 as pb
from stadskamer.gateway.rest import schema as s
from stadskamer.gateway.rest.codec import EnumCodec

GROUPS = EnumCodec(pb.GroupBy, "GROUP_BY_")
TASK_STATES = EnumCodec(pb.CallbackTaskState, "CALLBACK_TASK_STATE_")
SIGNALS = EnumCodec(pb.SignalKind, "SIGNAL_KIND_")
QUARTER = s.text("A quarter, e.g. `2026-Q4`.", pattern="^[0-9]{4}-Q[1-4]$")
SCORE = s.integer("A Dutch report grade, 1 to 10.", 1, 10)
FIGURES: dict[str, s.Schema] = {
    "invitations": s.integer("Invitations delivered."),
    "responses": s.integer("Answers received."),
    "responseRate": s.share("Answers per invitation."),
    "meanScore": s.number("The mean score."),
    "distribution": s.array("Answers per score 1..10.", s.integer("Answers.")),
    "sufficientShare": s.share("Share of scores 6 or more."),
    "meanSufficient": s.flag("Whether the rounded mean is at least 6."),
    "csat": s.share("Share of scores 8 to 10."),
    "promoterShare": s.share("Share of 9 and 10."),
    "passiveShare": s.share("Share of 7 and 8."),
    "detractorShare": s.share("Share of 1 to 6."),
    "nps": s.number("Promoters minus detractors, times 100."),
}
DRIVER: dict[str, s.Schema] = {
    "aspect": s.text("The aspect."),
    "suppressed": s.flag("Too few answers for figures."),
    "responses": s.integer("Answers naming it."),
    "meanScore": s.number("Their mean score."),
    "lowScoreShare": s.share("Their share of low scores (5 or less)."),
    "meanGap": s.number("Their mean minus the overall mean."),
    "lowScoreContribution": s.share("Which share of all low scores named it."),
}
TASK: dict[str, s.Schema] = {
    "id": s.text("The task's id."),
    "invitation": s.text("The answered invitation's id."),
    "orgUnit": s.text("The unit that calls back."),
    "sourceReference": s.text("What the invitation followed, e.g. a complaint."),
    "score": SCORE,
    "aspect": s.text("The aspect named."),
    "whatWasGood": s.text("What was good."),
    "whatCanBeBetter": s.text("What can be better."),
    "consent": s.text("The consent that allows the call."),
    "state": s.choice("Where the task is.", TASK_STATES),
    "createTime": s.moment("When it was created."),
    "completeTime": s.moment("When it was done."),
}

SCHEMAS: dict[str, s.Schema] = {
    "SurveyAnswer": s.obj(
        "An answer with the token from the invitation link.",
        {
            "token": s.text("The token from the link.", maxLength=256),
            "score": SCORE,
            "whatWasGood": s.text("What was good (optional).", maxLength=2000),
            "whatCanBeBetter": s.text("What can be better (optional).", maxLength=2000),
            "aspect": s.text("The most important aspect behind the score.", maxLength=64),
            "mayCallBack": s.flag("The respondent may be called back about it."),
            "consentPurposeVersion": s.integer("With mayCallBack: the consent text version shown."),
        },
        ("token", "score", "aspect"),
    ),
    "SurveyAnswerReceipt": s.obj(
        "The acknowledgement of an answer.",
        {
            "callbackScheduled": s.flag("Whether a call-back was scheduled."),
            "consent": s.text("With a call-back: the consent's id."),
            "consentReceipt": s.text("With a call-back: the signed consent receipt."),
        },
        ("callbackScheduled",),
    ),
    "ScoreFigures": s.obj("The figures of one group.", FIGURES, ("responses", "meanScore")),
    "InsightGroup": s.obj(
        "One group's figures, or only `suppressed` for a group that is too small.",
        {
            "key": s.text("The group's key."),
            "suppressed": s.flag("Too few answers."),
            "figures": s.ref("ScoreFigures"),
        },
        ("key", "suppressed"),
    ),
    "AspectDriver": s.obj(
        "How one aspect relates to low scores.", DRIVER, ("aspect", "suppressed")
    ),
    "SurveyInsights": s.obj(
        "Figures over the invitations of a period, grouped, small groups suppressed.",
        {
            "startTime": s.moment("Start of the period."),
            "endTime": s.moment("End of the period."),
            "groupBy": s.choice("The grouping.", GROUPS),
            "minGroupSize": s.integer("Smaller groups are suppressed."),
            "overall": s.ref("InsightGroup"),
            "groups": s.array("The groups.", s.ref("InsightGroup")),
            "drivers": s.array("The driver analysis per aspect.", s.ref("AspectDriver")),
            "mainLowScoreDriver": s.text("The aspect that most explains low scores."),
        },
        ("groups", "drivers", "minGroupSize"),
    ),
    "Improvement": s.obj(
        'One "you said, we did" action.',
        {
            "id": s.text("The improvement's id."),
            "quarter": QUARTER,
            "title": s.text("The title."),
            "description": s.text("The description."),
            "signals": s.array(
                "The signals that led to it.",
                s.obj("A signal.", {"kind": s.choice("Kind.", SIGNALS), "value": s.text("Code.")}),
            ),
            "signalCount": s.integer("How many signals led to it."),
            "rank": s.integer("Its rank in the quarter's top 5 (0: outside)."),
            "createTime": s.moment("When it was recorded."),
        },
        ("id", "quarter", "title", "description", "signalCount", "rank"),
    ),
    "ImprovementList": s.obj(
        "The public top 5 of a quarter.",
        {
            "quarter": QUARTER,
            "improvements": s.array("At most 5.", s.ref("Improvement")),
            "total": s.integer("Improvements of the quarter in all."),
        },
        ("quarter", "improvements", "total"),
    ),
    "CallbackTask": s.obj(
        'A call-back to a respondent ("why a 3 or a 9?").', TASK, ("id", "orgUnit", "state")
    ),
    "CallbackTaskList": s.obj(
        "A page of open tasks, oldest first.",
        {"tasks": s.array("The tasks.", s.ref("CallbackTask")), "nextPageToken": s.page_token()},
        ("tasks", "nextPageToken"),
    ),
}
