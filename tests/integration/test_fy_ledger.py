"""The financial-year ledger: per programme and financial year, the budget and what is committed,
claimed, approved, paid and remaining. A multi-year award counts in each of its years, a
terminated award only what was paid on it, each payment state in its own column; the figures
agree with the programme dashboard's where both have them, reconcile exactly with the awards and
payments on random data, and the page costs the same statements however many awards there are."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from grants.extensions import db
from grants.models import (
    Award,
    AwardStatus,
    AwardYear,
    Organisation,
    OrganisationType,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    StaffRole,
    User,
)
from grants.services import fy_ledger, programme_dashboard
from grants.services.errors import NotFound
from grants.services.fy_ledger import Figures
from tests.conftest import make_member, make_organisation, make_staff, sign_in_as
from tests.integration.test_queue import statements_run

AS = AwardStatus
P = PaymentStatus


@dataclass
class World:
    prevention: int
    streets: int
    finance: int
    officer: int
    decision_maker: int
    assessor: int
    member: int


def new_award(programme, organisation, reference, status, years, payments=()) -> Award:
    award = Award(
        reference=reference,
        programme=programme,
        organisation=organisation,
        title=f"Award {reference}",
        amount_pence=sum(years.values()),
        status=status,
        years=[AwardYear(financial_year=y, amount_pence=p) for y, p in years.items()],
        payments=[
            Payment(
                status=s,
                financial_year=y,
                amount_pence=a,
                paid_on=dt.date(y, 6, 1) if s is P.PAID else None,
            )
            for s, y, a in payments
        ],
    )
    db.session.add(award)
    return award


def build_world(app: Flask) -> World:
    with app.app_context():
        organisation = make_organisation()
        member = make_member(organisation)
        prevention = Programme(
            name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT
        )
        prevention.budgets += [
            ProgrammeBudget(financial_year=2025, amount_pence=1_000_000),
            ProgrammeBudget(financial_year=2026, amount_pence=800_000),
        ]
        streets = Programme(name="Safer Streets", slug="ss", kind=ProgrammeKind.EXTERNAL_BID)
        streets.budgets.append(ProgrammeBudget(financial_year=2025, amount_pence=500_000))
        db.session.add_all([prevention, streets])
        # Over two years, with a payment in every state.
        new_award(
            prevention,
            organisation,
            "PF-1",
            AS.ACTIVE,
            {2025: 300_000, 2026: 200_000},
            [
                (P.PAID, 2025, 150_000),
                (P.APPROVED, 2025, 100_000),
                (P.CLAIMED, 2026, 50_000),
                (P.SCHEDULED, 2026, 150_000),
                (P.REJECTED, 2025, 20_000),
            ],
        )
        # Terminated after one payment: only what was paid stays committed.
        new_award(
            prevention,
            organisation,
            "PF-2",
            AS.TERMINATED,
            {2025: 400_000},
            [(P.PAID, 2025, 120_000), (P.SCHEDULED, 2025, 280_000)],
        )
        # Offered and declined: nothing committed.
        new_award(prevention, organisation, "PF-3", AS.OFFERED, {2025: 100_000})
        new_award(prevention, organisation, "PF-4", AS.DECLINED, {2025: 50_000})
        # Closed in an earlier year with no budget recorded for it.
        new_award(
            prevention, organisation, "PF-5", AS.CLOSED, {2024: 70_000}, [(P.PAID, 2024, 70_000)]
        )
        new_award(
            streets, organisation, "SS-1", AS.ACCEPTED, {2025: 250_000}, [(P.CLAIMED, 2025, 60_000)]
        )
        db.session.commit()
        return World(
            prevention=prevention.id,
            streets=streets.id,
            finance=make_staff(StaffRole.FINANCE).id,
            officer=make_staff(StaffRole.COMMISSIONING_OFFICER).id,
            decision_maker=make_staff(StaffRole.DECISION_MAKER).id,
            assessor=make_staff(StaffRole.ASSESSOR).id,
            member=member.id,
        )


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, user_id))
    return client


def ledger_for(app: Flask, user_id: int, programme_id=None, year=None) -> fy_ledger.Ledger:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.get(User, user_id)
        return fy_ledger.ledger(user, fy_ledger.ledger_options(user), programme_id, year)


def by_key(ledger: fy_ledger.Ledger) -> dict[tuple[str, int], Figures]:
    return {(line.programme, line.year): line.figures for line in ledger.lines}


EXPECTED = {
    # budget, committed, claimed, approved, paid
    ("Prevention Fund", 2024): Figures(0, 70_000, 0, 0, 70_000),
    ("Prevention Fund", 2025): Figures(1_000_000, 300_000 + 120_000, 0, 100_000, 270_000),
    ("Prevention Fund", 2026): Figures(800_000, 200_000, 50_000, 0, 0),
    ("Safer Streets", 2025): Figures(500_000, 250_000, 60_000, 0, 0),
}


def test_each_programme_and_year_has_its_figures_to_the_penny(app, world):
    ledger = ledger_for(app, world.finance)
    assert by_key(ledger) == EXPECTED
    assert [p.name for p in ledger.programmes] == ["Prevention Fund", "Safer Streets"]
    assert [line.year for line in ledger.programmes[0].lines] == [2024, 2025, 2026]
    # Remaining is budget less committed, and goes negative when nothing was budgeted.
    assert EXPECTED[("Prevention Fund", 2025)].remaining_pence == 580_000
    assert by_key(ledger)[("Prevention Fund", 2024)].remaining_pence == -70_000


def test_totals_add_up_per_programme_per_year_and_overall(app, world):
    ledger = ledger_for(app, world.finance)
    assert ledger.programmes[0].total == Figures(1_800_000, 690_000, 50_000, 100_000, 340_000)
    assert dict(ledger.by_year)[2025] == (
        EXPECTED[("Prevention Fund", 2025)] + EXPECTED[("Safer Streets", 2025)]
    )
    assert ledger.total == Figures(2_300_000, 940_000, 110_000, 100_000, 340_000)
    assert ledger.total.remaining_pence == 2_300_000 - 940_000


def test_filtering_by_programme_and_year(app, world):
    only_2025 = ledger_for(app, world.finance, year=2025)
    assert set(by_key(only_2025)) == {("Prevention Fund", 2025), ("Safer Streets", 2025)}
    streets = ledger_for(app, world.finance, programme_id=world.streets)
    assert by_key(streets) == {("Safer Streets", 2025): EXPECTED[("Safer Streets", 2025)]}
    nothing = ledger_for(app, world.finance, programme_id=world.streets, year=2030)
    assert nothing.is_empty and nothing.total == Figures()


def test_committed_paid_and_approved_agree_with_the_programme_dashboard(app, world):
    """Both pages use the same definitions: the figures they share must be the same."""
    ledger = by_key(ledger_for(app, world.finance))
    with app.app_context():
        user = db.session.get(User, world.finance)
        for (name, year), figures in ledger.items():
            programme_id = world.prevention if name == "Prevention Fund" else world.streets
            chosen = programme_dashboard.programme_years(user, programme_id)
            money = programme_dashboard.dashboard(user, chosen, year).money
            assert (money.budget_pence, money.committed_pence, money.paid_pence) == (
                figures.budget_pence,
                figures.committed_pence,
                figures.paid_pence,
            )
            assert money.approved_not_paid_pence == figures.approved_pence
            assert money.remaining_pence == figures.remaining_pence


def test_only_finance_officers_and_decision_makers_may_read_it(app, world):
    for reader in (world.finance, world.officer, world.decision_maker):
        assert ledger_for(app, reader).total.budget_pence == 2_300_000
    with app.app_context():
        for outsider in (world.assessor, world.member):
            with pytest.raises(NotFound):
                fy_ledger.ledger_options(db.session.get(User, outsider))


# The page ---------------------------------------------------------------------------------


def cell(page: str, programme_id: int, year: int | str, figure: str) -> str:
    table = re.search(rf'data-programme="{programme_id}".*?</table>', page, re.S)
    assert table, programme_id
    row = re.search(rf'data-year="{year}".*?</tr>', table.group(0), re.S)
    assert row, year
    found = re.search(rf'data-figure="{figure}">([^<]*)<', row.group(0))
    assert found, figure
    return found.group(1)


def test_the_page_shows_a_table_per_programme_with_totals(app, world):
    client = client_for(app, world.finance)
    response = client.get("/finance/ledger")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert cell(page, world.prevention, 2025, "committed") == "£4,200.00"
    assert cell(page, world.prevention, 2025, "paid") == "£2,700.00"
    assert cell(page, world.prevention, 2026, "claimed") == "£500.00"
    assert cell(page, world.prevention, 2024, "remaining") == "-£700.00"
    assert cell(page, world.prevention, "total", "budget") == "£18,000.00"
    assert cell(page, world.streets, 2025, "claimed") == "£600.00"
    assert 'id="all-programmes"' in page


def test_the_page_filters_and_says_when_there_is_nothing(app, world):
    client = client_for(app, world.officer)
    page = client.get(f"/finance/ledger?programme={world.streets}&year=2025").get_data(as_text=True)
    assert f'data-programme="{world.streets}"' in page
    assert f'data-programme="{world.prevention}"' not in page
    assert 'id="all-programmes"' not in page
    empty = client.get(f"/finance/ledger?programme={world.streets}&year=2024")
    assert empty.status_code == 200
    assert 'id="ledger-empty"' in empty.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("programme=abc", "Choose a programme from the list"),
        ("programme=99999", "Choose a programme from the list"),
        ("year=1999", "Choose a financial year from the list"),
        ("year=2025%2F26", "Choose a financial year from the list"),
    ],
)
def test_a_filter_it_does_not_offer_is_refused_with_the_error_summary(app, world, query, message):
    response = client_for(app, world.finance).get(f"/finance/ledger?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and message in page
    assert "data-programme=" not in page


def test_community_users_and_assessors_are_refused(app, world):
    for user_id in (world.member, world.assessor):
        assert client_for(app, user_id).get("/finance/ledger").status_code == 403
    anonymous = app.test_client().get("/finance/ledger")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def bulk_awards(app: Flask, programme_id: int, count: int) -> None:
    """``count`` more awards over two years in every state, each with payments in every state."""
    statuses = list(AwardStatus)
    with app.app_context():
        organisation_id = db.session.scalar(select(Organisation.id))
        award_ids = list(
            db.session.scalars(
                insert(Award).returning(Award.id),
                [
                    {
                        "reference": f"BK-{n:06d}",
                        "programme_id": programme_id,
                        "organisation_id": organisation_id,
                        "status": statuses[n % len(statuses)],
                        "title": f"Bulk {n}",
                        "amount_pence": 200_000,
                    }
                    for n in range(count)
                ],
            )
        )
        db.session.execute(
            insert(AwardYear),
            [
                {"award_id": a, "financial_year": y, "amount_pence": 100_000}
                for a in award_ids
                for y in (2025, 2026)
            ],
        )
        db.session.execute(
            insert(Payment),
            [
                {"award_id": a, "status": s, "financial_year": 2025, "amount_pence": 1_000}
                for a in award_ids
                for s in PaymentStatus
            ],
        )
        db.session.commit()


def test_the_page_runs_the_same_statements_with_6_awards_and_5000(app, world):
    client = client_for(app, world.finance)

    def counts() -> dict[str, int]:
        found = {}
        for query in ("", "?year=2025", f"?programme={world.prevention}", "?year=1999"):
            client.get(f"/finance/ledger{query}")  # warm the session and caches
            with statements_run(app) as seen:
                response = client.get(f"/finance/ledger{query}")
            assert response.status_code in (200, 400)
            found[query] = len(seen)
        return found

    few = counts()
    bulk_awards(app, world.prevention, 4_994)
    many = counts()
    assert many == few
    # The session, the user, the programmes, the years, then budgets, awards' years, payments.
    assert max(few.values()) <= 8
    statuses = list(AwardStatus)
    committed = sum(
        statuses[n % len(statuses)] in programme_dashboard.COMMITTED for n in range(4_994)
    )
    figures = by_key(ledger_for(app, world.finance))[("Prevention Fund", 2026)]
    assert figures.committed_pence == 200_000 + committed * 100_000


# Random data: the ledger reconciles exactly with the awards and payments ----------------------

YEARS = (2024, 2025, 2026)
money = st.integers(min_value=1, max_value=5_000_000)
award_strategy = st.fixed_dictionaries(
    {
        "programme": st.integers(min_value=0, max_value=2),
        "status": st.sampled_from(list(AwardStatus)),
        "years": st.dictionaries(st.sampled_from(YEARS), money, min_size=1, max_size=3),
        "payments": st.lists(
            st.tuples(st.sampled_from(list(PaymentStatus)), st.sampled_from(YEARS), money),
            max_size=4,
        ),
    }
)
budget_strategy = st.dictionaries(
    st.tuples(st.integers(min_value=0, max_value=2), st.sampled_from(YEARS)), money, max_size=9
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(awards=st.lists(award_strategy, max_size=12), budgets=budget_strategy)
def test_the_ledger_reconciles_exactly_with_the_awards_and_payments(app, awards, budgets):
    with app.app_context():
        try:
            finance = db.session.scalar(select(User).where(User.staff_role == StaffRole.FINANCE))
            if finance is None:
                finance = make_staff(StaffRole.FINANCE)
            organisation = Organisation(name="Random", org_type=OrganisationType.COMMUNITY_GROUP)
            programmes = [
                Programme(name=f"Programme {n}", slug=f"p{n}", kind=ProgrammeKind.COMMUNITY_GRANT)
                for n in range(3)
            ]
            db.session.add_all([organisation, *programmes])
            for (programme, year), amount in budgets.items():
                programmes[programme].budgets.append(
                    ProgrammeBudget(financial_year=year, amount_pence=amount)
                )
            for n, spec in enumerate(awards):
                new_award(
                    programmes[spec["programme"]],
                    organisation,
                    f"R-{n}",
                    spec["status"],
                    spec["years"],
                    spec["payments"],
                )
            db.session.commit()

            # What the ledger must say, worked out from the awards one by one.
            expected: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for (programme, year), amount in budgets.items():
                expected[(f"Programme {programme}", year)]["budget_pence"] += amount
            for spec in awards:
                key = f"Programme {spec['programme']}"
                if spec["status"] in programme_dashboard.COMMITTED:
                    for year, amount in spec["years"].items():
                        expected[(key, year)]["committed_pence"] += amount
                for status, year, amount in spec["payments"]:
                    column = {
                        P.CLAIMED: "claimed_pence",
                        P.APPROVED: "approved_pence",
                        P.PAID: "paid_pence",
                    }.get(status)
                    if column:
                        expected[(key, year)][column] += amount
                    if status is P.PAID and spec["status"] is AS.TERMINATED:
                        expected[(key, year)]["committed_pence"] += amount

            ledger = fy_ledger.ledger(finance, fy_ledger.ledger_options(finance))
            assert by_key(ledger) == {key: Figures(**v) for key, v in expected.items()}
            # And the totals are the awards' and payments' own sums.
            committed_awards = sum(
                sum(a["years"].values())
                for a in awards
                if a["status"] in programme_dashboard.COMMITTED
            )
            paid_on_terminated = sum(
                amount
                for a in awards
                if a["status"] is AS.TERMINATED
                for status, _, amount in a["payments"]
                if status is P.PAID
            )
            all_paid = sum(
                amount for a in awards for status, _, amount in a["payments"] if status is P.PAID
            )
            assert ledger.total.committed_pence == committed_awards + paid_on_terminated
            assert ledger.total.paid_pence == all_paid
            assert ledger.total.budget_pence == sum(budgets.values())
            for year, figures in ledger.by_year:
                assert figures == sum(
                    (f for (_, y), f in by_key(ledger).items() if y == year), Figures()
                )
        finally:
            db.session.rollback()
            for model in (Payment, AwardYear, Award, ProgrammeBudget, Programme, Organisation):
                db.session.execute(delete(model))
            db.session.commit()
