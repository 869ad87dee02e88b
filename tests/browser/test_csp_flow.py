"""CSP funding end to end, in a real browser: the officer sets the programme's underspend
threshold (pounds and pence are refused), records the formula for the year (weights that do
not add up to 100 are refused), confirms the allocations (refused while they are over the
budget), invites the partnerships to the plan round (once: a second invitation is refused),
approves a partnership's plan within its allocation (refused above it), records a
forecast from its signed-off return that flags underspend (listed on the officer's dashboard),
decides to roll some of it over,
and opens the partnership's page for the Police and Crime Panel. Every page visited, error
states included, has no axe violations."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year, pounds
from grants.models import (
    Application,
    ApplicationAnswer,
    Award,
    BudgetLine,
    MonitoringReturn,
    OrganisationType,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    ReturnSpend,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.models.csp import CspUnderspend, UnderspendStatus
from grants.services.csp import formula_allocations
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import (
    complete_application,
    declare_no_interest,
    make_member,
    make_organisation,
    make_staff,
)
from workflows.engine import fire

pytestmark = pytest.mark.browser

BUDGET = 50_000_000  # £500,000 for the year
# Population and recorded crime, rounded, as the officer enters them.
AREAS = {
    "Safer Leicester Partnership": (368_600, 45_100),
    "Charnwood Community Safety Partnership": (183_900, 12_200),
    "Safer Rutland Partnership": (41_000, 1_900),
}
CHARNWOOD = "Charnwood Community Safety Partnership"
ASKED = 20_000_000  # Charnwood's plan asks for £200,000: more than its allocation


def csp_world(app: Flask) -> dict:
    """The CSP programme with this year's budget, its plans round, the three partnerships,
    and Charnwood's plan sent in and recommended by a second officer."""
    with app.test_request_context():
        year = financial_year_of(london_today())
        now = utcnow()
        programme = Programme(
            name="Community Safety Partnership funding",
            slug="csp-funding",
            kind=ProgrammeKind.CSP_ALLOCATION,
        )
        programme.budgets.append(ProgrammeBudget(financial_year=year, amount_pence=BUDGET))
        round_ = Round(
            programme=programme, name=f"CSP annual plans {financial_year(year)}",
            reference_prefix="CSP", financial_year=year,
            opens_at=now - dt.timedelta(days=10), published_at=now - dt.timedelta(days=11),
            closes_at=now + dt.timedelta(days=30), budget_pence=BUDGET,
            min_award_pence=1_000_000, max_award_pence=30_000_000,
            short_form_threshold_pence=0, invitation_only=True,
        )  # fmt: skip
        db.session.add_all([programme, round_])
        organisations = {
            name: make_organisation(name, org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
            for name in AREAS
        }
        olive = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
        sam = make_staff(StaffRole.COMMISSIONING_OFFICER, "sam@opcc.example.org")
        joe = make_member(organisations[CHARNWOOD], "charnwood@csp.example.org")

        plan = Application(
            round=round_, organisation=organisations[CHARNWOOD], created_by_id=joe.id,
            project_title=f"Charnwood CSP plan {financial_year(year)}",
            amount_requested_pence=ASKED,
            budget_lines=[BudgetLine(position=1, financial_year=year,
                                     category="Anti-social behaviour",
                                     description="Loughborough town centre hotspots",
                                     amount_pence=ASKED)],
        )  # fmt: skip
        db.session.add(plan)
        db.session.flush()
        complete_application(plan, joe.id)
        _project_runs_for_the_year(plan, year)
        fire(joe, plan, "submit")
        fire(sam, plan, "start_assessment")
        declare_no_interest(sam.id, plan)
        fire(sam, plan, "recommend", recommendation="approve", amount_pence=ASKED)
        db.session.commit()
        return {
            "year": year,
            "programme": programme.id,
            "plan": plan.id,
            "charnwood": organisations[CHARNWOOD].id,
            "ids": {name: organisation.id for name, organisation in organisations.items()},
            "olive": (olive.email, olive.totp_secret),
        }


def _project_runs_for_the_year(plan: Application, year: int) -> None:
    dates = {"start_date": dt.date(year, 4, 1), "end_date": dt.date(year + 1, 3, 31)}
    for answer in plan.answers:
        if answer.question_key in dates:
            answer.value = dates[answer.question_key].isoformat()
    known = {answer.question_key for answer in plan.answers}
    plan.answers.extend(
        ApplicationAnswer(question_key=key, value=day.isoformat())
        for key, day in dates.items()
        if key not in known
    )


def first_return_sent_in(app: Flask, spent_pence: int) -> None:
    """Charnwood accepts its offer, the grant starts, and its first quarter's return is sent in
    with spend to date and its responsible officer's sign-off."""
    with app.test_request_context():
        award = db.session.scalars(select(Award)).one()
        joe = db.session.scalar(select(User).where(User.email == "charnwood@csp.example.org"))
        olive = db.session.scalar(select(User).where(User.email == "olive@opcc.example.org"))
        fire(
            joe, award, "accept", signatory="Joe Barker", signatory_role="Head of Community Safety"
        )
        for condition in award.conditions:
            condition.met_at, condition.met_by_id = utcnow(), olive.id
        fire(olive, award, "activate")
        first: MonitoringReturn = min(award.returns, key=lambda r: r.period_start)
        fire(None, first, "open")
        first.narrative = "Town centre patrols and case work ran as planned."
        (line,) = award.application.budget_lines
        first.spend = [ReturnSpend(budget_line_id=line.id, spent_pence=spent_pence)]
        fire(
            joe, first, "submit", signatory="Joe Barker", signatory_role="Head of Community Safety"
        )
        db.session.commit()


def fill_the_formula(page: Page, ids: dict[str, int], pot: str, weights: tuple[str, str]) -> None:
    page.get_by_label("A formula: shares of population and recorded crime, with weights").check()
    page.get_by_label("Amount to share between the areas, in pounds").fill(pot)
    page.get_by_label("Weight given to population, in per cent").fill(weights[0])
    page.get_by_label("Weight given to recorded crime, in per cent").fill(weights[1])
    for name, (population, crime) in AREAS.items():
        page.locator(f"#population_{ids[name]}").fill(f"{population:,}")
        page.locator(f"#crime_{ids[name]}").fill(f"{crime:,}")
    page.get_by_role("button", name="Work out the allocations").click()


def test_csp_funding_from_allocations_to_the_panel_page(app: Flask, page: Page) -> None:
    world = csp_world(app)
    year_label = financial_year(world["year"])
    ids = world["ids"]
    inputs = {ids[name]: figures for name, figures in AREAS.items()}
    allocation = formula_allocations(BUDGET, inputs, 50, 50)[world["charnwood"]]

    sign_in_as_staff(page, *world["olive"])
    page.goto("/staff/csp")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Community Safety Partnership funding"
    )
    assert_accessible(page)

    # The programme's underspend threshold, £15,000 to start with: whole pounds only.
    page.get_by_role(
        "link", name="Change the underspend threshold for Community Safety Partnership funding"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Underspend threshold")
    threshold = page.get_by_label("Underspend threshold, in pounds")
    expect(threshold).to_have_value("15,000")
    assert_accessible(page)
    threshold.fill("20,000.50")
    page.get_by_role("button", name="Save the threshold").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter the threshold in whole pounds, like 15,000 (no pence)"
    ]
    assert_accessible(page)
    page.get_by_label("Underspend threshold, in pounds").fill("20,000")
    page.get_by_role("button", name="Save the threshold").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Underspend threshold for Community Safety Partnership funding saved."
    )
    expect(page.locator("#thresholds + p + .govuk-summary-list")).to_contain_text("£20,000")
    assert_accessible(page)
    page.get_by_role("link", name=year_label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Allocations for {year_label}")
    assert_accessible(page)

    # The weights must add up to 100.
    fill_the_formula(page, ids, "500,000", ("60", "30"))
    assert assert_error_links_reach_fields(page) == ["The two weights must add up to 100"]
    assert_accessible(page)

    # Shared from £600,000, the allocations are over the £500,000 budget: not confirmed.
    fill_the_formula(page, ids, "600,000", ("50", "50"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Allocations worked out"
    )
    expect(page.get_by_text("more than the budget: they cannot be confirmed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm the allocations").click()
    (refusal,) = assert_error_links_reach_fields(page)
    assert "£100,000.00 more than the budget of £500,000.00" in refusal
    assert_accessible(page)

    # Recalculated from the budget itself, they are confirmed.
    fill_the_formula(page, ids, "500,000", ("50", "50"))
    row = page.get_by_role("row", name=re.compile(CHARNWOOD))
    expect(row).to_contain_text(pounds(allocation))
    page.get_by_role("button", name="Confirm the allocations").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Allocations confirmed"
    )
    expect(page.locator(".govuk-tag", has_text="Confirmed")).to_have_count(len(AREAS))
    assert_accessible(page)

    # Every partnership with a confirmed allocation is invited to the plan round, once.
    page.goto("/staff/csp")
    page.get_by_role("link", name=f"CSP annual plans {year_label}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Invitations to CSP annual plans {year_label}"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Invite the partnerships with a confirmed allocation").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{len(AREAS)} partnerships invited and emailed."
    )
    assert_accessible(page)
    page.get_by_role("button", name="Invite the partnerships with a confirmed allocation").click()
    (refusal,) = assert_error_links_reach_fields(page)
    assert "is invited already" in refusal
    assert_accessible(page)

    # The plan asks for £200,000, more than Charnwood's allocation: refused, then approved
    # at the allocation.
    plan_url = f"/staff/applications/{world['plan']}"
    page.goto(f"{plan_url}/interests")
    page.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save declaration").click()
    page.goto(plan_url)
    page.get_by_role("button", name="Approve and make the offer").click()
    assert_accessible(page)
    page.get_by_label("Amount approved").fill("200,000")
    page.get_by_role("button", name="Approve and make the offer").click()
    (refusal,) = assert_error_links_reach_fields(page)
    assert f"more than the partnership's allocation for {year_label} allows" in refusal
    assert_accessible(page)
    page.get_by_label("Amount approved").fill(f"{allocation / 100:.2f}")
    page.get_by_role("button", name="Approve and make the offer").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved. Offer CSP-")
    assert_accessible(page)

    # Its first return, signed off, reports £30,000 spent; the forecast leaves more than the
    # programme's £20,000 unspent, so Charnwood is flagged.
    first_return_sent_in(app, 3_000_000)
    partnership_url = f"/staff/csp/partnerships/{world['charnwood']}"
    page.goto(partnership_url)
    expect(page.get_by_text("Joe Barker, Head of Community Safety")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Forecast").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Forecast spend for the rest of the year"
    )
    assert_accessible(page)
    page.get_by_label("Forecast spend for the rest of the year, in pounds").fill("lots")
    page.get_by_role("button", name="Save the forecast").click()
    assert len(assert_error_links_reach_fields(page)) == 1
    assert_accessible(page)
    page.get_by_label("Forecast spend for the rest of the year, in pounds").fill("20,000")
    page.get_by_role("button", name="Save the forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast underspend")
    unspent = allocation - 3_000_000 - 2_000_000
    expect(page.get_by_text(f"Forecast to leave {pounds(unspent)} unspent")).to_contain_text(
        "more than the threshold of £20,000.00"
    )
    assert_accessible(page)
    # The commissioning officer's dashboard lists the flag, linked to the decision.
    page.goto("/staff")
    page.get_by_role("link", name=f"Decide on {CHARNWOOD}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast underspend")
    assert_accessible(page)

    # Rolling over more than the forecast unspent is refused; £18,000 is recorded.
    page.get_by_label("Roll over to next year").check()
    page.get_by_label("Amount, in pounds").fill(f"{(unspent + 100) / 100:.2f}")
    page.get_by_label("Reason for the decision").fill("The rural crime post starts in April.")
    page.get_by_role("button", name="Record the decision").click()
    (refusal,) = assert_error_links_reach_fields(page)
    assert "more than the forecast unspent" in refusal
    assert_accessible(page)
    page.get_by_label("Amount, in pounds").fill("18,000")
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_url(re.compile(rf"{partnership_url}$"))
    expect(page.locator(".govuk-inset-text")).to_contain_text("Roll over to next year, £18,000.00")
    expect(page.get_by_role("table", name=re.compile("Allocation, awarded"))).to_contain_text(
        pounds(allocation)
    )
    assert_accessible(page)

    with app.app_context():
        flag = db.session.scalars(select(CspUnderspend)).one()
        assert flag.status is UnderspendStatus.DECIDED
        assert (flag.decision, flag.decision_pence) == ("roll_over", 1_800_000)
        assert flag.threshold_pence == 2_000_000
