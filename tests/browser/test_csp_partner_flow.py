"""CSP funding from the partnership's side, in a real browser: the officer invites the
partnerships with a confirmed allocation; Charnwood's responsible officer signs in, finds the
invitation on the dashboard, writes the annual plan (its priorities, actions with their budget
and outcomes; a sign-off without the declarations is refused) and sends it; the officer approves
it within the allocation and makes the offer; the partnership accepts it; its first quarterly
return opens, is filled in against the plan's actions, refused without the responsible
officer's sign-off, then signed off and sent; the officer accepts it. Every page visited, error
states included, has no axe violations.

How allocations are worked out and confirmed, the threshold and underspend decisions are in
test_csp_flow.py; here the allocations are confirmed through the service."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    MonitoringReturn,
    OrganisationType,
    Place,
    Priority,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    ReturnStatus,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.services import csp
from tests.browser.conftest import NewPage
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_apply_journey import expect_status, fill_date, save_section
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.browser.test_staff_sign_in import sign_in_with_password
from tests.conftest import declare_no_interest, make_member, make_organisation, make_staff
from workflows.engine import fire

pytestmark = pytest.mark.browser

CHARNWOOD = "Charnwood Community Safety Partnership"
MELTON = "Melton Community Safety Partnership"
EMAIL = "priya@charnwood-csp.example.gov.uk"
ALLOCATION = 6_000_000  # £60,000 each, a flat amount
# The plan's actions (its budget lines) and the one output it reports against.
ACTIONS = {"Town centre ASB patrols": "35,000", "Domestic abuse awareness": "20,000"}
OUTPUT = "Young people reached by diversionary sessions"


def invited_world(app: Flask) -> dict:
    """The CSP programme with this year's budget and its plan round open; Charnwood and Melton
    with flat allocations confirmed; two commissioning officers and Charnwood's officer."""
    with app.test_request_context():
        year = financial_year_of(london_today())
        now = utcnow()
        programme = Programme(
            name="Community Safety Partnership funding",
            slug="csp-funding",
            kind=ProgrammeKind.CSP_ALLOCATION,
        )
        programme.budgets.append(ProgrammeBudget(financial_year=year, amount_pence=50_000_000))
        round_ = Round(
            programme=programme, name=f"CSP annual plans {financial_year(year)}",
            reference_prefix="CSP", financial_year=year,
            opens_at=now - dt.timedelta(days=10), published_at=now - dt.timedelta(days=11),
            closes_at=now + dt.timedelta(days=30), budget_pence=50_000_000,
            min_award_pence=1_000_000, max_award_pence=30_000_000,
            short_form_threshold_pence=0, invitation_only=True,
        )  # fmt: skip
        db.session.add_all(
            [
                programme,
                round_,
                Priority(code="asb", name="Anti-social behaviour"),
                Priority(code="vawg", name="Violence against women and girls"),
                Place(name="Charnwood", gss_code="E07000130"),
                Place(name="Melton", gss_code="E07000133"),
            ]
        )
        db.session.commit()
        organisations = {
            name: make_organisation(name, org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
            for name in (CHARNWOOD, MELTON)
        }
        olive = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
        make_staff(StaffRole.COMMISSIONING_OFFICER, "sam@opcc.example.org")
        make_member(organisations[CHARNWOOD], EMAIL)
        csp.set_method(olive, programme.id, year, csp.MethodChoice(csp.FLAT, ALLOCATION))
        csp.confirm_allocations(olive, programme.id, year)
        return {
            "year": year,
            "round": round_.name,
            "charnwood": organisations[CHARNWOOD].id,
            "olive": (olive.email, olive.totp_secret),
        }


def recommended_by_a_second_officer(app: Flask) -> int:
    """Sam assesses the plan and recommends approving it as asked (the assessment pages have
    their own tests); Olive then decides on it."""
    with app.test_request_context():
        plan = db.session.scalars(select(Application)).one()
        sam = db.session.scalar(select(User).where(User.email == "sam@opcc.example.org"))
        fire(sam, plan, "start_assessment")
        declare_no_interest(sam.id, plan)
        fire(sam, plan, "recommend", recommendation="approve", amount_pence=5_500_000)
        db.session.commit()
        return plan.id


def grant_under_way_with_first_return_open(app: Flask) -> int:
    """The offer's conditions are met and the grant starts (test_officer_day.py does this
    through the pages); the scheduler opens the first quarter's return."""
    with app.test_request_context():
        award = db.session.scalars(select(Award)).one()
        olive = db.session.scalar(select(User).where(User.email == "olive@opcc.example.org"))
        for condition in award.conditions:
            condition.met_at, condition.met_by_id = utcnow(), olive.id
        fire(olive, award, "activate")
        first: MonitoringReturn = min(award.returns, key=lambda r: r.period_start)
        fire(None, first, "open")
        db.session.commit()
        return first.id


# The partnership's steps --------------------------------------------------------------------


def open_section(page: Page, title: str, heading: str | None = None) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading or title)
    assert_accessible(page)


def write_the_plan(page: Page, year: int) -> None:
    open_section(page, "Your partnership")
    page.get_by_label("Name of the partnership's responsible officer").fill("Priya Shah")
    page.get_by_label("Their role").fill("Community Safety Manager, Charnwood Borough Council")
    page.get_by_label("Their phone number").fill("01509 634 567")
    save_section(page)
    expect_status(page, "Your partnership", "Completed")

    open_section(page, "Your plan")
    page.get_by_label("Title of the plan").fill(f"Charnwood CSP plan {financial_year(year)}")
    page.get_by_label("What are the partnership's priorities this year?").fill(
        "Anti-social behaviour in Loughborough town centre, and domestic abuse."
    )
    priorities = page.get_by_role("group", name="Which Police and Crime Plan priorities")
    priorities.get_by_label("Anti-social behaviour").check()
    priorities.get_by_label("Violence against women and girls").check()
    page.get_by_role("group", name="Which area does the partnership cover?").get_by_label(
        "Charnwood"
    ).check()
    fill_date(page, "When does the plan start?", "1", "4", str(year))
    fill_date(page, "When does it end?", "31", "3", str(year + 1))
    save_section(page)
    expect_status(page, "Your plan", "Completed")

    # The budget page the grant application uses too, headed as the task list names it.
    open_section(page, "Actions and their budget")
    button = "Add a budget line"
    for action, amount in ACTIONS.items():
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a budget line")
        if button == "Add a budget line":
            assert_accessible(page)  # the same page for the second action
        page.get_by_label("Financial year").select_option(str(year))
        page.get_by_label("What is it for?").fill(action)
        page.get_by_label("Amount, in pounds").fill(amount)
        page.get_by_role("button", name="Add budget line").click()
        button = "Add another budget line"
    expect(page.locator("#budget-total")).to_have_text("£55,000.00")
    assert_accessible(page)
    save_section(page)
    expect_status(page, "Actions and their budget", "Completed")

    open_section(page, "Outcomes")
    page.get_by_role("button", name="Add an output").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an output")
    assert_accessible(page)
    page.get_by_label("What will the project deliver or change?").fill(OUTPUT)
    page.get_by_label("Target number").fill("300")
    page.get_by_role("button", name="Add output").click()
    expect(page.get_by_role("cell", name=OUTPUT, exact=True)).to_be_visible()
    page.get_by_label("What difference will the plan make?").fill(
        "Fewer reports of anti-social behaviour in the town centre, measured by police data."
    )
    save_section(page)
    expect_status(page, "Outcomes", "Completed")

    # Signing off without the board's agreement and the declaration is refused.
    open_section(page, "Sign-off")
    page.get_by_label("Name of the responsible officer signing off the plan").fill("Priya Shah")
    page.get_by_label("Their role").fill("Community Safety Manager")
    save_section(page)
    assert assert_error_links_reach_fields(page) == [
        "Confirm that the partnership's board has agreed this plan",
        "Confirm that the information in this plan is true and complete",
    ]
    expect(page.get_by_label("Their role")).to_have_value("Community Safety Manager")
    assert_accessible(page)
    page.get_by_label("The partnership's board has agreed this plan").check()
    page.get_by_label("The information in this plan is true and complete").check()
    save_section(page)
    expect(page.get_by_text("You have completed 5 of 5 sections.")).to_be_visible()
    assert_accessible(page)


def send_the_plan(page: Page) -> str:
    page.get_by_role("button", name="Check your answers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    expect(page.get_by_text("£55,000.00").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept and send").click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text(re.compile(r"CSP-\d{4}-\d{4}"))
    assert_accessible(page)
    return panel.locator("strong").inner_text()


def accept_the_offer(page: Page) -> None:
    page.goto("/dashboard")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Accept or decline the offer for")).click()
    expect(page.get_by_role("heading", name="Your grant offer")).to_be_visible()
    expect(page.get_by_text("£55,000.00").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name="Accept the offer")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Role in the organisation").fill("Community Safety Manager")
    page.get_by_label(
        f"I confirm I am authorised to accept this grant on behalf of {CHARNWOOD}"
    ).check()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name="Offer accepted")).to_be_visible()
    assert_accessible(page)


def report_against_the_plan(app: Flask, page: Page, year: int, return_id: int) -> None:
    page.goto("/dashboard")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Send your return for")).click()
    expect(page.get_by_role("heading", name="Monitoring return", exact=True)).to_be_visible()
    assert_accessible(page)
    label = financial_year(year)
    page.get_by_label(f"Spent to date on Town centre ASB patrols ({label})").fill("8,250")
    page.get_by_label(f"Spent to date on Domestic abuse awareness ({label})").fill("4,000")
    page.get_by_label(OUTPUT).fill("85")
    page.get_by_label("How is the plan going?").fill(
        "Patrols ran every Friday and Saturday; the awareness campaign launched in June."
    )
    page.get_by_role("button", name="Continue to check and submit").click()
    expect(
        page.get_by_role("heading", name="Check your return before you submit it")
    ).to_be_visible()
    expect(page.get_by_text("£8,250.00")).to_be_visible()
    assert_accessible(page)

    # Without the responsible officer's sign-off the return is not sent.
    page.get_by_role("button", name="Submit return").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter the name of the responsible officer",
        "Enter the responsible officer's role",
        "Confirm that you are the responsible officer and the return is accurate",
    ]
    assert_accessible(page)
    with app.app_context():
        assert db.session.get(MonitoringReturn, return_id).status is ReturnStatus.OPEN

    page.get_by_label("Name of the responsible officer").fill("Priya Shah")
    page.get_by_label("Their role").fill("Community Safety Manager")
    page.get_by_label(
        "I am the partnership's responsible officer and this return is accurate"
    ).check()
    page.get_by_role("button", name="Submit return").click()
    expect(page.get_by_role("heading", name="Return submitted")).to_be_visible()
    assert_accessible(page)


# The test -------------------------------------------------------------------------------------


def test_a_partnership_sends_its_plan_and_signs_off_its_quarterly_return(
    app: Flask, page: Page, new_page: NewPage
) -> None:
    world = invited_world(app)
    year = world["year"]

    # The officer invites both partnerships with a confirmed allocation.
    sign_in_as_staff(page, *world["olive"])
    page.goto("/staff/csp")
    assert_accessible(page)
    page.get_by_role("link", name=world["round"]).click()
    assert_accessible(page)
    page.get_by_role("button", name="Invite the partnerships with a confirmed allocation").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "2 partnerships invited and emailed."
    )
    assert_accessible(page)

    # Charnwood's officer finds the invitation on the dashboard and starts the plan.
    partner = new_page()
    sign_in_with_password(partner, EMAIL)
    expect(partner.get_by_role("heading", level=1)).to_have_text(CHARNWOOD)
    invitation = partner.get_by_role("link", name=f"Send your annual plan: {world['round']}")
    expect(invitation).to_be_visible()
    assert_accessible(partner)
    invitation.click()
    expect(partner.get_by_role("radio", name=CHARNWOOD)).to_be_checked()
    assert_accessible(partner)
    expect(partner.get_by_role("heading", level=1)).to_have_text("Start your annual plan")
    partner.get_by_role("button", name="Start annual plan").click()
    expect(partner).to_have_url(re.compile(r"/applications/\d+/tasks$"))
    expect(partner.get_by_text("You have completed 0 of 5 sections.")).to_be_visible()
    assert_accessible(partner)
    write_the_plan(partner, year)
    reference = send_the_plan(partner)

    # Recommended by a second officer, Olive approves it at the amount asked, within the
    # allocation, and makes the offer.
    plan_id = recommended_by_a_second_officer(app)
    plan_url = f"/staff/applications/{plan_id}"
    page.goto(f"{plan_url}/interests")
    assert_accessible(page)
    page.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save declaration").click()
    expect(page).to_have_url(re.compile(rf"{plan_url}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Charnwood CSP plan {financial_year(year)}"
    )
    expect(page.get_by_text(reference).first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve and make the offer").click()
    assert_accessible(page)
    page.get_by_label("Amount approved").fill("55,000")
    page.get_by_role("button", name="Approve and make the offer").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved. Offer CSP-")
    assert_accessible(page)

    accept_the_offer(partner)
    return_id = grant_under_way_with_first_return_open(app)
    report_against_the_plan(app, partner, year, return_id)

    # The officer reads the signed-off return and accepts it.
    page.goto(f"/staff/returns/{return_id}")
    expect(page.get_by_text("Priya Shah, Community Safety Manager")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept the return").click()
    expect(page.get_by_text("Return accepted")).to_be_visible()
    assert_accessible(page)

    with app.app_context():
        plan = db.session.get(Application, plan_id)
        assert plan.status is ApplicationStatus.APPROVED
        assert [(line.category, line.amount_pence) for line in plan.budget_lines] == [
            ("Town centre ASB patrols", 3_500_000),
            ("Domestic abuse awareness", 2_000_000),
        ]
        sent = db.session.get(MonitoringReturn, return_id)
        assert sent.status is ReturnStatus.ACCEPTED
        assert (sent.signed_off_by, sent.signed_off_role) == (
            "Priya Shah",
            "Community Safety Manager",
        )
        assert sorted(spend.spent_pence for spend in sent.spend) == [400_000, 825_000]
