"""Figures over the complaints received in a period (plain Python over stored facts).

- counts per org unit the complaints are about, and per outcome of the decided ones;
- the call-back norm: a complaint is *judged* once it was called back, or once its due date
  passed without a call-back; one withdrawn on or before its due date without a call-back is
  not judged. The share is within-norm / judged;
- the median time from receipt to call-back and from receipt to decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from stadskamer.complaints.domain import Outcome
from stadskamer.complaints.workdays import local_date


@dataclass(frozen=True)
class StatsRow:
    """What the figures need of one complaint."""

    org_unit: str
    outcome: Outcome | None
    received_at: datetime
    callback_due: date
    callback_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class ComplaintStats:
    """The figures of one period."""

    start: datetime
    end: datetime
    total: int
    org_units: list[tuple[str, int]]
    outcomes: list[tuple[Outcome, int]]
    callback_norm_working_days: int
    callbacks_judged: int
    callbacks_within_norm: int
    median_time_to_callback: timedelta | None
    median_time_to_decision: timedelta | None

    @property
    def callback_within_norm_share(self) -> float:
        """Within-norm / judged; 0 when nothing was judged."""
        return self.callbacks_within_norm / self.callbacks_judged if self.callbacks_judged else 0.0


def _judged(row: StatsRow, today: date) -> tuple[bool, bool]:
    """Whether the call-back norm can be judged for ``row``, and whether it was met."""
    if row.callback_at is not None:
        return True, local_date(row.callback_at) <= row.callback_due
    if row.withdrawn_at is not None and local_date(row.withdrawn_at) <= row.callback_due:
        return False, False
    return today > row.callback_due, False


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def complaint_stats(
    rows: Sequence[StatsRow], start: datetime, end: datetime, today: date, norm_days: int
) -> ComplaintStats:
    """The figures over ``rows`` (the complaints received in [start, end))."""
    units = Counter(r.org_unit for r in rows)
    outcomes = Counter(r.outcome for r in rows if r.outcome is not None)
    verdicts = [_judged(r, today) for r in rows]
    return ComplaintStats(
        start=start,
        end=end,
        total=len(rows),
        org_units=sorted(units.items(), key=lambda item: (-item[1], item[0])),
        outcomes=sorted(outcomes.items(), key=lambda item: (-item[1], item[0])),
        callback_norm_working_days=norm_days,
        callbacks_judged=sum(1 for judged, _ in verdicts if judged),
        callbacks_within_norm=sum(1 for _, within in verdicts if within),
        median_time_to_callback=_median(
            [r.callback_at - r.received_at for r in rows if r.callback_at is not None]
        ),
        median_time_to_decision=_median(
            [r.decided_at - r.received_at for r in rows if r.decided_at is not None]
        ),
    )
