"""Award history in a real browser: finance reads an award's timeline, builds its dossier and
waits for the download, reads a programme's history as at 31 March and refuses a half-given
date; every page, the error state included, passes axe-core."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import User
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.integration.test_history import build_world

pytestmark = pytest.mark.browser


def test_finance_reads_the_history_and_builds_the_dossier(app: Flask, page: Page) -> None:
    with app.app_context():
        world = build_world()
        user = db.session.get(User, world["staff"]["finance"])
        email, secret = user.email, user.totp_secret
    sign_in_as_staff(page, email, secret)

    page.goto(f"/finance/awards/{world['award']}/history")
    expect(page.get_by_role("heading", level=1)).to_have_text("History of PF-24-0001-A")
    expect(page.locator("#timeline tbody tr").first).to_contain_text("Application started")
    page.locator("#timeline details summary").first.click()
    assert_accessible(page)

    page.get_by_role("button", name="Build the dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Award dossier for PF-24-0001-A")
    # Without Redis the task has run by the time the page is shown.
    expect(page.locator("#download")).to_be_visible(timeout=15_000)
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator("#download").click()
    assert download.value.suggested_filename == "dossier-PF-24-0001-A.zip"


def test_finance_reads_a_programme_as_at_a_date(app: Flask, page: Page) -> None:
    with app.app_context():
        world = build_world()
        user = db.session.get(User, world["staff"]["finance"])
        email, secret = user.email, user.totp_secret
    sign_in_as_staff(page, email, secret)

    page.goto(f"/finance/programmes/{world['programme']}/history")
    assert_accessible(page)
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Show as at this date").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("as at 31 March 2025")
    expect(page.locator("#as-at-summary")).to_contain_text("£6,000.00")
    assert_accessible(page)

    page.get_by_role("link", name="Committed and paid as at a date, award by award").click()
    expect(page.locator("#awards")).to_contain_text("PF-24-0001-A")
    assert_accessible(page)

    page.get_by_label("Month").fill("")
    page.get_by_role("button", name="Show the figures").click()
    assert assert_error_links_reach_fields(page) == ["As at must include a month"]
    assert_accessible(page)

    page.goto(f"/finance/organisations/{world['saffron']}/history")
    assert_accessible(page)
