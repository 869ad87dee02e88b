"""Staff sign in with a password and then a code from their authenticator app."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.models import StaffRole, User
from grants.security import totp
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.browser

DASHBOARD_HEADINGS = {
    StaffRole.COMMISSIONING_OFFICER: "Commissioning dashboard",
    StaffRole.ASSESSOR: "Assessment dashboard",
    StaffRole.DECISION_MAKER: "Decisions dashboard",
    StaffRole.FINANCE: "Finance dashboard",
    StaffRole.ADMINISTRATOR: "Administration dashboard",
}


def create_staff(app: Flask, role: StaffRole) -> tuple[str, str]:
    """A staff user's email and authenticator secret."""
    with app.app_context():
        user: User = make_staff(role)
        assert user.totp_secret is not None
        return user.email, user.totp_secret


def wrong_code(secret: str) -> str:
    """Six digits that are not the code for this moment, nor for the steps either side."""
    now = time.time()
    valid = {totp.current_code(secret, now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(code for code in (f"{d}" * 6 for d in range(10)) if code not in valid)


def sign_in_with_password(page: Page, email: str) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", list(StaffRole), ids=lambda role: role.value)
def test_staff_member_reaches_their_role_dashboard(app: Flask, page: Page, role: StaffRole) -> None:
    email, secret = create_staff(app, role)
    sign_in_with_password(page, email)

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    assert_accessible(page)
    page.get_by_label("Security code").fill(totp.current_code(secret))
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DASHBOARD_HEADINGS[role])
    navigation = page.get_by_role("navigation")
    expect(navigation.get_by_role("link", name="Programmes")).to_be_visible()
    expect(navigation.get_by_role("link", name="Staff users")).to_have_count(
        1 if role is StaffRole.ADMINISTRATOR else 0
    )
    assert_accessible(page)


def test_wrong_code_shows_an_error_and_the_right_one_still_works(app: Flask, page: Page) -> None:
    email, secret = create_staff(app, StaffRole.ASSESSOR)
    sign_in_with_password(page, email)

    page.get_by_label("Security code").fill(wrong_code(secret))
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_title(re.compile(r"^Error: Enter your security code"))
    assert assert_error_links_reach_fields(page) == [
        "Enter the current 6-digit code from your authenticator app"
    ]
    expect(page.get_by_label("Security code")).to_have_attribute(
        "aria-describedby", re.compile("code-error")
    )
    assert_accessible(page)
    # Not signed in yet: the dashboard still sends them to sign in.
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(/|%2F)dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.goto("/sign-in/code")
    page.get_by_label("Security code").fill(totp.current_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment dashboard")


def test_wrong_password_is_refused_accessibly(app: Flask, page: Page) -> None:
    email, _ = create_staff(app, StaffRole.FINANCE)
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()

    assert assert_error_links_reach_fields(page) == ["Enter a correct email address and password"]
    expect(page.get_by_label("Email address")).to_have_value(email)
    assert_accessible(page)
    # The code step cannot be reached without the password.
    page.goto("/sign-in/code")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a password")
