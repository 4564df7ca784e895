"""Survey figures (plain Python over stored facts), with the Dutch conventions spelled out.

- Scores are Dutch report grades (rapportcijfers) from 1 to 10. A grade of 6 or more is a
  "voldoende"; a mean is judged after rounding half up to a whole grade, so a mean of 5.5
  counts as a 6 (``mean_sufficient``). A grade of 5 or less is a low score ("onvoldoende").
- CSAT is the share of grades 8, 9 and 10 (the top three of the ten-point scale).
- The NPS-style split on the ten-point scale: promoters 9-10, passives 7-8, detractors 1-6;
  ``nps`` = (promoter share - detractor share) × 100. It is *NPS-style*: the real Net
  Promoter Score asks a 0-10 recommendation question, which these surveys do not.
- An invitation counts once it was delivered; the response rate is answers / delivered
  invitations of the period (invitations created in it). Grouped by aspect, only answers
  exist (the aspect is part of the answer), so invitations and the rate are 0 there.
- Privacy: a group with fewer answers than ``min_group_size`` is suppressed (no figures, not
  even its counts), so no respondent can be singled out. The same holds for the driver
  analysis of an aspect and for the overall figures.
- Driver analysis, per aspect named as the most important one: the number of answers, their
  mean, their share of low scores, the gap of their mean to the overall mean, and which share
  of all low scores named the aspect. The aspect that most explains low scores is the
  unsuppressed aspect named by the most low scores (ties: the more negative mean gap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from stadskamer.surveys.domain import Context

MIN_SCORE, MAX_SCORE = 1, 10
LOW_SCORE_MAX = 5
SUFFICIENT_MIN = 6
CSAT_MIN = 8
PROMOTER_MIN = 9
PASSIVE_MIN = 7
DEFAULT_MIN_GROUP_SIZE = 10


class GroupBy(IntEnum):
    """How the figures are grouped (numbers of ``GroupBy``)."""

    NONE = 0
    ORG_UNIT = 1
    CHANNEL = 2
    TOPIC = 3
    COMPLAINT_OUTCOME = 4
    ASPECT = 5


@dataclass(frozen=True)
class InsightRow:
    """One delivered invitation of the period and its answer, if any."""

    context: Context
    score: int | None = None
    aspect: str = ""


@dataclass(frozen=True)
class Figures:
    """The figures of one group (see the module docstring)."""

    invitations: int
    responses: int
    response_rate: float
    mean_score: float
    distribution: tuple[int, ...]
    sufficient_share: float
    mean_sufficient: bool
    csat: float
    promoter_share: float
    passive_share: float
    detractor_share: float
    nps: float


@dataclass(frozen=True)
class Group:
    """A group's key and figures; ``figures`` None means suppressed."""

    key: str
    figures: Figures | None


@dataclass(frozen=True)
class Driver:
    """How one aspect relates to low scores; ``suppressed`` hides every figure."""

    aspect: str
    suppressed: bool
    responses: int = 0
    mean_score: float = 0.0
    low_score_share: float = 0.0
    mean_gap: float = 0.0
    low_score_contribution: float = 0.0


@dataclass(frozen=True)
class Insights:
    """Everything GetSurveyInsights answers."""

    start: datetime
    end: datetime
    group_by: GroupBy
    min_group_size: int
    overall: Group
    groups: list[Group]
    drivers: list[Driver]
    main_low_score_driver: str


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def figures(invitations: int, scores: Sequence[int]) -> Figures:
    """The figures of ``invitations`` delivered invitations and their answers' ``scores``."""
    answered = len(scores)
    distribution = tuple(scores.count(grade) for grade in range(MIN_SCORE, MAX_SCORE + 1))
    mean = sum(scores) / answered if answered else 0.0
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    passives = sum(1 for s in scores if PASSIVE_MIN <= s < PROMOTER_MIN)
    detractors = answered - promoters - passives
    return Figures(
        invitations=invitations,
        responses=answered,
        response_rate=_share(answered, invitations),
        mean_score=mean,
        distribution=distribution,
        sufficient_share=_share(sum(1 for s in scores if s >= SUFFICIENT_MIN), answered),
        mean_sufficient=answered > 0 and mean >= SUFFICIENT_MIN - 0.5,
        csat=_share(sum(1 for s in scores if s >= CSAT_MIN), answered),
        promoter_share=_share(promoters, answered),
        passive_share=_share(passives, answered),
        detractor_share=_share(detractors, answered),
        nps=100 * (_share(promoters, answered) - _share(detractors, answered)),
    )


def _group(key: str, rows: Sequence[InsightRow], min_size: int, count_invitations: bool) -> Group:
    scores = [r.score for r in rows if r.score is not None]
    if len(scores) < min_size:
        return Group(key, None)
    return Group(key, figures(len(rows) if count_invitations else 0, scores))


def _key(group_by: GroupBy) -> Callable[[InsightRow], str]:
    keys: dict[GroupBy, Callable[[InsightRow], str]] = {
        GroupBy.ORG_UNIT: lambda r: r.context.org_unit,
        GroupBy.CHANNEL: lambda r: r.context.channel.code,
        GroupBy.TOPIC: lambda r: r.context.topic,
        GroupBy.COMPLAINT_OUTCOME: lambda r: (
            r.context.complaint_outcome.name if r.context.complaint_outcome else ""
        ),
        GroupBy.ASPECT: lambda r: r.aspect,
    }
    return keys[group_by]


def _groups(rows: Sequence[InsightRow], group_by: GroupBy, min_size: int) -> list[Group]:
    if group_by is GroupBy.NONE:
        return []
    if group_by is GroupBy.ASPECT:
        rows = [r for r in rows if r.score is not None]
    key = _key(group_by)
    buckets: dict[str, list[InsightRow]] = {}
    for row in rows:
        if key(row):
            buckets.setdefault(key(row), []).append(row)
    counting = group_by is not GroupBy.ASPECT
    return [_group(k, buckets[k], min_size, counting) for k in sorted(buckets)]


def drivers(rows: Sequence[InsightRow], min_size: int) -> tuple[list[Driver], str]:
    """The driver analysis per aspect and the aspect that most explains low scores."""
    answered = [(r.score, r.aspect) for r in rows if r.score is not None and r.aspect]
    if not answered:
        return [], ""
    overall = sum(s for s, _ in answered) / len(answered)
    low_total = sum(1 for s, _ in answered if s <= LOW_SCORE_MAX)
    found: list[Driver] = []
    for aspect in sorted({a for _, a in answered}):
        scores = [s for s, a in answered if a == aspect]
        if len(scores) < min_size:
            found.append(Driver(aspect, suppressed=True))
            continue
        low = sum(1 for s in scores if s <= LOW_SCORE_MAX)
        mean = sum(scores) / len(scores)
        share, contribution = low / len(scores), _share(low, low_total)
        found.append(Driver(aspect, False, len(scores), mean, share, mean - overall, contribution))
    candidates = [d for d in found if not d.suppressed and d.low_score_contribution > 0]
    main = max(candidates, key=lambda d: (d.low_score_contribution, -d.mean_gap), default=None)
    return found, main.aspect if main else ""


def survey_insights(
    rows: Sequence[InsightRow], start: datetime, end: datetime, group_by: GroupBy, min_size: int
) -> Insights:
    """The figures of ``rows`` (the delivered invitations created in [start, end))."""
    found, main = drivers(rows, min_size)
    return Insights(
        start=start,
        end=end,
        group_by=group_by,
        min_group_size=min_size,
        overall=_group("", rows, min_size, True),
        groups=_groups(rows, group_by, min_size),
        drivers=found,
        main_low_score_driver=main,
    )
