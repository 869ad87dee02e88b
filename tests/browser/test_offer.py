"""A club reads its offer, downloads the grant agreement, makes a mistake accepting and then
accepts with a named signatory; every page, the error state included, passes axe."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.jobs.outbox import dispatch_pending
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import PASSWORD
from tests.integration.test_offers import BANK, ORGANISATION, REFERENCE, make_offer

pytestmark = pytest.mark.browser

EMAIL = "coach@saffron.example.org"


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_read_the_offer_download_the_agreement_and_accept(app: Flask, page: Page) -> None:
    with app.test_request_context():
        award_id = make_offer(member_email=EMAIL).award_id
        dispatch_pending()  # the agreement job
    sign_in(page)

    page.goto(f"/awards/{award_id}/offer")
    expect(page.get_by_role("heading", name="Your grant offer")).to_be_visible()
    expect(page.get_by_text(BANK)).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the grant agreement (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"Grant agreement {REFERENCE}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name="Accept the offer")).to_be_visible()
    assert_accessible(page)

    # No name, and the declaration left unticked.
    page.get_by_label("Role in the organisation").fill("Treasurer")
    page.get_by_role("button", name="Accept the offer").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter the full name of the person accepting the offer",
        "Confirm you are authorised to accept this grant and that your organisation agrees "
        "to the terms and conditions",
    ]
    assert_accessible(page)

    page.get_by_label("Full name").fill("Amira Khan")
    page.get_by_label(
        f"I confirm I am authorised to accept this grant on behalf of {ORGANISATION}"
    ).check()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name="Offer accepted")).to_be_visible()
    expect(page.get_by_text("Amira Khan (Treasurer) accepted the grant")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="See the grant, its schedules and the grant agreement").click()
    expect(page.get_by_text("Amira Khan, Treasurer")).to_be_visible()
    expect(page.get_by_role("button", name="Accept the offer")).to_have_count(0)
    assert_accessible(page)
