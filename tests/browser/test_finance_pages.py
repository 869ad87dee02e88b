"""Finance's ledger and exports in a real browser: the ledger with its tables, filtered and with a
refused filter; the exports page, a small export downloaded, a large one prepared as a task and
its page both while it runs and once it is done. Every page passes axe-core."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import BackgroundTask, TaskStage, User
from grants.services import exports
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.integration.test_fy_ledger import build_world

pytestmark = pytest.mark.browser


def sign_in_as_finance(app: Flask, page: Page) -> int:
    world = build_world(app)
    with app.app_context():
        user = db.session.get(User, world.finance)
        email, secret = user.email, user.totp_secret
    sign_in_as_staff(page, email, secret)
    return world.finance


def test_the_ledger_is_accessible_filtered_and_refused(app: Flask, page: Page) -> None:
    sign_in_as_finance(app, page)
    page.goto("/finance/ledger")
    expect(page.get_by_role("heading", level=1)).to_have_text("Financial-year ledger")
    expect(page.locator("caption", has_text="Prevention Fund")).to_be_visible()
    expect(page.locator("#all-programmes")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Programme").select_option(label="Safer Streets")
    page.get_by_label("Financial year").select_option(label="2025/26")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.locator("caption", has_text="Safer Streets")).to_be_visible()
    expect(page.locator("caption", has_text="Prevention Fund")).to_have_count(0)
    assert_accessible(page)
    page.goto("/finance/ledger?year=1999")
    assert assert_error_links_reach_fields(page) == ["Choose a financial year from the list"]
    assert_accessible(page)


def test_exports_and_a_large_export_as_a_task(app: Flask, page: Page, monkeypatch) -> None:
    finance_id = sign_in_as_finance(app, page)
    page.goto("/finance/exports")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of financial-year ledger").click()
    assert download.value.suggested_filename.startswith("ledger-")

    monkeypatch.setattr(exports, "STREAM_LIMIT", 2)
    page.goto("/finance/exports/awards.xlsx")  # too large now: back to the page, with a banner
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Awards has more than 2")
    assert_accessible(page)
    page.get_by_role("button", name="Prepare XLSX of awards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awards (XLSX)")
    page.reload()  # the task ran after the request that started it
    expect(page.locator("#task-summary")).to_contain_text("Done")
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator("#download").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    with app.app_context():
        running = BackgroundTask(
            kind="export.payments.csv", requested_by_id=finance_id, total=200, done=50
        )
        running.stage = TaskStage.RUNNING
        db.session.add(running)
        db.session.commit()
        running_id = running.id
    page.goto(f"/finance/exports/tasks/{running_id}")
    expect(page.locator("#task-summary")).to_contain_text("50 of 200 rows (25%)")
    assert_accessible(page)
    page.goto("/finance/exports")
    expect(page.locator("#recent-exports")).to_contain_text("Payments (CSV)")
    assert_accessible(page)
