"""The two clocks of a complaint: the call-back norm and the Awb decision deadline.

- Call-back: the complainant is phoned within ``callback_working_days`` (default 5) working
  days. The day of receipt does not count: a complaint received on Monday 2 February 2026 is
  due on Monday 9 February. A complaint received on a weekend or holiday starts counting
  from the next working day in the same way (day 1 is the first working day after the
  receipt date).
- Decision: 6 weeks after receipt (Awb art. 9:11 lid 1), 10 weeks when an advisory
  committee hears the complaint (art. 9:14 lid 1), plus 4 weeks when extended once (art.
  9:11 lid 2 and 9:14 lid 2). The term counts from the receipt date; a term ending on a
  Saturday, Sunday or general holiday runs to the next working day (Algemene termijnenwet
  art. 1).

Plain Python. Days are dates in the Netherlands (:func:`~.workdays.local_date`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from stadskamer.complaints.workdays import add_working_days, local_date, statutory_term_end

DEFAULT_CALLBACK_WORKING_DAYS = 5
MAX_CALLBACK_WORKING_DAYS = 60


@dataclass(frozen=True)
class DeadlinePolicy:
    """The lengths of the clocks."""

    callback_working_days: int = DEFAULT_CALLBACK_WORKING_DAYS
    decision_weeks: int = 6
    committee_decision_weeks: int = 10
    extension_weeks: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.callback_working_days <= MAX_CALLBACK_WORKING_DAYS:
            raise ValueError(f"the call-back norm must be 1 to {MAX_CALLBACK_WORKING_DAYS} days")

    def callback_due(self, received_at: datetime) -> date:
        """The last day for the call-back."""
        return add_working_days(local_date(received_at), self.callback_working_days)

    def decision_due(self, received_at: datetime, advisory_committee: bool, extended: bool) -> date:
        """The last day for the decision."""
        weeks = self.committee_decision_weeks if advisory_committee else self.decision_weeks
        if extended:
            weeks += self.extension_weeks
        return statutory_term_end(local_date(received_at), weeks)
