"""An administrator creates a staff user; the new person sets up their account from the email."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect

from grants.models import StaffRole
from grants.security import totp
from tests.browser.conftest import NewPage
from tests.browser.support import (
    assert_accessible,
    assert_error_links_reach_fields,
    emailed_link_path,
)
from tests.browser.test_staff_sign_in import create_staff, sign_in_with_password

pytestmark = pytest.mark.browser

NEW_EMAIL = "new.assessor@opcc.example.org"
NEW_PASSWORD = "kettle lantern orchard meadow"


def test_new_staff_member_sets_up_their_account(app: Flask, new_page: NewPage) -> None:
    admin_email, admin_secret = create_staff(app, StaffRole.ADMINISTRATOR)
    admin = new_page()
    sign_in_with_password(admin, admin_email)
    admin.get_by_label("Security code").fill(totp.current_code(admin_secret))
    admin.get_by_role("button", name="Continue").click()

    admin.get_by_role("navigation").get_by_role("link", name="Staff users").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Staff users")
    assert_accessible(admin)
    admin.get_by_role("button", name="Create a staff user").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Create a staff user")
    assert_accessible(admin)

    admin.get_by_role("button", name="Create user").click()
    assert assert_error_links_reach_fields(admin) == [
        "Enter their full name",
        "Enter their email address",
        "Select a role",
    ]
    assert_accessible(admin)

    admin.get_by_label("Full name").fill("Jo Bloggs")
    admin.get_by_label("Email address").fill(NEW_EMAIL)
    admin.get_by_role("radio", name="Assessor").check()
    admin.get_by_role("button", name="Create user").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Staff users")
    expect(admin.get_by_role("alert", name="Success")).to_contain_text(NEW_EMAIL)
    expect(admin.get_by_role("row", name=re.compile("Jo Bloggs"))).to_contain_text("Assessor")
    assert_accessible(admin)

    # The new staff member, in their own browser, follows the emailed link.
    person = new_page()
    person.goto(emailed_link_path(app, NEW_EMAIL, "/account/setup/"))
    expect(person.get_by_role("heading", level=1)).to_have_text("Set up your staff account")
    secret = person.locator("#totp-secret").inner_text().strip()
    person.get_by_text("My app asks for a link instead").click()
    assert_accessible(person)  # with the details open: the link is shown as text, not markup
    expect(person.get_by_text(re.compile(r"^otpauth://"))).to_be_visible()

    person.get_by_label("Choose a password").fill(NEW_PASSWORD)
    person.get_by_label("Security code").fill(totp.current_code(secret))
    person.get_by_role("button", name="Finish setting up").click()
    expect(person.get_by_role("heading", level=1)).to_have_text("Assessment dashboard")
    assert_accessible(person)
