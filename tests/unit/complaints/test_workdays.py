"""The Dutch working-day calendar against known dates, and its properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadskamer.complaints.workdays import (
    add_working_days,
    easter_sunday,
    holidays,
    is_working_day,
    kings_day,
    local_date,
    statutory_term_end,
    working_day_on_or_after,
)

EASTER = {
    2000: date(2000, 4, 23),
    2008: date(2008, 3, 23),
    2011: date(2011, 4, 24),
    2019: date(2019, 4, 21),
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2028: date(2028, 4, 16),
    2030: date(2030, 4, 21),
    2038: date(2038, 4, 25),
}

HOLIDAYS = {
    2024: [
        date(2024, 1, 1),
        date(2024, 4, 1),
        date(2024, 4, 27),
        date(2024, 5, 5),
        date(2024, 5, 9),
        date(2024, 5, 20),
        date(2024, 12, 25),
        date(2024, 12, 26),
    ],
    2025: [
        date(2025, 1, 1),
        date(2025, 4, 21),
        date(2025, 4, 26),  # 27 April 2025 is a Sunday: King's Day on Saturday the 26th
        date(2025, 5, 5),
        date(2025, 5, 29),
        date(2025, 6, 9),
        date(2025, 12, 25),
        date(2025, 12, 26),
    ],
    2026: [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 4, 27),
        date(2026, 5, 5),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ],
    2027: [
        date(2027, 1, 1),
        date(2027, 3, 29),
        date(2027, 4, 27),
        date(2027, 5, 5),
        date(2027, 5, 6),
        date(2027, 5, 17),
        date(2027, 12, 25),
        date(2027, 12, 26),
    ],
}

# (received, working days, due): the day of receipt never counts.
DUE = [
    (date(2026, 2, 2), 5, date(2026, 2, 9)),  # Monday -> next Monday
    (date(2026, 2, 6), 5, date(2026, 2, 13)),  # Friday -> next Friday
    (date(2026, 2, 7), 5, date(2026, 2, 13)),  # Saturday: Monday is day 1
    (date(2026, 2, 8), 1, date(2026, 2, 9)),  # Sunday -> Monday
    (date(2026, 4, 2), 5, date(2026, 4, 10)),  # Good Friday counts, Easter Monday does not
    (date(2026, 4, 24), 5, date(2026, 5, 4)),  # King's Day Monday 27 April skipped
    (date(2026, 4, 30), 5, date(2026, 5, 8)),  # Liberation Day Tuesday 5 May skipped
    (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Ascension Day Thursday 14 May skipped
    (date(2026, 5, 22), 1, date(2026, 5, 26)),  # Whit Monday 25 May skipped
    (date(2025, 4, 25), 1, date(2025, 4, 28)),  # Saturday King's Day is a weekend day anyway
    (date(2025, 5, 2), 5, date(2025, 5, 12)),  # Liberation Day Monday 5 May 2025 skipped
    (date(2025, 12, 24), 5, date(2026, 1, 5)),  # Christmas and New Year skipped
    (date(2027, 3, 26), 3, date(2027, 4, 1)),  # Easter Monday 29 March 2027 skipped
]


@pytest.mark.parametrize(("year", "expected"), sorted(EASTER.items()))
def test_easter_sunday_matches_the_known_dates(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


@pytest.mark.parametrize(("year", "expected"), sorted(HOLIDAYS.items()))
def test_the_general_holidays_of_a_year(year: int, expected: list[date]) -> None:
    assert sorted(holidays(year)) == expected


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday() -> None:
    assert kings_day(2025) == date(2025, 4, 26)
    assert kings_day(2014) == date(2014, 4, 26)
    assert kings_day(2026) == date(2026, 4, 27)
    assert holidays(2025)[date(2025, 4, 26)] == "Koningsdag"
    assert is_working_day(date(2025, 4, 28))


def test_queens_day_before_2014_was_30_april_or_the_29th() -> None:
    assert kings_day(2013) == date(2013, 4, 30)
    assert kings_day(2006) == date(2006, 4, 29)


def test_good_friday_is_a_working_day_and_liberation_day_is_not() -> None:
    assert is_working_day(date(2026, 4, 3))
    assert not is_working_day(date(2026, 5, 5))


def test_ascension_day_on_liberation_day_counts_once() -> None:
    assert easter_sunday(2005) + timedelta(days=39) == date(2005, 5, 5)
    assert len(holidays(2005)) == 7
    assert not is_working_day(date(2005, 5, 5))


@pytest.mark.parametrize(("received", "count", "due"), DUE)
def test_working_days_after_receipt(received: date, count: int, due: date) -> None:
    assert add_working_days(received, count) == due


def test_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 1, 5), 0)


def test_a_statutory_term_ending_on_a_holiday_or_weekend_runs_to_the_next_working_day() -> None:
    assert statutory_term_end(date(2026, 3, 27), 6) == date(2026, 5, 8)
    assert statutory_term_end(date(2026, 3, 16), 6) == date(2026, 4, 28)  # King's Day
    assert statutory_term_end(date(2026, 3, 14), 6) == date(2026, 4, 28)  # Sat, Sun, King's Day
    assert statutory_term_end(date(2025, 11, 13), 6) == date(2025, 12, 29)  # Christmas, weekend


def test_the_local_date_is_the_date_in_the_netherlands() -> None:
    assert local_date(datetime(2026, 2, 1, 23, 30, tzinfo=UTC)) == date(2026, 2, 2)  # CET
    assert local_date(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == date(2026, 7, 2)  # CEST
    assert local_date(datetime(2026, 7, 1, 21, 30, tzinfo=UTC)) == date(2026, 7, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 7, 1, 21, 30))


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
counts = st.integers(min_value=1, max_value=40)


@given(days, counts)
def test_the_due_day_is_a_working_day_strictly_after_the_start(start: date, count: int) -> None:
    due = add_working_days(start, count)
    assert due > start
    assert is_working_day(due)
    between = [start + timedelta(days=n) for n in range(1, (due - start).days + 1)]
    assert sum(1 for day in between if is_working_day(day)) == count


@given(days, counts)
def test_one_more_working_day_is_the_next_working_day(start: date, count: int) -> None:
    due = add_working_days(start, count)
    assert add_working_days(start, count + 1) == working_day_on_or_after(due + timedelta(days=1))
    assert add_working_days(due, 1) == add_working_days(start, count + 1)


@given(days, counts)
def test_the_calendar_span_is_bounded(start: date, count: int) -> None:
    span = (add_working_days(start, count) - start).days
    # Five working days a week, and at most 8 holidays within 40 working days.
    assert count <= span <= (count + 8) * 7 // 5 + 2


@given(st.integers(min_value=1900, max_value=2200))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)


@given(st.integers(min_value=1990, max_value=2200))
def test_the_moving_holidays_fall_on_their_weekdays(year: int) -> None:
    by_name = {name: day for day, name in holidays(year).items()}
    assert by_name["Tweede Paasdag"].weekday() == 0
    assert by_name["Tweede Pinksterdag"].weekday() == 0
    assert by_name["Koningsdag"].weekday() != 6
    assert all(day.year == year for day in holidays(year))


@given(days, st.integers(min_value=1, max_value=20))
def test_a_statutory_term_ends_on_a_working_day_no_earlier_than_the_weeks(
    start: date, weeks: int
) -> None:
    end = statutory_term_end(start, weeks)
    assert is_working_day(end)
    plain = start + timedelta(weeks=weeks)
    assert plain <= end <= plain + timedelta(days=5)
    assert all(not is_working_day(plain + timedelta(days=n)) for n in range((end - plain).days))
