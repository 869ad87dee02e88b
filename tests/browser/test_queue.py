"""An officer works through a round's queue in the browser: filters it, moves between pages,
and assigns an assessor to the ticked applications; mistakes show in an accessible error
summary. Every page visited, error states included, has no axe violations."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import User
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.integration.test_queue import Queue, add_many, build_queue

pytestmark = pytest.mark.browser


def sign_in(app: Flask, page: Page, queue: Queue, who: str) -> None:
    with app.app_context():
        user = db.session.get(User, queue.staff[who])
        email, secret = user.email, user.totp_secret
    sign_in_as_staff(page, email, secret)


def shown_references(page: Page) -> list[str]:
    return page.locator("tbody a.govuk-link").all_inner_texts()


def test_an_officer_filters_the_queue_and_assigns_an_assessor(app: Flask, page: Page) -> None:
    queue = build_queue(app)
    sign_in(app, page, queue, "officer")
    page.goto(f"/staff/programmes/{queue.programme_id}")
    page.get_by_role("link", name="Applications to Round 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Applications to Round 1")
    assert len(shown_references(page)) == 8
    assert_accessible(page)

    page.get_by_label("Priority").select_option(label="Anti-social behaviour")
    page.get_by_label("Amount requested").select_option(label="£5,000 or less")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"priority=asb&.*band=up-to-5000"))
    assert sorted(shown_references(page)) == ["PF-2627-0001", "PF-2627-0008"]
    expect(page.get_by_text("All: 2")).to_be_visible()
    assert_accessible(page)

    # Nothing ticked and no assessor chosen.
    page.get_by_role("button", name="Assign selected").click()
    assert assert_error_links_reach_fields(page) == [
        "Select the applications to assign",
        "Choose an assessor to assign",
    ]
    assert_accessible(page)
    expect(page).to_have_title(re.compile(r"^Error: "))

    page.get_by_label("Select PF-2627-0001").check()
    page.get_by_label("Assessor to assign").select_option(label="Bea Assessor")
    page.get_by_role("button", name="Assign selected").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Bea Assessor assigned to 1 application")
    # Still filtered the same way, now with the assessor on the row.
    expect(page).to_have_url(re.compile(r"priority=asb&.*band=up-to-5000"))
    row = page.locator("tbody tr", has_text="PF-2627-0001")
    expect(row).to_contain_text("Bea Assessor")
    assert_accessible(page)


def test_a_filter_value_not_offered_shows_the_error_summary(app: Flask, page: Page) -> None:
    queue = build_queue(app)
    sign_in(app, page, queue, "alex")
    page.goto(f"{queue.url}?status=draft&band=lots")
    assert assert_error_links_reach_fields(page) == [
        "Choose a status from the list",
        "Choose an amount from the list",
    ]
    expect(page.get_by_text("Correct the filters to see the applications.")).to_be_visible()
    assert_accessible(page)


def test_paging_and_filtering_work_without_javascript(app: Flask, new_page) -> None:
    queue = build_queue(app)
    add_many(app, queue, 60)
    page = new_page(javascript=False)
    sign_in(app, page, queue, "decider")
    page.goto(queue.url)
    expect(page.locator("#results-summary")).to_have_text("Showing 1 to 50 of 68 applications")
    assert page.get_by_role("button", name="Assign selected").count() == 0  # officers only
    assert_accessible(page)

    page.get_by_role("navigation", name="Pages of applications").get_by_role(
        "link", name="Next"
    ).click()
    expect(page.locator("#results-summary")).to_have_text("Showing 51 to 68 of 68 applications")
    assert_accessible(page)

    page.get_by_label("Organisation or reference").fill("rutland")
    page.get_by_label("Sort by").select_option(label="Reference (first to last)")
    page.get_by_role("button", name="Apply filters").click()
    assert shown_references(page) == ["PF-2627-0002"]
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("#results-summary")).to_have_text("Showing 1 to 50 of 68 applications")
    assert_accessible(page)
