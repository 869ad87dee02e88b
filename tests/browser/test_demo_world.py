"""The pages people see most, filled with the demo world's data, are accessible too.

The journeys in the other modules run on an empty database; tables, status tags and
application pages only appear with data, so this loads the demo world and walks through them.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from grants.demo import load_demo
from grants.extensions import db
from grants.models import (
    Application,
    Membership,
    StaffRole,
    User,
    Variation,
    VariationStatus,
)
from grants.security import totp
from grants.security.passwords import hash_password
from tests.browser.conftest import NewPage
from tests.browser.support import assert_accessible
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def load_world(app: Flask) -> dict[str, tuple[str, str | None]]:
    """Load the demo; give a few of its people a known password. Email and TOTP secret by key."""
    with app.app_context():
        load_demo()
        member = db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Application, Application.organisation_id == Membership.organisation_id)
            .where(User.staff_role.is_(None))
            .order_by(User.id)
            .limit(1)
        )
        assert member is not None, "the demo world has no organisation with an application"
        people = {"member": member}
        for role in (StaffRole.COMMISSIONING_OFFICER, StaffRole.ADMINISTRATOR):
            staff = db.session.scalar(
                select(User).where(User.staff_role == role).order_by(User.id).limit(1)
            )
            assert staff is not None, f"the demo world has no {role.label}"
            people[role.value] = staff
        for user in people.values():
            user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        return {key: (user.email, user.totp_secret) for key, user in people.items()}


def sign_in(page: Page, email: str, secret: str | None) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        page.get_by_label("Security code").fill(totp.current_code(secret))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_first_link_in_table(page: Page) -> None:
    link = page.get_by_role("main").locator("table a").first
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert_accessible(page)


def test_demo_world_pages_are_accessible(app: Flask, new_page: NewPage) -> None:
    people = load_world(app)

    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Funding open now")).to_be_visible()
    assert_accessible(page)

    # A community member: their organisation's dashboard lists its applications.
    member = new_page()
    sign_in(member, *people["member"])
    member.wait_for_load_state()
    if member.get_by_role("heading", level=1, name="Your organisations").count():
        assert_accessible(member)  # a member of several organisations chooses one
        member.get_by_role("main").get_by_role("link").first.click()
    expect(member).to_have_url(re.compile(r"/organisations/\d+$"))
    assert_accessible(member)
    open_first_link_in_table(member)  # an application's summary

    # A commissioning officer: dashboard, programmes, a programme, an application.
    officer = new_page()
    sign_in(officer, *people[StaffRole.COMMISSIONING_OFFICER.value])
    expect(officer.get_by_role("heading", level=1)).to_have_text("Commissioning dashboard")
    assert_accessible(officer)
    officer.get_by_role("navigation").get_by_role("link", name="Programmes").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Programmes")
    assert_accessible(officer)
    open_first_link_in_table(officer)  # a programme
    officer.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    open_first_link_in_table(officer)  # an application, with the buttons that move it on

    # Running awards: the list, an award with its ratings, a change asked for; returns to
    # review; payments to approve and the payment run; a programme's dashboard.
    for work in ("Awards", "Monitoring returns", "Payments", "Payment run"):
        officer.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
        officer.get_by_role("main").get_by_role("link", name=work, exact=True).click()
        expect(officer.get_by_role("heading", level=1)).to_have_count(1)
        assert_accessible(officer)
        if work != "Payment run":
            open_first_link_in_table(officer)
    officer.goto("/staff/awards?status=active")
    open_first_link_in_table(officer)
    expect(officer.get_by_role("heading", name="Ratings")).to_be_visible()
    with app.app_context():
        waiting = db.session.scalar(
            select(Variation.id).where(Variation.status == VariationStatus.REQUESTED).limit(1)
        )
    officer.goto(f"/staff/variations/{waiting}")
    expect(officer.get_by_role("button", name="Record the decision")).to_be_visible()
    assert_accessible(officer)
    officer.goto("/staff/programmes")
    open_first_link_in_table(officer)
    officer.get_by_role("link", name="Programme dashboard").click()
    expect(officer.locator("svg[role=img]").first).to_be_visible()
    assert_accessible(officer)

    # An administrator: the staff users list.
    admin = new_page()
    sign_in(admin, *people[StaffRole.ADMINISTRATOR.value])
    assert_accessible(admin)
    admin.get_by_role("navigation").get_by_role("link", name="Staff users").click()
    expect(admin.get_by_role("heading", level=1)).to_have_count(1)
    assert_accessible(admin)
