"""Pages anyone can see, in a real browser: start, accessibility statement, cookies, 404."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Apply for and manage funding from the Police and Crime Commissioner"),
        ("/accessibility", None),
        ("/cookies", None),
        ("/sign-in", "Sign in"),
        ("/sign-in/password", "Sign in with a password"),
        ("/register", "Create an account"),
    ],
)
def test_public_page_is_accessible(page: Page, path: str, heading: str | None) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_have_count(1)
    if heading:
        expect(h1).to_have_text(heading)
    # Under the strict CSP both scripts ran: the inline one (it has the nonce) marks the body,
    # and GOV.UK Frontend's module initialised the skip link.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_have_attribute("href", "#main-content")
    expect(skip_link).to_have_attribute("data-govuk-skip-link-init", "")
    assert_accessible(page)


def test_start_page_leads_to_registration_and_sign_in(page: Page) -> None:
    page.goto("/")
    # GOV.UK's start button is a link styled (and announced) as a button.
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.go_back()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_footer_links_reach_accessibility_statement_and_cookies(page: Page) -> None:
    page.goto("/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Accessibility statement").click()
    expect(page).to_have_url(re.compile(r"/accessibility$"))
    page.get_by_role("contentinfo").get_by_role("link", name="Cookies").click()
    expect(page).to_have_url(re.compile(r"/cookies$"))


def test_unknown_page_shows_accessible_404(page: Page) -> None:
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page).to_have_title(re.compile(r"^Page not found \W "))
    assert_accessible(page)
    page.get_by_role("link", name="Go to the start page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Apply for and manage funding from the Police and Crime Commissioner"
    )
