"""Registering a community group through the real form, and the form's error states."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import Organisation, User
from tests.browser.support import (
    assert_accessible,
    assert_error_links_reach_fields,
    emailed_sign_in_path,
)

pytestmark = pytest.mark.browser

EMAIL = "chair@braunstone-youth.example.org"
ORGANISATION = "Braunstone Youth Club"


def fill_registration(page: Page, email: str = EMAIL, organisation: str = ORGANISATION) -> None:
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation name").fill(organisation)
    page.get_by_role("radio", name="Unincorporated community group or club").check()
    page.get_by_label("Password (optional)").fill("a long and memorable passphrase")


def test_community_group_registers_and_signs_in_with_the_emailed_link(
    app: Flask, page: Page
) -> None:
    page.goto("/")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_accessible(page)

    fill_registration(page)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    assert_accessible(page)

    link = emailed_sign_in_path(app, EMAIL)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/organisations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION)
    expect(page.get_by_role("main")).to_contain_text("Unincorporated community group or club")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(page)

    # The link works once: a second use shows the problem, accessibly.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    assert_accessible(page)


def test_empty_registration_shows_linked_errors_and_creates_nothing(app: Flask, page: Page) -> None:
    page.goto("/register")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_title(re.compile(r"^Error: Create an account"))
    messages = assert_error_links_reach_fields(page)
    assert messages == [
        "Enter your full name",
        "Enter your email address",
        "Enter the name of your organisation",
        "Select the type of organisation",
    ], messages
    # Each message also sits by its field, and the fields say they are invalid.
    expect(page.locator(".govuk-error-message")).to_have_count(len(messages))
    expect(page.get_by_label("Full name")).to_have_attribute(
        "aria-describedby", re.compile("error")
    )
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    # Following an error link takes the user to the field it names.
    page.locator(".govuk-error-summary").get_by_role("link", name="Enter your full name").click()
    expect(page.get_by_label("Full name")).to_be_focused()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert app.extensions["mailman"].outbox == []


def test_charity_without_number_is_asked_for_it_and_keeps_what_was_typed(
    app: Flask, page: Page
) -> None:
    page.goto("/register")
    fill_registration(page)
    page.get_by_role("radio", name="Registered charity").check()
    page.get_by_role("button", name="Create account").click()

    assert assert_error_links_reach_fields(page) == ["Enter the registered charity number"]
    expect(page.get_by_label("Organisation name")).to_have_value(ORGANISATION)
    expect(page.get_by_role("radio", name="Registered charity")).to_be_checked()
    # A password is never sent back to the browser.
    expect(page.get_by_label("Password (optional)")).to_have_value("")
    assert_accessible(page)

    page.get_by_label("Registered charity number").fill("1124127")
    page.get_by_label("Password (optional)").fill("a long and memorable passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    with app.app_context():
        organisation = db.session.scalar(select(Organisation))
        assert organisation is not None and organisation.charity_number == "1124127"
