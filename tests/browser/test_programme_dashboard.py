"""The programme dashboard in a real browser: charts with their tables, another year, an empty
year and a refused year all pass axe-core, on a desktop and on a phone-sized screen."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.models import User
from grants.services import programme_dashboard
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.integration.test_programme_dashboard import build_world

pytestmark = pytest.mark.browser


def test_the_dashboard_is_accessible_in_every_state(app: Flask, page: Page, monkeypatch) -> None:
    monkeypatch.setattr(programme_dashboard, "london_today", lambda now=None: dt.date(2026, 1, 15))
    world = build_world(app)
    with app.app_context():
        user = db.session.get(User, world.staff["commissioning_officer"])
        email, secret = user.email, user.totp_secret
    sign_in_as_staff(page, email, secret)
    page.goto(f"/staff/programmes/{world.programme_id}")
    page.get_by_role("link", name="Programme dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard: 2025/26")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Financial year").select_option(label="2026/27")
    page.get_by_role("button", name="Show this year").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard: 2026/27")
    assert_accessible(page)
    page.goto(f"/staff/programmes/{world.programme_id}/dashboard?year=2031")
    assert_accessible(page)
    page.goto(f"/staff/programmes/{world.programme_id}/dashboard?year=abc")
    assert assert_error_links_reach_fields(page) == ["Select a financial year from the list"]
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/staff/programmes/{world.programme_id}/dashboard?year=2025")
    assert_accessible(page)
