"""An officer and a decision maker move an application to a decision through its page; a
refused decision shows in an accessible error summary and changes nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.security import totp
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_sign_in import sign_in_with_password
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import APPLICANT, DECISION_MAKER, OFFICER
from workflows.engine import fire

pytestmark = pytest.mark.browser


def submitted_application(app: Flask) -> dict:
    with app.test_request_context():
        world = build_world()
        start_history(world)
        application = world.objects["application"]
        fire(world.actors[APPLICANT], application, "submit")
        db.session.commit()
        people = {
            role: (world.actors[role].email, world.actors[role].totp_secret)
            for role in (OFFICER, DECISION_MAKER)
        }
        return {"id": application.id, "people": people}


def sign_in_as_staff(page: Page, email: str, secret: str) -> None:
    sign_in_with_password(page, email)
    page.get_by_label("Security code").fill(totp.current_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/staff$"))


def test_decision_through_the_page(app: Flask, page: Page, new_page) -> None:
    case = submitted_application(app)
    url = f"/staff/applications/{case['id']}"

    sign_in_as_staff(page, *case["people"][OFFICER])
    page.goto(url)
    assert_accessible(page)
    page.get_by_role("button", name="Start assessment").click()
    expect(page.locator(".govuk-tag").first).to_have_text("In assessment")

    decider = new_page()
    sign_in_as_staff(decider, *case["people"][DECISION_MAKER])
    decider.goto(url)
    decider.get_by_role("button", name="Approve and make the offer").click()
    assert_accessible(decider)
    decider.get_by_label("Amount approved").fill("50,000")
    decider.get_by_role("button", name="Approve and make the offer").click()
    messages = assert_error_links_reach_fields(decider)
    assert messages == ["The amount approved cannot be more than the amount requested"]
    assert_accessible(decider)

    decider.get_by_label("Amount approved").fill("8,000")
    decider.get_by_role("button", name="Approve and make the offer").click()
    expect(decider.locator(".govuk-notification-banner")).to_contain_text("Approved. Offer")
    expect(decider.locator(".govuk-tag").first).to_have_text("Approved")
    assert_accessible(decider)


def test_password_page_is_accessible_in_error(app: Flask, page: Page) -> None:
    case = submitted_application(app)
    sign_in_as_staff(page, *case["people"][OFFICER])
    page.goto("/account/password")
    assert_accessible(page)
    page.get_by_role("button", name="Save password").click()
    assert "Enter a new password" in assert_error_links_reach_fields(page)
    assert_accessible(page)
