"""The figures over a period: counts, the call-back norm and medians."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stadskamer.complaints.domain import Outcome
from stadskamer.complaints.stats import StatsRow, complaint_stats
from stadskamer.complaints.workdays import local_date

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 2, 9, tzinfo=UTC)  # Monday; call-back due Monday 9 March
DUE = date(2026, 3, 9)
TODAY = date(2026, 6, 1)


def row(
    org_unit: str = "kcc",
    outcome: Outcome | None = None,
    callback_hours: float | None = None,
    decision_days: float | None = None,
    withdrawn_days: float | None = None,
) -> StatsRow:
    """A complaint received on RECEIVED with the given times after receipt."""

    def after(value: timedelta | None) -> datetime | None:
        return None if value is None else RECEIVED + value

    return StatsRow(
        org_unit=org_unit,
        outcome=outcome,
        received_at=RECEIVED,
        callback_due=DUE,
        callback_at=after(None if callback_hours is None else timedelta(hours=callback_hours)),
        decided_at=after(None if decision_days is None else timedelta(days=decision_days)),
        withdrawn_at=after(None if withdrawn_days is None else timedelta(days=withdrawn_days)),
    )


def test_counts_per_org_unit_and_outcome_most_first() -> None:
    rows = [
        row("kcc", Outcome.FOUNDED, 2, 10),
        row("belastingen", Outcome.UNFOUNDED, 3, 20),
        row("belastingen", Outcome.UNFOUNDED, 4, 30),
        row("belastingen"),
    ]
    stats = complaint_stats(rows, START, END, TODAY, 5)
    assert stats.total == 4
    assert stats.org_units == [("belastingen", 3), ("kcc", 1)]
    assert stats.outcomes == [(Outcome.UNFOUNDED, 2), (Outcome.FOUNDED, 1)]
    assert stats.median_time_to_callback == timedelta(hours=3)
    assert stats.median_time_to_decision == timedelta(days=20)
    assert stats.callback_norm_working_days == 5


def test_the_call_back_norm_counts_judged_complaints_only() -> None:
    rows = [
        row(callback_hours=24),  # within the norm
        row(callback_hours=24 * 8.5),  # Tuesday 10 March: late
        row(),  # never called back, due date passed: judged, late
        row(withdrawn_days=2),  # withdrawn before the due date: not judged
        row(withdrawn_days=10),  # withdrawn after the due date without call-back: late
    ]
    stats = complaint_stats(rows, START, END, TODAY, 5)
    assert (stats.callbacks_judged, stats.callbacks_within_norm) == (4, 1)
    assert stats.callback_within_norm_share == 0.25


def test_a_running_clock_is_not_judged_yet() -> None:
    stats = complaint_stats([row()], START, END, DUE, 5)
    assert stats.callbacks_judged == 0
    assert stats.callback_within_norm_share == 0.0
    assert stats.median_time_to_callback is None
    assert stats.median_time_to_decision is None


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    rows = [row(callback_hours=h) for h in (1, 2, 4, 10)]
    assert complaint_stats(rows, START, END, TODAY, 5).median_time_to_callback == timedelta(hours=3)


@given(st.lists(st.integers(min_value=0, max_value=24 * 60), min_size=1, max_size=30))
def test_the_median_lies_between_the_extremes(hours: list[int]) -> None:
    rows = [row(callback_hours=h) for h in hours]
    median = complaint_stats(rows, START, END, TODAY, 5).median_time_to_callback
    assert median is not None
    assert timedelta(hours=min(hours)) <= median <= timedelta(hours=max(hours))
    within = sum(1 for h in hours if local_date(RECEIVED + timedelta(hours=h)) <= DUE)
    assert complaint_stats(rows, START, END, TODAY, 5).callbacks_within_norm == within
