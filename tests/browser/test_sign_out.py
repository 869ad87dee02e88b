"""Signing out is a POST from a button in the header, and it ends the session for good."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.support import assert_accessible
from tests.conftest import PASSWORD, make_member, make_organisation

pytestmark = pytest.mark.browser

EMAIL = "secretary@example.org"
SESSION_COOKIE = "grants_session"


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Melton Youth Forum")


def test_sign_out_ends_the_session(app: Flask, page: Page, new_page: NewPage) -> None:
    with app.app_context():
        make_member(make_organisation("Melton Youth Forum"), EMAIL)
    sign_in(page)

    button = page.get_by_role("banner").get_by_role("button", name="Sign out")
    form = button.locator("xpath=ancestor::form")
    expect(form).to_have_attribute("method", "post")
    expect(form.locator("input[name=csrf_token]")).to_have_count(1)
    (session_cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    # The old cookie, replayed from another browser, no longer signs anyone in.
    other = new_page()
    other.context.add_cookies([session_cookie])
    other.goto("/dashboard")
    expect(other).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)dashboard$"))


def test_sign_out_cannot_be_triggered_by_a_link(app: Flask, page: Page) -> None:
    with app.app_context():
        make_member(make_organisation("Melton Youth Forum"), EMAIL)
    sign_in(page)

    response = page.goto("/sign-out")
    assert response is not None and response.status == 405
    assert_accessible(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Melton Youth Forum")
