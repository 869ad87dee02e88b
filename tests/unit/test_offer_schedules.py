"""The payment and reporting schedules an offer is made with, worked out from its terms."""

import datetime as dt

import pytest

from grants.services.awarding import (
    ADVANCE,
    ARREARS,
    END_ONLY,
    HALF_YEARLY,
    QUARTERLY,
    OfferTerms,
    end_of_next_month,
    payment_schedule,
    reporting_schedule,
)

D = dt.date
TODAY = D(2026, 1, 10)


def terms(**kwargs) -> OfferTerms:
    values = {
        "amount_pence": 1_000_000,
        "years": {2026: 1_000_000},
        "starts_on": D(2026, 4, 1),
        "ends_on": D(2027, 3, 31),
        "offer_expires_on": D(2026, 2, 1),
    }
    values.update(kwargs)
    return OfferTerms(**values)


def test_one_payment_in_advance_is_the_whole_grant_when_the_project_starts():
    [payment] = payment_schedule(terms(), today=TODAY)
    assert (payment.due, payment.financial_year, payment.amount_pence, payment.is_final) == (
        D(2026, 4, 1),
        2026,
        1_000_000,
        True,
    )


def test_instalments_in_advance_share_the_year_and_add_up_exactly():
    schedule = payment_schedule(terms(amount_pence=1_000_001, years={2026: 1_000_001},
                                      instalments=3), today=TODAY)  # fmt: skip
    assert [p.due for p in schedule] == [D(2026, 4, 1), D(2026, 7, 31), D(2026, 11, 30)]
    assert [p.amount_pence for p in schedule] == [333_333, 333_333, 333_335]
    assert [p.is_final for p in schedule] == [False, False, True]


def test_an_advance_never_falls_due_before_today():
    schedule = payment_schedule(terms(), today=D(2026, 5, 20))
    assert schedule[0].due == D(2026, 5, 20)


def test_payments_in_arrears_fall_due_a_month_after_each_part_ends():
    schedule = payment_schedule(terms(payment_timing=ARREARS, instalments=2), today=TODAY)
    assert [p.due for p in schedule] == [D(2026, 10, 31), D(2027, 4, 30)]
    assert all(p.financial_year == 2026 for p in schedule)


def test_every_financial_year_gets_its_own_amount_even_with_one_instalment():
    two_years = terms(
        amount_pence=900_000,
        years={2026: 600_000, 2027: 300_000},
        starts_on=D(2026, 10, 1),
        ends_on=D(2027, 9, 30),
        instalments=1,
    )
    schedule = payment_schedule(two_years, today=TODAY)
    assert [(p.financial_year, p.amount_pence) for p in schedule] == [
        (2026, 600_000),
        (2027, 300_000),
    ]
    assert schedule[1].due == D(2027, 4, 1)
    assert [p.is_final for p in schedule] == [False, True]


def test_a_year_with_nothing_in_it_gets_no_payment():
    schedule = payment_schedule(terms(years={2026: 1_000_000, 2027: 0}), today=TODAY)
    assert {p.financial_year for p in schedule} == {2026}


def test_quarterly_returns_follow_the_financial_quarters_the_project_runs_in():
    project = terms(starts_on=D(2026, 5, 15), ends_on=D(2027, 1, 20))
    periods = [(r.period_start, r.period_end, r.due) for r in reporting_schedule(project)]
    assert periods == [
        (D(2026, 5, 15), D(2026, 6, 30), D(2026, 7, 31)),
        (D(2026, 7, 1), D(2026, 9, 30), D(2026, 10, 31)),
        (D(2026, 10, 1), D(2026, 12, 31), D(2027, 1, 31)),
        (D(2027, 1, 1), D(2027, 1, 20), D(2027, 2, 28)),
    ]


def test_half_yearly_and_end_only_reporting():
    half = reporting_schedule(terms(reporting=HALF_YEARLY))
    assert [(r.period_start, r.period_end) for r in half] == [
        (D(2026, 4, 1), D(2026, 9, 30)),
        (D(2026, 10, 1), D(2027, 3, 31)),
    ]
    [only] = reporting_schedule(terms(reporting=END_ONLY))
    assert (only.period_start, only.period_end, only.due) == (
        D(2026, 4, 1),
        D(2027, 3, 31),
        D(2027, 4, 30),
    )


def test_a_one_day_project_has_one_return_and_one_payment():
    day = terms(starts_on=D(2026, 4, 1), ends_on=D(2026, 4, 1), instalments=4)
    assert len(reporting_schedule(day)) == 1
    assert len(payment_schedule(day, today=TODAY)) == 1


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (D(2026, 12, 31), D(2027, 1, 31)),
        (D(2027, 1, 31), D(2027, 2, 28)),
        (D(2028, 1, 5), D(2028, 2, 29)),
    ],
)
def test_end_of_next_month(day, due):
    assert end_of_next_month(day) == due


def test_quarterly_is_the_default_and_advance_payment_too():
    assert terms().reporting == QUARTERLY
    assert terms().payment_timing == ADVANCE
