"""The office as bidder, in a real browser: the officer records the Home Office's award per
proposal and year, issues a partner award from an intervention (an amount over the
intervention's budget is refused first), drafts the quarter's return from the partners'
figures, has it reviewed, signed off by the decision maker and submitted, and downloads it as a
spreadsheet. And from nothing: the officer writes a bid with a proposal and an intervention on
the pages, the decision maker approves and submits it, the award and a partner award follow,
the funder lowers its cap and the decision maker approves the reductions it proposes. Every
page visited, error states included, has no axe violations."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year
from grants.models import StaffRole
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import make_organisation, make_staff
from tests.integration.test_bids import a_bid

pytestmark = pytest.mark.browser


def submitted_bid(app: Flask) -> dict:
    with app.test_request_context():
        world = a_bid(status="submitted")
        reviewer = make_staff(StaffRole.COMMISSIONING_OFFICER, "rita@opcc.example.org")
        db.session.commit()
        people = {
            key: (user.email, user.totp_secret)
            for key, user in (
                ("officer", world["officer"]),
                ("reviewer", reviewer),
                ("decider", world["decider"]),
            )
        }
        return {"bid": world["bid"].id, "people": people}


def test_bid_outcome_partner_award_and_roll_up(app: Flask, page: Page, new_page) -> None:
    case = submitted_bid(app)
    bid_url = f"/staff/bids/{case['bid']}"
    sign_in_as_staff(page, *case["people"]["officer"])
    page.goto("/staff/bids")
    assert_accessible(page)
    page.get_by_role("link", name="Safer Streets 5").click()
    assert_accessible(page)

    # The funder's award, per proposal and year: a missing amount is an error first.
    page.get_by_role("link", name="Record the funder's award").click()
    assert_accessible(page)
    page.get_by_label("ASB in Melton: 2024/25, in pounds").fill("2000")
    page.get_by_role("button", name="Record the award").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter the amount for ASB in Melton: 2023/24, in pounds"
    ]
    assert_accessible(page)
    page.get_by_label("ASB in Melton: 2023/24, in pounds").fill("1000")
    page.get_by_role("button", name="Record the award").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("award is recorded")
    assert_accessible(page)

    # A partner award beyond the intervention's budget for the year is refused.
    page.get_by_role("link", name="Issue a partner award for Target hardening").click()
    assert_accessible(page)
    page.get_by_label("Amount in 2023/24, in pounds").fill("1,000.01")
    page.get_by_role("button", name="Offer the partner award").click()
    messages = assert_error_links_reach_fields(page)
    assert len(messages) == 1 and "budget for 2023/24" in messages[0]
    assert_accessible(page)
    page.get_by_label("Amount in 2023/24, in pounds").fill("1,000")
    page.get_by_role("button", name="Offer the partner award").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Partner award")
    assert_accessible(page)

    # The roll-up for October to December 2023.
    page.get_by_label("Financial year of the return").select_option("2023")
    page.get_by_label("October to December").check()
    page.get_by_role("button", name="Draft the return from the partners' figures").click()
    expect(page).to_have_url(re.compile(r"/staff/bids/returns/\d+$"))
    assert_accessible(page)
    return_url = page.url
    page.get_by_role("button", name="Mark the return as reviewed").click()
    assert assert_error_links_reach_fields(page) == [
        "Write the narrative for the funder before the return is reviewed"
    ]
    assert_accessible(page)
    page.get_by_label("Narrative for the funder").fill("Target hardening has started in Melton.")
    page.get_by_role("button", name="Save the narrative and risks").click()
    assert_accessible(page)

    reviewer = new_page()
    sign_in_as_staff(reviewer, *case["people"]["reviewer"])
    reviewer.goto(return_url)
    reviewer.get_by_role("button", name="Mark the return as reviewed").click()
    expect(reviewer.locator(".govuk-notification-banner")).to_contain_text("reviewed")
    assert_accessible(reviewer)

    decider = new_page()
    sign_in_as_staff(decider, *case["people"]["decider"])
    decider.goto(return_url)
    assert_accessible(decider)
    decider.get_by_role("button", name="Sign off the return").click()
    expect(decider.locator(".govuk-notification-banner")).to_contain_text("signed off")
    assert_accessible(decider)

    page.goto(return_url)
    page.get_by_label("The funder's reference (optional)").fill("SSF5-Q3")
    page.get_by_role("button", name="Record the return as submitted to the funder").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("submitted")
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the return as a spreadsheet (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "funder-return-2023-q3.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    assert book["Spend"].cell(4, 2).value == "Target hardening"
    page.goto(bid_url)
    expect(page.get_by_role("link", name="Quarter 3 of 2023/24 (submitted)")).to_be_visible()
    assert_accessible(page)


def office(app: Flask) -> dict:
    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
        decider = make_staff(StaffRole.DECISION_MAKER, "dee@opcc.example.org")
        make_organisation("Oadby and Wigston Community Safety Partnership")
        db.session.commit()
        return {
            "officer": (officer.email, officer.totp_secret),
            "decider": (decider.email, decider.totp_secret),
        }


def test_write_a_bid_then_decide_a_funder_variation(app: Flask, page: Page, new_page) -> None:
    people = office(app)
    year = financial_year(financial_year_of(london_today()))
    sign_in_as_staff(page, *people["officer"])
    page.goto("/staff/bids")
    assert_accessible(page)

    # The bid: a missing name is an error first.
    page.get_by_role("button", name="Write a new bid").click()
    assert_accessible(page)
    page.get_by_label("Funder").fill("Home Office")
    page.get_by_label("First financial year").select_option(label=year)
    page.get_by_label("Last financial year").select_option(label=year)
    page.get_by_role("button", name="Save the draft bid").click()
    assert assert_error_links_reach_fields(page) == ["Enter the name of the bid"]
    assert_accessible(page)
    page.get_by_label("Name of the bid").fill("Safer Streets 6")
    page.get_by_role("button", name="Save the draft bid").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The bid is drafted")
    expect(page.get_by_role("heading", level=1)).to_have_text("Safer Streets 6")
    assert_accessible(page)
    bid_url = page.url

    # A proposal, then an intervention: a target that is not a number is an error first.
    page.get_by_role("link", name="Add a proposal").click()
    assert_accessible(page)
    page.get_by_label("Title of the proposal").fill("Neighbourhood crime in Oadby")
    page.get_by_role("button", name="Add the proposal").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("now add its interventions")
    assert_accessible(page)
    page.get_by_role("link", name="Add an intervention to Neighbourhood crime in Oadby").click()
    assert_accessible(page)
    page.get_by_label("Title of the intervention").fill("Target hardening")
    page.get_by_label("Delivery partner").select_option(
        label="Oadby and Wigston Community Safety Partnership"
    )
    page.get_by_label(f"Budget in {year}, in pounds").fill("10,000.50")
    page.get_by_label("What will be delivered (output 1)").fill("Homes target-hardened")
    page.get_by_label("Target for output 1").fill("lots")
    page.get_by_role("button", name="Add the intervention").click()
    assert assert_error_links_reach_fields(page) == [
        "The target for output 1 must be a whole number, like 1200"
    ]
    assert_accessible(page)
    page.get_by_label("Target for output 1").fill("400")
    page.get_by_role("button", name="Add the intervention").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Target hardening added")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("£10,000.50")
    assert_accessible(page)

    # The decision maker approves and submits it; the officer records the Home Office's award
    # and offers the partner its award.
    decider = new_page()
    sign_in_as_staff(decider, *people["decider"])
    decider.goto(bid_url)
    assert_accessible(decider)
    decider.get_by_role("button", name="Approve and submit the bid").click()
    expect(decider.locator(".govuk-notification-banner")).to_contain_text("submitted")
    assert_accessible(decider)
    page.goto(bid_url)
    page.get_by_role("link", name="Record the funder's award").click()
    page.get_by_label(f"Neighbourhood crime in Oadby: {year}, in pounds").fill("10000.50")
    page.get_by_role("button", name="Record the award").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("award is recorded")
    assert_accessible(page)
    page.get_by_role("link", name="Issue a partner award for Target hardening").click()
    page.get_by_label(f"Amount in {year}, in pounds").fill("10,000.50")
    page.get_by_role("button", name="Offer the partner award").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Partner award")
    assert_accessible(page)

    # The Home Office lowers its cap: the reduction waits for the decision maker.
    page.get_by_role("link", name="Record a change made by the funder").click()
    assert_accessible(page)
    page.get_by_label("Proposal").select_option(label="Neighbourhood crime in Oadby")
    page.get_by_label("Financial year").select_option(label=year)
    page.get_by_label("New cap for the year, in pounds").fill("8,000")
    page.get_by_label("What the funder changed and why").fill("Home Office letter: cap lowered")
    page.get_by_role("button", name="Record the change").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("wait for approval")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("£8,000.00")
    assert_accessible(page)

    decider.goto(bid_url)
    decider.get_by_role("link", name=re.compile(r"cap lowered to £8,000.00 \(proposed\)")).click()
    assert_accessible(decider)
    decider.get_by_label("Reasons").fill("Agreed with the partnership")
    decider.get_by_role("button", name="Record the decision").click()
    assert assert_error_links_reach_fields(decider) == [
        "Choose whether to approve or reject the reductions"
    ]
    assert_accessible(decider)
    decider.get_by_label("Approve the reductions").check()
    decider.get_by_role("button", name="Record the decision").click()
    expect(decider.locator(".govuk-notification-banner")).to_contain_text(
        "The reductions are approved"
    )
    expect(
        decider.get_by_role("link", name=re.compile(r"cap lowered to £8,000.00 \(approved\)"))
    ).to_be_visible()
    assert_accessible(decider)
    decider.get_by_role("link", name=re.compile(r"\(offered, £8,000.00\)")).click()
    assert_accessible(decider)
