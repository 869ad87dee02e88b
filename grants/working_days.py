"""Working days in England and Wales: weekdays that are not bank holidays.

Bank holidays are computed from their rules (with substitute days when one falls at a weekend),
plus the one-off days proclaimed for royal occasions, so the calendar never runs out.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

ONE_OFF = {
    dt.date(2022, 6, 2),  # Spring bank holiday moved for the Platinum Jubilee
    dt.date(2022, 6, 3),  # Platinum Jubilee
    dt.date(2022, 9, 19),  # State funeral of Queen Elizabeth II
    dt.date(2023, 5, 8),  # Coronation of King Charles III
}
# Years where the late-May holiday moved to one of the one-off days above.
MOVED_SPRING_HOLIDAY = {2022}


def easter_sunday(year: int) -> dt.date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


@cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    days = set()
    new_year = dt.date(year, 1, 1)
    days.add(new_year + dt.timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    easter = easter_sunday(year)
    days.update({easter - dt.timedelta(days=2), easter + dt.timedelta(days=1)})
    days.add(_first_monday(year, 5))
    if year not in MOVED_SPRING_HOLIDAY:
        days.add(_last_monday(year, 5))
    days.add(_last_monday(year, 8))
    christmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday off
        days.update({christmas + dt.timedelta(days=2), boxing + dt.timedelta(days=2)})
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas substitute Tuesday
        days.update({boxing, christmas + dt.timedelta(days=2)})
    elif boxing.weekday() == 5:  # Friday Christmas, Saturday Boxing Day: Monday off
        days.update({christmas, boxing + dt.timedelta(days=2)})
    else:
        days.update({christmas, boxing})
    days.update(day for day in ONE_OFF if day.year == year)
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``start`` (``start`` itself is not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
