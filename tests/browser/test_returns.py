"""A funded group finds its overdue monitoring return, saves a draft (after a mistake), adds
evidence, submits it, sees the confirmation, and fixes it when the commissioning team sends it
back; every page, error states included, passes axe."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import MonitoringReturn, StaffRole
from grants.services.returns import london_today
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import PASSWORD, make_staff
from tests.integration.test_returns import funded_organisation
from workflows.engine import fire

pytestmark = pytest.mark.browser

EMAIL = "treasurer@saffron.example.org"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_fill_in_save_and_submit_an_overdue_return(app: Flask, page: Page, tmp_path) -> None:
    with app.app_context():
        world = funded_organisation(email=EMAIL, due_date=london_today() - dt.timedelta(days=1))
        organisation_id, return_id = world["organisation_id"], world["return_id"]
    sign_in(page)

    page.goto(f"/organisations/{organisation_id}/returns")
    expect(page.get_by_role("heading", name="Monitoring returns")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="PF-AWD-0001")
    expect(row.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(row.get_by_text("To do", exact=True)).to_be_visible()
    assert_accessible(page)

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Monitoring return", exact=True)).to_be_visible()
    expect(page.get_by_text("Overdue", exact=True)).to_be_visible()
    assert_accessible(page)

    # A mistake first: the page says what is wrong, keeps what was typed, and saves nothing.
    page.get_by_label("Spent to date on Coaches (2026/27)").fill("about 4000")
    page.get_by_label("Young people attend ten sessions").fill("12")
    page.get_by_role("button", name="Save as draft").click()
    assert assert_error_links_reach_fields(page) == [
        "Enter spend to date on Coaches (2026/27) in pounds and pence, like 1250 or 1,250.50"
    ]
    expect(page.get_by_label("Young people attend ten sessions")).to_have_value("12")
    assert_accessible(page)

    page.get_by_label("Spent to date on Coaches (2026/27)").fill("4,000")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Your return has been saved as a draft")).to_be_visible()
    expect(page.get_by_label("Spent to date on Coaches (2026/27)")).to_have_value("4000")
    assert_accessible(page)

    # Continuing without a narrative reaches the check page; submitting there is refused.
    page.get_by_role("button", name="Continue to check and submit").click()
    expect(
        page.get_by_role("heading", name="Check your return before you submit it")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit return").click()
    assert assert_error_links_reach_fields(page) == ["Tell us how the project is going"]
    assert_accessible(page)

    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_role("heading", name="Add evidence to your return")).to_be_visible()
    assert_accessible(page)
    register = tmp_path / "Register May.pdf"
    register.write_bytes(PDF)
    page.get_by_label("Upload a file").set_input_files(str(register))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("link", name="Register May.pdf")).to_be_visible()

    page.get_by_role("link", name="Change how the project is going").click()
    page.get_by_label("How is the project going?").fill("Twelve young people came every week.")
    page.get_by_role("button", name="Continue to check and submit").click()
    expect(page.get_by_text("Twelve young people came every week.")).to_be_visible()
    page.get_by_role("button", name="Submit return").click()

    expect(page.get_by_role("heading", name="Return submitted")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="See all your returns").click()
    row = page.get_by_role("row").filter(has_text="PF-AWD-0001")
    expect(row.get_by_text("Submitted", exact=True)).to_be_visible()
    expect(row.get_by_text("Overdue", exact=True)).to_have_count(0)
    assert_accessible(page)

    page.goto(f"/returns/{return_id}")
    expect(page.get_by_label("How is the project going?")).to_have_count(0)
    expect(page.get_by_text("Twelve young people came every week.")).to_be_visible()
    assert_accessible(page)

    # The commissioning team sends it back: the comments are shown and it can be sent again.
    with app.app_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        fire(
            officer,
            db.session.get(MonitoringReturn, return_id),
            "send_back",
            reason="Add what was spent on venue hire.",
        )
        db.session.commit()
    page.goto(f"/returns/{return_id}")
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Add what was spent on venue hire.")
    assert_accessible(page)
    page.get_by_label("Spent to date on Venue hire (2026/27)").fill("1,500")
    page.get_by_role("button", name="Continue to check and submit").click()
    page.get_by_role("button", name="Submit return").click()
    expect(page.get_by_role("heading", name="Return submitted")).to_be_visible()
