"""Finance's audit pages in a real browser: the audit page, a verify run that finds a tampered
event, a reconcile run that lists a difference, the auditor's export downloaded, and an unknown
run, each passing axe-core."""

from __future__ import annotations

import json
import zipfile

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select, text

from grants.audit.verify import take_checkpoint
from grants.extensions import db
from grants.models import ApplicationStatus, StaffRole, User
from tests.browser.support import assert_accessible
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.ledger_admin import triggers_bypassed
from tests.workflows.worlds import build_world, start_history

pytestmark = pytest.mark.browser

TAMPERED = 3


def broken_ledger(app: Flask) -> tuple[str, str, str]:
    """A signed ledger whose third event was later edited in the database, and an application
    whose status was changed without the engine; returns finance's sign-in and the changed
    application's id."""
    with app.test_request_context():
        world = build_world()
        start_history(world)
        take_checkpoint()
        application = world.objects["application"]
        application.status = ApplicationStatus.APPROVED
        db.session.commit()
        with db.engine.begin() as connection, triggers_bypassed(connection):
            connection.execute(
                text("UPDATE audit_events SET amounts = :a WHERE seq = :s"),
                {"a": json.dumps({"amount_pence": "1"}), "s": TAMPERED},
            )
        finance = db.session.scalar(select(User).where(User.staff_role == StaffRole.FINANCE))
        assert finance is not None
        return finance.email, finance.totp_secret, str(application.id)


def test_finance_runs_the_checks_and_downloads_the_export(app: Flask, page: Page, tmp_path):
    email, secret, application_id = broken_ledger(app)
    sign_in_as_staff(page, email, secret)
    page.goto("/finance/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit the ledger")
    expect(page.locator("#latest-checkpoint")).to_contain_text("Valid")
    assert_accessible(page)

    page.get_by_role("button", name="Verify the ledger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify the ledger")
    expect(page.locator("#result")).to_contain_text(
        f"BROKEN: the first bad event is number {TAMPERED}."
    )
    assert_accessible(page)

    page.get_by_role("link", name="Back to the audit page").click()
    page.get_by_role("button", name="Reconcile the ledger").click()
    expect(page.locator("#differences")).to_contain_text(
        f"application {application_id}: is approved but its history ends at draft"
    )
    assert_accessible(page)

    page.get_by_role("link", name="Back to the audit page").click()
    page.get_by_role("button", name="Build the auditor's export").click()
    expect(page.locator("#result")).to_contain_text("Exported")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download ledger-export-").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".zip"
    with zipfile.ZipFile(saved) as archive:
        assert any(name.endswith("/verify_chain.py") for name in archive.namelist())

    page.get_by_role("link", name="Back to the audit page").click()
    expect(page.locator("#latest-verify")).to_contain_text("Problems found")
    expect(page.locator("#my-exports")).to_contain_text(".zip")
    assert_accessible(page)

    page.goto("/finance/audit/tasks/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)
