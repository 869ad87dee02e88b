"""Money and dates are formatted only at the edge, in the users' terms."""

import datetime as dt

import pytest

from grants.filters import financial_year, london_date, london_datetime, pounds


@pytest.mark.parametrize(
    ("pence", "whole", "text"),
    [
        (96059134, False, "£960,591.34"),
        (25000000, True, "£250,000"),
        (3930540, True, "£39,305.40"),
        (0, False, "£0.00"),
        (-150, False, "-£1.50"),
        (None, False, ""),
    ],
)
def test_pounds(pence, whole, text):
    assert pounds(pence, whole=whole) == text


def test_financial_year_label():
    assert financial_year(2025) == "2025/26"
    assert financial_year(2099) == "2099/00"


def test_london_datetime_handles_british_summer_time():
    winter = dt.datetime(2025, 1, 6, 17, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2024, 9, 30, 8, 30, tzinfo=dt.UTC)
    assert london_datetime(winter) == "6 January 2025 at 5pm"
    assert london_datetime(summer) == "30 September 2024 at 9:30am"
    assert (
        london_datetime(dt.datetime(2025, 1, 6, 12, 0, tzinfo=dt.UTC)) == "6 January 2025 at midday"
    )
    assert (
        london_datetime(dt.datetime(2025, 1, 6, 0, 0, tzinfo=dt.UTC))
        == "6 January 2025 at midnight"
    )


def test_london_date_uses_the_london_calendar_day():
    # 23:30 UTC on 31 March in summer time is already 1 April in London.
    assert london_date(dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)) == "1 April 2025"
