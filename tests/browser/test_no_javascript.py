"""With JavaScript turned off, people can still register, sign in and sign out."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.support import (
    assert_accessible,
    assert_error_links_reach_fields,
    emailed_sign_in_path,
)

pytestmark = pytest.mark.browser

EMAIL = "coordinator@oadby-food-bank.example.org"
PASSPHRASE = "tea urn village hall rota"


@pytest.fixture
def no_js_page(new_page: NewPage) -> Page:
    return new_page(javascript=False)


def test_register_sign_in_and_out_without_javascript(app: Flask, no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/register")
    # GOV.UK Frontend's scripts did not run: no enhancement classes on the body.
    expect(page.locator("body")).not_to_have_class(re.compile("js-enabled"))
    assert_accessible(page)

    # The error state first: the summary is there without the script that focuses it.
    page.get_by_role("button", name="Create account").click()
    assert "Enter your full name" in assert_error_links_reach_fields(page)
    assert_accessible(page)

    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Organisation name").fill("Oadby Food Bank")
    page.get_by_role("radio", name="Unincorporated community group or club").check()
    page.get_by_label("Password (optional)").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    page.goto(emailed_sign_in_path(app, EMAIL))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oadby Food Bank")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert_accessible(page)

    # And back in with the password chosen at registration.
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_role("link", name="Sign in with a password instead").click()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oadby Food Bank")
