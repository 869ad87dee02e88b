"""The decisions register and finance's 360Giving page in a real browser: the register, a
search, a decision, a withheld decision and a refused search pass axe-core; finance checks and
publishes the 360Giving files, and the refusal state is accessible too."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import DecisionRecord, StaffRole
from grants.services import threesixty
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import make_staff
from tests.integration.test_decisions_register import EXEMPTION, SECRET_TITLE, withheld

pytestmark = pytest.mark.browser


def finance_sign_in(app: Flask) -> tuple[str, str]:
    with app.app_context():
        user = make_staff(StaffRole.FINANCE, "ledger@opcc.example.org")
        return user.email, user.totp_secret or ""


def test_the_register_is_public_searchable_and_accessible(app: Flask, page: Page) -> None:
    from grants.demo import load_demo

    with app.app_context():
        load_demo()
        secret = withheld().reference
        decisions = db.session.scalar(select(func.count()).select_from(DecisionRecord))
    page.goto("/decisions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions register")
    expect(page.locator("#results-summary")).to_contain_text(f"of {decisions} decisions")
    expect(page.get_by_text(EXEMPTION)).to_be_visible()
    assert SECRET_TITLE not in page.content()
    assert_accessible(page)

    page.get_by_label("Search decisions").fill("boxing")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results-summary")).to_contain_text("matching “boxing”")
    assert_accessible(page)
    page.get_by_role("link", name="DEC-PZ-2425-0002").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Fight Fit: after-school boxing for young people"
    )
    assert_accessible(page)

    page.goto(f"/decisions/{secret}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision withheld from publication")
    assert_accessible(page)

    page.goto("/decisions?q=" + "x" * 101)
    assert assert_error_links_reach_fields(page) == ["Search must be 100 characters or fewer"]
    assert_accessible(page)
    page.goto("/decisions/360giving.csv")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The 360Giving files have not been published yet"
    )
    assert_accessible(page)


def test_finance_checks_and_publishes_the_360giving_files(app: Flask, page: Page) -> None:
    from grants.demo import load_demo

    with app.app_context():
        load_demo()
        grants = len(threesixty.published_awards())
    sign_in_as_staff(page, *finance_sign_in(app))
    page.goto("/finance/360giving")
    expect(page.get_by_role("heading", level=1)).to_have_text("360Giving")
    expect(page.locator("#check-summary")).to_contain_text("Schema errors")
    assert_accessible(page)
    page.get_by_role("button", name="Publish the 360Giving files").click()
    expect(page.get_by_text("Publishing has started.")).to_be_visible()
    page.goto("/finance/360giving")
    expect(page.locator("#runs")).to_contain_text(f"Published {grants} grants")
    assert_accessible(page)
    page.goto("/decisions")
    expect(page.get_by_role("link", name="360Giving CSV file")).to_be_visible()
    assert_accessible(page)


def test_the_finance_page_shows_why_it_cannot_publish(app: Flask, page: Page) -> None:
    sign_in_as_staff(page, *finance_sign_in(app))
    page.goto("/finance/360giving")
    expect(
        page.get_by_text("The files cannot be published until these are corrected.")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish the 360Giving files").click()
    page.goto("/finance/360giving")
    expect(page.locator("#runs")).to_contain_text("nothing was published")
    assert_accessible(page)
