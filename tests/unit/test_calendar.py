"""Days in Leicester and financial years, at the edges where they go wrong."""

import datetime as dt

from grants.calendar import financial_year_of, london_today


def test_a_summer_evening_in_utc_is_already_tomorrow_in_leicester():
    assert london_today(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 7, 2)
    assert london_today(dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 1, 1)


def test_the_financial_year_turns_on_the_first_of_april():
    assert financial_year_of(dt.date(2026, 3, 31)) == 2025
    assert financial_year_of(dt.date(2026, 4, 1)) == 2026
