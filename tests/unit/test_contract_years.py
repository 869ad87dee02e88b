"""A contract's value by financial year: whole months of service in each year, the value shared
by largest remainder so the years add up exactly to the value of the term."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from workflows.contract import (
    months_after,
    months_by_year,
    share_by_months,
    value_a_year,
    value_for_months,
    years_at_value_a_year,
    years_of_term,
)


def shares(years):  # type: ignore[no-untyped-def]
    return [(y.financial_year, y.months, y.value_pence) for y in years]


def test_three_whole_years_hold_the_award_exactly_the_odd_penny_in_the_first():
    # £2.5m over three years is £833,333.33 a year and a penny over: it goes to a year, not lost.
    years = years_of_term(250_000_000, dt.date(2024, 4, 1), dt.date(2027, 3, 31))
    assert shares(years) == [
        (2024, 12, 83_333_334),
        (2025, 12, 83_333_333),
        (2026, 12, 83_333_333),
    ]
    assert sum(y.value_pence for y in years) == 250_000_000
    assert value_a_year(250_000_000, 36) == 83_333_333


def test_thirty_months_are_two_whole_years_and_a_half():
    # Not £2.5m / round(2.5 years) = £1.25m a year: twelve months' worth is £1m.
    years = years_of_term(250_000_000, dt.date(2027, 4, 1), dt.date(2029, 9, 30))
    assert shares(years) == [
        (2027, 12, 100_000_000),
        (2028, 12, 100_000_000),
        (2029, 6, 50_000_000),
    ]
    assert value_a_year(250_000_000, 30) == 100_000_000


def test_a_term_across_financial_years_shares_odd_pence_by_largest_remainder():
    # August to July: 8, 12, 12 and 4 months. Exact shares of £1,000,000.01 are 22,222,222.44,
    # 33,333,333.67 twice and 11,111,111.22 pence: the two pence left go to the .67s.
    years = years_of_term(100_000_001, dt.date(2018, 8, 1), dt.date(2021, 7, 31))
    assert shares(years) == [
        (2018, 8, 22_222_222),
        (2019, 12, 33_333_334),
        (2020, 12, 33_333_334),
        (2021, 4, 11_111_111),
    ]


def test_ties_go_to_the_earlier_year():
    assert share_by_months(5, {2024: 12, 2025: 12, 2026: 12, 2027: 12}) == {
        2024: 2,
        2025: 1,
        2026: 1,
        2027: 1,
    }


def test_months_count_from_the_start_day_and_a_part_month_counts_as_one():
    assert months_by_year(dt.date(2024, 4, 1), dt.date(2027, 3, 31)) == {
        2024: 12,
        2025: 12,
        2026: 12,
    }
    # 15 January 2025 to 14 January 2026 is twelve months: three before April, nine after.
    assert months_by_year(dt.date(2025, 1, 15), dt.date(2026, 1, 14)) == {2024: 3, 2025: 9}
    # One day into a thirteenth month is a thirteenth month.
    assert sum(months_by_year(dt.date(2025, 4, 1), dt.date(2026, 4, 1)).values()) == 13
    assert months_after(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert months_after(dt.date(2025, 1, 31), 2) == dt.date(2025, 3, 31)


def test_a_contract_let_at_a_value_a_year_is_worth_it_for_each_twelve_months():
    years = years_at_value_a_year(50_000_000, dt.date(2018, 8, 1), dt.date(2021, 7, 31))
    assert sum(y.value_pence for y in years) == 150_000_000
    assert value_for_months(83_333_333, 6) == 41_666_667  # 41,666,666.5 rounds half up
    assert value_for_months(0, 36) == 0


@given(
    total=st.integers(min_value=0, max_value=10**12),
    start=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31)),
    days=st.integers(min_value=1, max_value=3_650),
)
def test_years_always_add_up_and_each_is_within_a_penny_of_its_share(total, start, days):
    end = start + dt.timedelta(days=days)
    years = years_of_term(total, start, end)
    all_months = sum(y.months for y in years)
    assert sum(y.value_pence for y in years) == total
    assert all_months == sum(months_by_year(start, end).values()) >= 1
    for year in years:
        exact = Fraction(total * year.months, all_months)
        assert abs(year.value_pence - exact) < 1
    assert [y.financial_year for y in years] == sorted({y.financial_year for y in years})
