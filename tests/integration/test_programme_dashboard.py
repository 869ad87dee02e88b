"""The programme dashboard: for one programme and financial year, the budget and what is
committed, offered, paid and left; whether returns came in on time; outputs against targets;
and applications by status. Each figure is right to the penny in the service and in the page's
tables, and the page costs the same number of SQL statements with 10 applications as 10,000."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    Organisation,
    OrganisationType,
    OutputTarget,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    ReturnOutput,
    ReturnStatus,
    Round,
    StaffRole,
    User,
)
from grants.services import programme_dashboard
from grants.services.errors import NotFound, ServiceError
from tests.conftest import make_member, make_organisation, make_staff, open_round, sign_in_as
from tests.integration.test_queue import statements_run

A = ApplicationStatus
AS = AwardStatus
P = PaymentStatus
R = ReturnStatus
YEAR = 2025
# Mid-January 2026: some of 2025/26's returns are in, some overdue, some not yet due.
TODAY = dt.date(2026, 1, 15)
UTC = dt.UTC


@dataclass
class World:
    programme_id: int
    other_programme_id: int
    round_id: int
    staff: dict[str, int]
    member_id: int


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


def new_round(programme: Programme, name: str, year: int, budget: int) -> Round:
    round_ = open_round()
    round_.programme = programme
    round_.name, round_.financial_year, round_.budget_pence = name, year, budget
    return round_


def new_application(round_, organisation, creator_id, number, status, targets=()) -> Application:
    submitted = status is not A.DRAFT
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=creator_id,
        project_title=f"Project {number}",
        amount_requested_pence=500_000,
        status=status,
        reference=f"PF-2526-{number:04d}" if submitted else None,
        submitted_at=utc(2025, 5, 1, 12) if submitted else None,
        output_targets=[
            OutputTarget(description=description, target=target, position=n)
            for n, (description, target) in enumerate(targets)
        ],
    )
    db.session.add(application)
    return application


def new_award(programme, organisation, application, reference, status, years) -> Award:
    award = Award(
        reference=reference,
        programme=programme,
        organisation=organisation,
        application=application,
        title=f"Award {reference}",
        amount_pence=sum(years.values()),
        status=status,
        years=[AwardYear(financial_year=y, amount_pence=p) for y, p in years.items()],
    )
    db.session.add(award)
    return award


def pay(award: Award, status: PaymentStatus, year: int, amount: int) -> None:
    paid = status is P.PAID
    award.payments.append(
        Payment(
            status=status,
            financial_year=year,
            amount_pence=amount,
            paid_on=dt.date(year, 6, 1) if paid else None,
        )
    )


def add_return(
    award: Award,
    status: ReturnStatus,
    due: dt.date,
    submitted: dt.datetime | None = None,
    achieved: dict[str, int] | None = None,
) -> None:
    monitoring_return = MonitoringReturn(
        award=award,
        status=status,
        period_start=due - dt.timedelta(days=120),
        period_end=due - dt.timedelta(days=30),
        due_date=due,
        submitted_at=submitted,
    )
    db.session.add(monitoring_return)
    db.session.flush()
    targets = {
        t.description: t.id for t in (award.application.output_targets if award.application else [])
    }
    for description, number in (achieved or {}).items():
        monitoring_return.outputs.append(
            ReturnOutput(output_target_id=targets[description], achieved=number)
        )


def build_world(app: Flask) -> World:
    """The Prevention Fund with budgets for 2025/26 and 2026/27, three rounds and ten
    applications; awards in every state that matters to the money; returns in every state that
    matters to timeliness; and another programme whose figures must never leak in."""
    with app.app_context():
        organisations = [make_organisation(f"Group {n}") for n in range(1, 5)]
        member = make_member(organisations[0], "applicant@example.org")
        creator = member.id
        fund = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
        fund.budgets = [
            ProgrammeBudget(financial_year=2025, amount_pence=10_000_000),
            ProgrammeBudget(financial_year=2026, amount_pence=8_000_000),
        ]
        spring = new_round(fund, "Spring 2025", 2025, 6_000_000)
        autumn = new_round(fund, "Autumn 2025", 2025, 3_000_000)
        next_year = new_round(fund, "Spring 2026", 2026, 4_000_000)
        db.session.add_all([spring, autumn, next_year])
        g1, g2, g3, g4 = organisations

        young, sessions, mentors = "Young people attend", "Sessions run", "Mentors trained"
        a1 = new_application(spring, g1, creator, 1, A.APPROVED, [(young, 40), (sessions, 20)])
        # The same output in another case with stray spaces is the same output.
        a2 = new_application(spring, g2, creator, 2, A.APPROVED, [(" young people attend ", 60),
                                                                  (mentors, 5)])  # fmt: skip
        a3 = new_application(spring, g3, creator, 3, A.APPROVED, [(young, 1000)])
        a4 = new_application(spring, g4, creator, 4, A.APPROVED, [(sessions, 10)])
        new_application(spring, g1, creator, 5, A.SUBMITTED)
        new_application(spring, g2, creator, 6, A.REJECTED)
        new_application(spring, g3, creator, 8, A.DRAFT)
        new_application(autumn, g4, creator, 9, A.WITHDRAWN)
        a10 = new_application(autumn, g1, creator, 10, A.APPROVED, [(young, 7)])
        new_application(next_year, g2, creator, 11, A.SUBMITTED)

        # Over two years, with money paid, approved and scheduled.
        active = new_award(fund, g1, a1, "PF-AWD-1", AS.ACTIVE, {2025: 1_234_567, 2026: 765_433})
        pay(active, P.PAID, 2025, 600_000)
        pay(active, P.APPROVED, 2025, 300_000)
        pay(active, P.SCHEDULED, 2025, 334_567)
        pay(active, P.SCHEDULED, 2026, 765_433)
        accepted = new_award(fund, g2, a2, "PF-AWD-2", AS.ACCEPTED, {2025: 500_001})
        pay(accepted, P.SCHEDULED, 2025, 500_001)
        new_award(fund, g3, a3, "PF-AWD-3", AS.OFFERED, {2025: 250_000})
        terminated = new_award(fund, g4, a4, "PF-AWD-4", AS.TERMINATED, {2025: 1_000_000})
        pay(terminated, P.PAID, 2025, 123_456)
        pay(terminated, P.SCHEDULED, 2025, 876_544)
        closed = new_award(fund, g4, None, "PF-AWD-5", AS.CLOSED, {2024: 300_000})
        pay(closed, P.PAID, 2024, 300_000)
        new_award(fund, g1, a10, "PF-AWD-6", AS.DECLINED, {2025: 999_999})

        # Returns due in 2025/26, judged on 15 January 2026.
        add_return(
            active,
            R.ACCEPTED,
            dt.date(2025, 7, 31),
            utc(2025, 7, 31, 22, 30),
            {young: 10, sessions: 4},
        )  # 11:30pm in London: on time
        add_return(
            active,
            R.ACCEPTED,
            dt.date(2025, 8, 31),
            utc(2025, 8, 31, 23, 30),
            {young: 25, sessions: 9},
        )  # 12:30am on 1 September in London: late
        add_return(
            active,
            R.SUBMITTED,
            dt.date(2025, 12, 31),
            utc(2025, 12, 31, 23, 30),
            {young: 35, sessions: 12},
        )  # 11:30pm in London (GMT): on time
        add_return(active, R.SCHEDULED, dt.date(2026, 3, 31))
        add_return(active, R.SCHEDULED, dt.date(2026, 4, 1))  # 2026/27's
        add_return(
            accepted,
            R.ACCEPTED,
            dt.date(2025, 6, 30),
            utc(2025, 6, 30, 10),
            {" young people attend ": 30, mentors: 3},
        )
        add_return(accepted, R.OPEN, dt.date(2026, 1, 10))
        add_return(accepted, R.OPEN, dt.date(2026, 3, 31))
        add_return(terminated, R.ACCEPTED, dt.date(2025, 9, 30), utc(2025, 10, 2, 9), {sessions: 2})
        add_return(terminated, R.WAIVED, dt.date(2025, 12, 31))
        add_return(terminated, R.RETURNED, dt.date(2025, 12, 1), utc(2025, 11, 30, 9))
        add_return(closed, R.ACCEPTED, dt.date(2025, 3, 31), utc(2025, 3, 1))  # 2024/25's

        # Another programme in the same year: none of it belongs on the Prevention Fund's page.
        other = Programme(name="Safer Streets", slug="ss", kind=ProgrammeKind.EXTERNAL_BID)
        other.budgets = [ProgrammeBudget(financial_year=2025, amount_pence=50_000_000)]
        db.session.add(new_round(other, "Safer Streets 2025", 2025, 20_000_000))
        elsewhere = new_award(other, g1, None, "SS-AWD-1", AS.ACTIVE, {2025: 7_777_777})
        pay(elsewhere, P.PAID, 2025, 1_111_111)
        pay(elsewhere, P.APPROVED, 2025, 2_222_222)
        add_return(elsewhere, R.OPEN, dt.date(2025, 11, 1))
        add_return(elsewhere, R.ACCEPTED, dt.date(2025, 10, 1), utc(2025, 10, 1))
        db.session.commit()

        staff = {
            role.value: make_staff(role).id
            for role in (StaffRole.COMMISSIONING_OFFICER, StaffRole.FINANCE, StaffRole.ASSESSOR)
        }
        return World(
            programme_id=fund.id,
            other_programme_id=other.id,
            round_id=spring.id,
            staff=staff,
            member_id=member.id,
        )


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


@pytest.fixture
def on_15_january_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(programme_dashboard, "london_today", lambda now=None: TODAY)


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, user_id))
    return client


@pytest.fixture
def officer(app: Flask, world: World) -> FlaskClient:
    return client_for(app, world.staff["commissioning_officer"])


def url(world: World, query: str = "") -> str:
    return f"/staff/programmes/{world.programme_id}/dashboard{query}"


def figures_for(app: Flask, world: World, year: int, programme_id: int | None = None):  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.get(User, world.staff["finance"])
        chosen = programme_dashboard.programme_years(
            user, programme_id or world.programme_id, today=TODAY
        )
        return chosen, programme_dashboard.dashboard(user, chosen, year, today=TODAY)


def table(html: str, caption: str) -> dict[str, list[str]]:
    """A GOV.UK table on the page, found by its caption: each row's first cell -> the rest."""
    match = re.search(
        rf"<caption[^>]*>\s*{re.escape(caption)}\s*</caption>(.*?)</table>", html, re.S
    )
    assert match, f"no table captioned {caption!r}"
    body = match.group(1).split("<tbody", 1)[1]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


# The figures, from the service --------------------------------------------------------------


def test_money_for_the_year_to_the_penny(app, world):
    _, figures = figures_for(app, world, YEAR)
    money = figures.money
    assert money.budget_pence == 10_000_000
    assert money.allocated_to_rounds_pence == 9_000_000
    # The active award's 2025/26 share, the accepted award, and what was paid on the terminated
    # one; not the offer, the declined award, last year's closed award or the other programme.
    assert money.committed_pence == 1_234_567 + 500_001 + 123_456 == 1_858_024
    assert money.offered_pence == 250_000
    assert money.paid_pence == 600_000 + 123_456 == 723_456
    assert money.approved_not_paid_pence == 300_000
    assert money.remaining_pence == 10_000_000 - 1_858_024 == 8_141_976


def test_the_second_year_of_a_two_year_award_counts_in_that_year(app, world):
    _, figures = figures_for(app, world, 2026)
    money = figures.money
    assert (money.budget_pence, money.allocated_to_rounds_pence) == (8_000_000, 4_000_000)
    assert money.committed_pence == 765_433
    assert (money.offered_pence, money.paid_pence, money.approved_not_paid_pence) == (0, 0, 0)
    assert money.remaining_pence == 7_234_567


def test_returns_due_in_the_year_by_timeliness_in_london_time(app, world):
    _, figures = figures_for(app, world, YEAR)
    returns = figures.returns
    # On time: 31 July at 11:30pm BST, 30 June, and 31 December at 11:30pm GMT. Late: 12:30am
    # BST on 1 September, and 2 October. Overdue now: an open one due 10 January and one sent
    # back. Not yet due: two due on 31 March (one not even open). Waived: one.
    assert (returns.on_time, returns.late, returns.overdue) == (3, 2, 2)
    assert (returns.not_yet_due, returns.waived) == (2, 1)
    assert returns.due == 10


def test_outputs_add_up_targets_against_each_awards_latest_accepted_return(app, world):
    _, figures = figures_for(app, world, YEAR)
    assert [(o.description, o.target, o.achieved) for o in figures.outputs] == [
        ("Mentors trained", 5, 3),
        ("Sessions run", 30, 11),  # 20 + 10 (terminated); 9 + 2
        ("Young people attend", 100, 55),  # 40 + 60, not the offer's or the declined's; 25 + 30
    ]
    assert [o.percent_achieved for o in figures.outputs] == [60, 36, 55]
    _, next_year = figures_for(app, world, 2026)
    assert [(o.description, o.target, o.achieved) for o in next_year.outputs] == [
        ("Sessions run", 20, 9),
        ("Young people attend", 40, 25),
    ]


def test_applications_submitted_to_the_years_rounds_by_status(app, world):
    _, figures = figures_for(app, world, YEAR)
    assert dict(figures.applications) == {
        A.SUBMITTED: 1,
        A.IN_ASSESSMENT: 0,
        A.INFORMATION_REQUESTED: 0,
        A.APPROVED: 5,
        A.REJECTED: 1,
        A.WITHDRAWN: 1,
    }
    assert not figures.is_empty


def test_the_years_offered_are_those_with_a_budget_rounds_or_awards(app, world):
    chosen, _ = figures_for(app, world, YEAR)
    assert chosen.years == (2024, 2025, 2026)
    assert chosen.current_year == 2025
    assert chosen.options(2031) == (2031, 2026, 2025, 2024)


def test_a_year_with_nothing_is_all_zeroes(app, world):
    _, figures = figures_for(app, world, 2031)
    assert figures.is_empty
    assert figures.money.remaining_pence == 0
    assert figures.returns.due == 0
    assert figures.outputs == ()
    assert all(count == 0 for _, count in figures.applications)


def test_the_other_programme_has_only_its_own_figures(app, world):
    _, figures = figures_for(app, world, YEAR, world.other_programme_id)
    assert figures.money.committed_pence == 7_777_777
    assert figures.money.paid_pence == 1_111_111
    assert figures.money.approved_not_paid_pence == 2_222_222
    assert figures.money.remaining_pence == 50_000_000 - 7_777_777
    assert (figures.returns.on_time, figures.returns.overdue) == (1, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 2026), ("", 2026), (" 2025 ", 2025), ("2099", 2099), ("2000", 2000)],
)
def test_reading_the_year(raw, expected):
    assert programme_dashboard.parse_year(raw, 2026) == expected


@pytest.mark.parametrize(
    "raw",
    # Digits of other scripts too: "202" and a superscript two; 2025 in full-width digits.
    [
        "abc",
        "2025/26",
        "-2025",
        "1999",
        "2100",
        "20255",
        "2025.0",
        "202\u00b2",
        "\uff12\uff10\uff12\uff15",
    ],
)
def test_a_year_that_is_not_a_year_is_refused(raw):
    with pytest.raises(ServiceError) as refused:
        programme_dashboard.parse_year(raw, 2026)
    assert refused.value.field == "year"


def test_the_service_finds_no_programme_for_a_community_user_or_a_missing_id(app, world):
    with app.app_context():
        member = db.session.get(User, world.member_id)
        with pytest.raises(NotFound):
            programme_dashboard.programme_years(member, world.programme_id)
        officer = db.session.get(User, world.staff["commissioning_officer"])
        with pytest.raises(NotFound):
            programme_dashboard.programme_years(officer, 999_999)


# The page -------------------------------------------------------------------------------------


def test_the_page_shows_the_years_figures_in_tables(officer, world, on_15_january_2026):
    response = officer.get(url(world, "?year=2025"))
    assert response.status_code == 200
    html = response.text
    assert "Programme dashboard: 2025/26" in html
    assert table(html, "Money in 2025/26") == {
        "Budget": ["£100,000.00"],
        "Given to the year\u2019s rounds": ["£90,000.00"],
        "Committed": ["£18,580.24"],
        "Offered, not yet accepted": ["£2,500.00"],
        "Paid": ["£7,234.56"],
        "Approved, not yet paid": ["£3,000.00"],
        "Remaining (budget less committed)": ["£81,419.76"],
    }
    assert table(html, "Returns due in 2025/26") == {
        "On time": ["3"],
        "Late": ["2"],
        "Overdue now": ["2"],
        "Not yet due": ["2"],
        "Waived": ["1"],
    }
    assert table(html, "Outputs of awards funded in 2025/26") == {
        "Mentors trained": ["5", "3", "60%"],
        "Sessions run": ["30", "11", "36%"],
        "Young people attend": ["100", "55", "55%"],
    }
    assert table(html, "Applications to 2025/26 rounds") == {
        "Submitted": ["1"],
        "In assessment": ["0"],
        "Information requested": ["0"],
        "Approved": ["5"],
        "Rejected": ["1"],
        "Withdrawn": ["1"],
    }
    assert "Safer Streets" not in html
    assert "every figure for the year is zero" not in html


def test_each_chart_is_an_image_with_a_title_and_a_description_holding_its_figures(
    officer, world, on_15_january_2026
):
    html = officer.get(url(world, "?year=2025")).text
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 4
    for chart in charts:
        chart_id = re.search(r'id="([^"]+)"', chart).group(1)
        assert 'role="img"' in chart
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in chart
        assert f'<title id="{chart_id}-title">' in chart
        assert f'<desc id="{chart_id}-desc">' in chart
        assert "style=" not in chart  # the CSP blocks inline styles
    money_chart = next(c for c in charts if 'id="money-chart"' in c)
    assert "Committed: £18,580.24." in money_chart
    assert ">£81,419.76</text>" in money_chart


def test_without_a_year_the_page_shows_the_current_financial_year(
    officer, world, on_15_january_2026
):
    html = officer.get(url(world)).text
    assert "Programme dashboard: 2025/26" in html
    assert '<option value="2025" selected>2025/26</option>' in html
    for year in ("2024/25", "2026/27"):
        assert f">{year}</option>" in html


def test_the_year_selector_shows_another_year(officer, world, on_15_january_2026):
    html = officer.get(url(world, "?year=2026")).text
    assert "Programme dashboard: 2026/27" in html
    assert '<option value="2026" selected>2026/27</option>' in html
    assert table(html, "Money in 2026/27")["Committed"] == ["£7,654.33"]
    assert table(html, "Money in 2026/27")["Remaining (budget less committed)"] == ["£72,345.67"]
    assert f'action="{url(world)}"' in html
    assert 'method="get"' in html


def test_a_year_with_nothing_in_it_shows_zeroes_and_says_so(officer, world, on_15_january_2026):
    response = officer.get(url(world, "?year=2031"))
    assert response.status_code == 200
    html = response.text
    assert "so every figure for the year is zero" in html
    assert table(html, "Money in 2031/32")["Budget"] == ["£0.00"]
    assert table(html, "Returns due in 2031/32")["On time"] == ["0"]
    assert "No award funded in 2031/32 has output targets." in html
    assert '<option value="2031" selected>2031/32</option>' in html


@pytest.mark.parametrize("year", ["abc", "1999", "2025-26"])
def test_a_year_that_is_not_a_year_is_a_400_with_the_error_summary(officer, world, year):
    response = officer.get(url(world, f"?year={year}"))
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert 'href="#year">Select a financial year from the list</a>' in html
    assert 'id="year-error"' in html
    assert "Money in" not in html
    assert "<svg" not in html


def test_an_over_committed_year_shows_a_negative_remainder_and_a_warning(
    app, officer, world, on_15_january_2026
):
    with app.app_context():
        budget = db.session.scalar(
            select(ProgrammeBudget).where(
                ProgrammeBudget.programme_id == world.programme_id,
                ProgrammeBudget.financial_year == 2025,
            )
        )
        budget.amount_pence = 1_000_000
        db.session.commit()
    html = officer.get(url(world, "?year=2025")).text
    assert table(html, "Money in 2025/26")["Remaining (budget less committed)"] == ["-£8,580.24"]
    assert "More is committed than the year\u2019s budget, by £8,580.24." in html


def test_an_unknown_programme_is_not_found(officer):
    assert officer.get("/staff/programmes/999999/dashboard").status_code == 404
    assert officer.get("/staff/programmes/999999/dashboard?year=abc").status_code == 404


@pytest.mark.parametrize("role", ["finance", "assessor"])
def test_every_staff_role_may_see_it(app, world, role):
    client = client_for(app, world.staff[role])
    assert client.get(url(world, "?year=2025")).status_code == 200


def test_a_community_user_is_refused_and_sees_no_figures(app, world):
    client = client_for(app, world.member_id)
    response = client.get(url(world, "?year=2025"))
    assert response.status_code == 403
    assert "£18,580.24" not in response.text


def test_someone_signed_out_is_sent_to_sign_in(client, world):
    response = client.get(url(world, "?year=2025"))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_programme_dashboard_endpoint_is_named_for_linking(app, world):
    with app.test_request_context():
        assert url_for(
            "programme_dashboard.dashboard", programme_id=world.programme_id, year=2025
        ) == url(world, "?year=2025")


# A constant number of statements -------------------------------------------------------------


def bulk_funded_applications(app: Flask, round_id: int, programme_id: int, count: int) -> None:
    """``count`` more submitted applications in the round, a fifth of them funded, each award
    with two years, payments, returns and output targets reported against: Core bulk inserts."""
    statuses = programme_dashboard.SUBMITTED_STATUSES
    award_statuses = [AS.ACTIVE, AS.ACCEPTED, AS.OFFERED, AS.TERMINATED, AS.CLOSED]
    with app.app_context():
        creator_id = db.session.scalar(select(User.id).where(User.staff_role.is_(None)))
        organisation_ids = list(
            db.session.scalars(
                insert(Organisation).returning(Organisation.id),
                [
                    {"name": f"Bulk group {n}", "org_type": OrganisationType.COMMUNITY_GROUP}
                    for n in range(count // 50)
                ],
            )
        )
        rows = [
            {
                "round_id": round_id,
                "organisation_id": organisation_ids[n % len(organisation_ids)],
                "created_by_id": creator_id,
                "status": A.APPROVED if n % 5 == 0 else statuses[n % len(statuses)],
                "project_title": f"Bulk {n}",
                "reference": f"BK-2526-{n:06d}",
                "amount_requested_pence": 100_000 + n,
                "submitted_at": dt.datetime(2025, 5, 1, tzinfo=UTC) + dt.timedelta(minutes=n),
            }
            for n in range(count)
        ]
        ids = list(db.session.scalars(insert(Application).returning(Application.id), rows))
        funded = ids[::5]
        target_ids = list(
            db.session.scalars(
                insert(OutputTarget).returning(OutputTarget.id),
                [
                    {"application_id": a, "position": p, "description": d, "target": 10}
                    for a in funded
                    for p, d in enumerate(("Young people attend", f"Local output {a % 40}"))
                ],
            )
        )
        award_ids = list(
            db.session.scalars(
                insert(Award).returning(Award.id),
                [
                    {
                        "reference": f"BK-AWD-{n:06d}",
                        "programme_id": programme_id,
                        "organisation_id": organisation_ids[n % len(organisation_ids)],
                        "application_id": application_id,
                        "status": award_statuses[n % len(award_statuses)],
                        "title": f"Bulk award {n}",
                        "amount_pence": 200_000,
                    }
                    for n, application_id in enumerate(funded)
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
                {"award_id": a, "status": s, "financial_year": 2025, "amount_pence": 50_000}
                for a in award_ids
                for s in (P.PAID, P.APPROVED)
            ],
        )
        return_ids = list(
            db.session.scalars(
                insert(MonitoringReturn).returning(MonitoringReturn.id),
                [
                    {
                        "award_id": a,
                        "status": status,
                        "period_start": dt.date(2025, 4, 1),
                        "period_end": due - dt.timedelta(days=30),
                        "due_date": due,
                        "submitted_at": submitted,
                    }
                    for a in award_ids
                    for status, due, submitted in (
                        (R.ACCEPTED, dt.date(2025, 7, 31), utc(2025, 7, 30)),
                        (R.OPEN, dt.date(2025, 10, 31), None),
                    )
                ],
            )
        )
        db.session.execute(
            insert(ReturnOutput),
            [
                {"return_id": r, "output_target_id": t, "achieved": 4}
                for r, t in zip(return_ids[::2], target_ids[::2], strict=True)
            ],
        )
        db.session.commit()


def statement_counts(app: Flask, world: World) -> dict[str, int]:
    counts = {}
    client = client_for(app, world.staff["commissioning_officer"])
    for query in ("", "?year=2025", "?year=2026", "?year=2031", "?year=abc"):
        expected = 400 if query.endswith("abc") else 200
        assert client.get(url(world, query)).status_code == expected  # session and caches warm
        with statements_run(app) as seen:
            response = client.get(url(world, query))
        assert response.status_code == expected, query
        counts[query] = len(seen)
    return counts


def test_the_page_runs_the_same_number_of_statements_with_10_and_10000_applications(
    app, world, on_15_january_2026
):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 10
    with_ten = statement_counts(app, world)

    bulk_funded_applications(app, world.round_id, world.programme_id, 9_990)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 10_000
    with_ten_thousand = statement_counts(app, world)

    assert with_ten_thousand == with_ten
    # The session, the user, the programme, its years, then one statement per group of figures.
    assert max(with_ten.values()) <= 12
    # And the bulk rows were counted, not missed.
    _, figures = figures_for(app, world, YEAR)
    assert sum(count for _, count in figures.applications) == 8 + 9_990
    young = next(o for o in figures.outputs if o.description == "Young people attend")
    # A fifth of the bulk applications have awards, whose states cycle; the offers' outputs
    # are not counted.
    funded = sum(1 for n in range(9_990 // 5) if n % 5 != 2)
    assert young.target == 100 + funded * 10
