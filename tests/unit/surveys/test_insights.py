"""Survey figures: the Dutch report-grade conventions, suppression of small groups, drivers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.surveys.domain import Channel, Context, Outcome, TriggerKind
from stadskamer.surveys.insights import GroupBy, InsightRow, drivers, figures, survey_insights
from tests.unit.surveys.fakes import START

END = START + timedelta(days=1)


def row(score: int | None, org_unit: str = "kcc", aspect: str = "snelheid") -> InsightRow:
    """A delivered invitation, answered with ``score`` (None: not answered)."""
    context = Context(TriggerKind.COMPLAINT, Channel.PHONE, "klacht", org_unit, Outcome.FOUNDED)
    return InsightRow(context, score, aspect if score is not None else "")


def test_csat_nps_and_sufficient_follow_the_documented_conventions() -> None:
    result = figures(12, [10, 9, 8, 8, 7, 6, 5, 1, 9, 7])
    assert result.responses == 10 and result.response_rate == pytest.approx(10 / 12)
    assert result.mean_score == pytest.approx(7.0)
    assert result.distribution == (1, 0, 0, 0, 1, 1, 2, 2, 2, 1)
    assert result.csat == pytest.approx(0.5)
    assert result.sufficient_share == pytest.approx(0.8)
    assert (result.promoter_share, result.passive_share, result.detractor_share) == (
        pytest.approx(0.3),
        pytest.approx(0.4),
        pytest.approx(0.3),
    )
    assert result.nps == pytest.approx(0.0)


def test_a_mean_of_five_and_a_half_rounds_up_to_a_sufficient() -> None:
    assert figures(2, [5, 6]).mean_sufficient
    assert not figures(2, [5, 5]).mean_sufficient
    assert not figures(0, []).mean_sufficient


@given(
    st.dictionaries(
        st.sampled_from(["kcc", "burgerzaken", "belastingen", "klachten"]),
        st.lists(st.integers(1, 10), max_size=25),
        min_size=1,
    ),
    st.integers(1, 15),
)
def test_groups_smaller_than_the_minimum_show_no_figures(
    answers: dict[str, list[int]], minimum: int
) -> None:
    rows = [row(score, unit) for unit, scores in answers.items() for score in scores]
    insights = survey_insights(rows, START, END, GroupBy.ORG_UNIT, minimum)
    for group in insights.groups:
        small = len(answers[group.key]) < minimum
        assert (group.figures is None) == small
    assert (insights.overall.figures is None) == (len(rows) < minimum)
    for driver in insights.drivers:
        assert driver.suppressed == (len(rows) < minimum)
        if driver.suppressed:
            assert driver.responses == 0 and driver.mean_score == 0.0


def test_the_driver_analysis_names_the_aspect_behind_most_low_scores() -> None:
    rows = (
        [row(2, aspect="uitkomst") for _ in range(8)]
        + [row(8, aspect="uitkomst") for _ in range(4)]
        + [row(4, aspect="bejegening") for _ in range(3)]
        + [row(9, aspect="bejegening") for _ in range(9)]
        + [row(3, aspect="snelheid") for _ in range(2)]
    )
    found, main = drivers(rows, 10)
    by_aspect = {d.aspect: d for d in found}
    assert main == "uitkomst"
    assert by_aspect["snelheid"].suppressed
    assert by_aspect["uitkomst"].low_score_share == pytest.approx(8 / 12)
    assert by_aspect["uitkomst"].low_score_contribution == pytest.approx(8 / 13)
    assert by_aspect["uitkomst"].mean_gap < 0 < by_aspect["bejegening"].mean_gap


def test_grouping_by_outcome_or_aspect_leaves_out_what_does_not_apply() -> None:
    rows = [row(7) for _ in range(10)] + [row(None) for _ in range(5)]
    by_outcome = survey_insights(rows, START, END, GroupBy.COMPLAINT_OUTCOME, 10)
    [founded] = by_outcome.groups
    assert founded.key == "FOUNDED" and founded.figures is not None
    assert founded.figures.invitations == 15
    by_aspect = survey_insights(rows, START, END, GroupBy.ASPECT, 10)
    [aspect] = by_aspect.groups
    assert aspect.figures is not None and aspect.figures.invitations == 0
