"""A club's coach claims money already spent on their grant, item by item with receipts, and
asks to change the grant (once without JavaScript). Every page visited, error states
included, passes axe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from grants.extensions import db
from grants.models import Payment, PaymentStatus, Variation
from tests.browser.conftest import NewPage
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import PASSWORD, make_member, make_organisation, open_round
from tests.integration.test_claims import make_award, pdf

pytestmark = pytest.mark.browser

EMAIL = "coach@saffron.example.org"


@pytest.fixture
def award_id(app: Flask) -> int:
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        owner = make_member(organisation, EMAIL)
        return make_award(organisation, owner, open_round()).id


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def add_item(page: Page, tmp_path, description: str, amount: str, label: str) -> None:
    page.get_by_role("button", name=re.compile(r"Add (an|another) item of spend")).click()
    expect(page.get_by_role("heading", name="Add an item of spend")).to_be_visible()
    page.get_by_label("What was the money spent on?").fill(description)
    page.get_by_label("Amount, in pounds").fill(amount)
    receipt = tmp_path / f"{label}.pdf"
    receipt.write_bytes(pdf(label))
    page.get_by_label("Upload the evidence").set_input_files(str(receipt))
    page.get_by_role("button", name="Add item").click()


def test_claim_two_items_with_receipts_and_send_the_claim(
    app: Flask, page: Page, award_id: int, tmp_path
) -> None:
    sign_in(page)
    page.goto(f"/awards/{award_id}")
    expect(page.get_by_role("heading", name="Friday night boxing", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Start a claim").click()
    assert assert_error_links_reach_fields(page) == ["Select the financial year the spend is in"]
    assert_accessible(page)
    page.get_by_label("2026/27: £6,000.00 left to claim").check()
    page.get_by_role("button", name="Start a claim").click()
    expect(page.get_by_role("heading", name="Claim for 2026/27")).to_be_visible()
    assert_accessible(page)

    # An item without its receipt is refused, with the error summary pointing at the upload.
    page.get_by_role("button", name="Add an item of spend").click()
    page.get_by_label("What was the money spent on?").fill("Hall hire, May")
    page.get_by_label("Amount, in pounds").fill("250")
    page.get_by_role("button", name="Add item").click()
    assert assert_error_links_reach_fields(page) == ["Select a file that shows the spend"]
    assert_accessible(page)
    page.get_by_role("link", name="Back to your claim").click()

    add_item(page, tmp_path, "Hall hire, May", "250", "hall")
    add_item(page, tmp_path, "Boxing gloves", "1,234.56", "gloves")
    expect(page.locator("#claim-total")).to_have_text("£1,484.56")
    expect(page.get_by_role("link", name="gloves.pdf")).to_be_visible()
    assert_accessible(page)

    # The same receipt again is refused at once.
    add_item(page, tmp_path, "Gloves again", "10", "gloves")
    assert assert_error_links_reach_fields(page) == [
        "You have already added this file to this claim: each receipt can be claimed once"
    ]
    assert_accessible(page)
    page.get_by_role("link", name="Back to your claim").click()

    page.get_by_role("button", name="Check and send claim").click()
    expect(page.get_by_role("heading", name="Check your claim before sending it")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send claim").click()
    expect(page.get_by_role("heading", name="Claim sent")).to_be_visible()
    expect(page.get_by_text("£1,484.56").first).to_be_visible()
    assert_accessible(page)

    with app.app_context():
        claim = db.session.scalar(select(Payment))
        assert claim.status is PaymentStatus.CLAIMED and claim.amount_pence == 148_456

    page.get_by_role("link", name="Go to your grant").click()
    expect(page.get_by_role("cell", name="Sent", exact=True)).to_be_visible()
    assert_accessible(page)


def test_ask_to_change_the_end_date(app: Flask, page: Page, award_id: int) -> None:
    sign_in(page)
    page.goto(f"/awards/{award_id}")
    page.get_by_role("link", name="Ask to change your grant").first.click()
    expect(page.get_by_role("heading", name="Ask to change your grant")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Continue").click()
    assert assert_error_links_reach_fields(page) == ["Select what you want to change"]
    assert_accessible(page)
    page.get_by_label("Change the end date").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Change the end date")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Send request").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter the new end date",
        "Enter why you need this change",
    ]
    assert_accessible(page)

    page.get_by_label("Day").fill("30")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2027")
    page.get_by_label("Why do you need this change?").fill("The hall closed for six weeks")
    page.get_by_role("button", name="Send request").click()
    assert assert_error_links_reach_fields(page) == ["New end date must be a real date"]
    assert_accessible(page)

    new_end = dt.date.today() + dt.timedelta(days=500)
    page.get_by_label("Day").fill(str(new_end.day))
    page.get_by_label("Month").fill(str(new_end.month))
    page.get_by_label("Year").fill(str(new_end.year))
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Go to your grant").click()
    expect(page.get_by_text("Waiting for a decision")).to_be_visible()
    assert_accessible(page)
    with app.app_context():
        variation = db.session.scalar(select(Variation))
        assert variation.kind == "end_date" and variation.new_end_date == new_end


def test_move_money_between_budget_lines_without_javascript(
    app: Flask, new_page: NewPage, award_id: int
) -> None:
    page = new_page(javascript=False)
    sign_in(page)
    page.goto(f"/awards/{award_id}/variations/new")
    page.get_by_label("Move money between budget lines").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Move money between budget lines")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Move money from").select_option(label="Equipment (2026/27) (£2,000.00)")
    page.get_by_label("Move money to").select_option(label="Venue hire (2026/27) (£4,000.00)")
    page.get_by_label("Amount to move, in pounds").fill("2,500")
    page.get_by_label("Why do you need this change?").fill("The new hall needs less kit")
    page.get_by_role("button", name="Send request").click()
    assert assert_error_links_reach_fields(page) == [
        "You cannot move more than Equipment (2026/27) holds (£2,000.00)"
    ]
    assert_accessible(page)

    page.get_by_label("Amount to move, in pounds").fill("500")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(
        page.get_by_text("Move £500.00 from Equipment (2026/27) to Venue hire (2026/27)")
    ).to_be_visible()
    assert_accessible(page)
