"""Keyboard only: no mouse, no filling fields directly; Tab, typing and Enter."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.browser.support import assert_accessible
from tests.conftest import PASSWORD, make_member, make_organisation

pytestmark = pytest.mark.browser

EMAIL = "treasurer@example.org"
MAX_TABS = 40


def focus_visible(page: Page) -> bool:
    """The focused element has a visible focus indicator (an outline or a box-shadow)."""
    return page.evaluate(
        """() => {
          const style = getComputedStyle(document.activeElement)
          const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
          return outline || style.boxShadow !== 'none'
        }"""
    )


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until ``target`` has focus; how many presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            assert focus_visible(page), f"no visible focus indicator on {target}"
            return presses
    raise AssertionError(f"{target} never received focus in {MAX_TABS} presses of {key}")


def test_member_signs_in_and_out_with_the_keyboard_alone(app: Flask, page: Page) -> None:
    with app.app_context():
        organisation = make_organisation("Rutland Rural Watch")
        make_member(organisation, EMAIL)

    page.goto("/sign-in/password")
    assert_accessible(page)

    # The first Tab reaches the skip link, which jumps past the header to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()

    assert tab_to(page, page.get_by_label("Email address")) == 1
    page.keyboard.type(EMAIL)
    assert tab_to(page, page.get_by_label("Password", exact=True)) == 1
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/organisations/\d+(#main-content)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rutland Rural Watch")
    assert_accessible(page)

    # Sign out is a button in the header: reach it from the top of the page and press Enter.
    sign_out = page.get_by_role("button", name="Sign out")
    tab_to(page, sign_out)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert_accessible(page)


def test_error_summary_links_work_from_the_keyboard(page: Page) -> None:
    page.goto("/sign-in/password")
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    tab_to(page, summary.get_by_role("link", name="Enter your email address"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email address")).to_be_focused()
    assert_accessible(page)
