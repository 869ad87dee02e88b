"""An assessor declares their interests and scores an application (a missing justification is
refused first), sees where assessors disagree on the moderation page and the ranked list, and an
officer recommends it for approval. Every page, error states included, passes axe-core."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import StaffRole
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import make_staff
from tests.integration.test_assessment import assessment_round, give_scores, in_assessment

pytestmark = pytest.mark.browser


def assessment_case(app: Flask) -> dict:
    """A round of two applications in assessment; another assessor has scored the first far
    apart from what this test's assessor will give, so it needs moderation."""
    with app.app_context():
        round_ = assessment_round(budget_pence=1_000_000, funding_threshold_percent=50)
        application = in_assessment(round_, "Boxing after school", 800_000, "PF-2627-0001")
        other = in_assessment(round_, "Knife crime talks", 400_000, "PF-2627-0002")
        assessor = make_staff(StaffRole.ASSESSOR, "assessor@opcc.example.org")
        colleague = make_staff(StaffRole.ASSESSOR, "colleague@opcc.example.org")
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "officer@opcc.example.org")
        give_scores(application, colleague.id, 1, 3)
        give_scores(other, colleague.id, 4, 4)
        db.session.commit()
        return {
            "application": application.id,
            "round": round_.id,
            "assessor": (assessor.email, assessor.totp_secret),
            "officer": (officer.email, officer.totp_secret),
        }


def test_assessor_scores_and_officer_recommends(app: Flask, page: Page, new_page) -> None:
    case = assessment_case(app)
    application_url = f"/staff/applications/{case['application']}"

    sign_in_as_staff(page, *case["assessor"])
    page.goto(application_url)
    assert_accessible(page)
    page.get_by_role("link", name="Score this application").click()

    # Not declared yet: the declaration comes first.
    expect(page.get_by_role("heading", level=1)).to_have_text("Declare your interests")
    expect(
        page.get_by_text("Declare any interests in this application before you score it.")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save declaration").click()
    assert assert_error_links_reach_fields(page) == [
        "Select yes if you have any interest in this application or the organisation"
    ]
    assert_accessible(page)
    interest = page.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    )
    interest.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save declaration").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Score this application")
    assert_accessible(page)
    page.get_by_role("group", name="Score for 'Need', from 0 to 5").get_by_label("5").check()
    page.get_by_label("Why did you give this score for 'Need'?").fill("Highest rates in the city")
    page.get_by_role("group", name="Score for 'Delivery', from 0 to 5").get_by_label("4").check()
    page.get_by_role("button", name="Submit scores").click()
    assert assert_error_links_reach_fields(page) == [
        "Give the reasons for your score for 'Delivery'"
    ]
    assert_accessible(page)
    page.get_by_label("Why did you give this score for 'Delivery'?").fill("Coaches in place")
    page.get_by_role("button", name="Submit scores").click()
    expect(page).to_have_url(re.compile(rf"{application_url}$"))
    # 12 x 5 + 8 x 4
    expect(page.get_by_text("92%", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Moderation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation")
    # The colleague gave need 1, this assessor 5: four points apart.
    expect(page.get_by_text("1 of 2 applications needs moderation.")).to_be_visible()
    expect(page.locator(".govuk-tag", has_text="Needs moderation")).to_have_count(1)
    assert_accessible(page)

    page.goto(f"/staff/rounds/{case['round']}/ranking")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ranked list")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Knife crime talks")  # 80%
    expect(table.locator("#funding-line")).to_contain_text("Funding line")
    assert_accessible(page)

    officer = new_page()
    sign_in_as_staff(officer, *case["officer"])
    officer.goto(application_url)
    officer.get_by_role("link", name="Make a recommendation").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Declare your interests")
    officer.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    officer.get_by_role("button", name="Save declaration").click()

    expect(officer.get_by_role("heading", level=1)).to_have_text("Recommendation")
    assert_accessible(officer)
    officer.get_by_role("button", name="Make recommendation").click()
    assert assert_error_links_reach_fields(officer) == [
        "Select whether you recommend approval or rejection",
        "Enter the reasons for your recommendation",
    ]
    assert_accessible(officer)
    officer.get_by_role("group", name="What do you recommend?").get_by_label("Approve").check()
    officer.get_by_label("If you recommend approval, the amount to award, in pounds").fill("7,500")
    officer.get_by_label("Reasons for your recommendation").fill("Strong need and a sound plan")
    officer.get_by_role("button", name="Make recommendation").click()
    expect(officer).to_have_url(re.compile(rf"{application_url}$"))
    expect(officer.get_by_text("Approve: £7,500.00, recommended by")).to_be_visible()
    assert_accessible(officer)

    officer.get_by_role("link", name="Record due-diligence checks").click()
    checks = officer.get_by_role("group", name="Latest accounts filed")
    checks.get_by_label("Failed").check()
    officer.get_by_role("button", name="Save checks").click()
    assert assert_error_links_reach_fields(officer) == [
        "Say why 'Latest accounts filed' was not passed"
    ]
    assert_accessible(officer)
    officer.get_by_label("Note on 'Latest accounts filed'").fill("Accounts for 2024 overdue")
    officer.get_by_role("button", name="Save checks").click()
    expect(officer.get_by_text("0 of 5 passed, 1 failed")).to_be_visible()


def test_register_of_interests(app: Flask, page: Page) -> None:
    case = assessment_case(app)
    sign_in_as_staff(page, *case["assessor"])
    page.goto("/staff/interests")
    assert_accessible(page)
    page.get_by_role("button", name="Add to the register").click()
    assert assert_error_links_reach_fields(page) == [
        "Select the organisation",
        "Describe your interest",
    ]
    assert_accessible(page)
    page.get_by_label("Organisation").select_option(label="Boxing after school group")
    page.get_by_label("What is your interest?").fill("Trustee since 2021")
    page.get_by_role("button", name="Add to the register").click()
    expect(page.get_by_role("row", name=re.compile("Trustee since 2021"))).to_be_visible()
    assert_accessible(page)

    # The register now conflicts the assessor out of that organisation's application.
    page.goto(f"/staff/applications/{case['application']}/score")
    expect(page.get_by_text("You have a conflict of interest in this application")).to_be_visible()
    assert_accessible(page)

    page.goto("/staff/interests")
    page.get_by_role("button", name="End your interest in Boxing after school group").click()
    expect(page.get_by_role("button", name=re.compile("^End"))).to_have_count(0)
    assert_accessible(page)
