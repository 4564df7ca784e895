"""The Dutch working-day calendar of the Algemene termijnenwet (Atw), computed, not listed.

Plain Python, no calendar library. A working day is a day that is not a Saturday, a Sunday or
a general holiday of Atw art. 3: New Year's Day, Easter Monday, Ascension Day, Whit Monday,
both Christmas days, the King's birthday (King's Day) and Liberation Day (5 May). Easter is
computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher); Ascension Day is 39
and Whit Monday 50 days after Easter Sunday. Good Friday is not a general holiday.

King's Day is 27 April, or Saturday 26 April when the 27th is a Sunday (since 2014). Before
2014 the Queen's birthday was celebrated on 30 April, or Saturday 29 April when the 30th was a
Sunday.

Days are calendar days in the Netherlands: :func:`local_date` converts a moment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Amsterdam")
_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6
_FIRST_KINGS_DAY_YEAR = 2014


def local_date(moment: datetime) -> date:
    """The calendar date in the Netherlands at ``moment`` (which must be timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware moment is required")
    return moment.astimezone(TIMEZONE).date()


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian calendar), by the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_offset = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_offset) // 451
    month, day = divmod(h + weekday_offset - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """The day the monarch's birthday is celebrated, moved to Saturday when it is a Sunday."""
    birthday = date(year, 4, 27) if year >= _FIRST_KINGS_DAY_YEAR else date(year, 4, 30)
    return birthday - _ONE_DAY if birthday.weekday() == _SUNDAY else birthday


@lru_cache(maxsize=256)
def holidays(year: int) -> dict[date, str]:
    """The general holidays (Atw art. 3) of ``year``, by date, with their Dutch names."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter + _ONE_DAY: "Tweede Paasdag",
        kings_day(year): "Koningsdag",
        date(year, 5, 5): "Bevrijdingsdag",
        easter + timedelta(days=39): "Hemelvaartsdag",
        easter + timedelta(days=50): "Tweede Pinksterdag",
        date(year, 12, 25): "Eerste Kerstdag",
        date(year, 12, 26): "Tweede Kerstdag",
    }


def is_working_day(day: date) -> bool:
    """Neither a Saturday, a Sunday nor a general holiday."""
    return day.weekday() not in (_SATURDAY, _SUNDAY) and day not in holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start``; ``start`` itself never counts.

    With ``count`` 5 and a complaint received on Friday 2 May 2025, the days counted are
    Tuesday 6 May (Monday 5 May is Liberation Day) to Monday 12 May.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    remaining = count
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_day_on_or_after(day: date) -> date:
    """``day`` itself if it is a working day, else the next working day."""
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def statutory_term_end(start: date, weeks: int) -> date:
    """The last day of a statutory term of ``weeks`` weeks from ``start`` (Atw art. 1).

    The term ends on the same weekday ``weeks`` weeks later; a term that ends on a Saturday,
    Sunday or general holiday is extended to the next working day.
    """
    return working_day_on_or_after(start + timedelta(weeks=weeks))
