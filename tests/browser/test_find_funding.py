"""A visitor finds an open round and checks, one question a page, whether they can apply: every
page, the error state included, is accessible, with JavaScript and without it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.demo.eligibility import add_eligibility_questions
from grants.extensions import db
from grants.models import Priority
from tests.browser.conftest import NewPage
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import open_round

pytestmark = pytest.mark.browser

ROUND = "Commissioner's community grants 2026/27"
LEICESTER = "Is your organisation based in, or working in, Leicester, Leicestershire or Rutland?"


@pytest.fixture
def prevention_round(app: Flask) -> list[tuple[str, bool]]:
    """The demo's Prevention Fund round; returns each question with its eligible answer."""
    with app.app_context():
        round_ = open_round()
        round_.name = ROUND
        round_.financial_year = 2026
        round_.who_can_apply = "Voluntary and community groups, charities, CICs and clubs."
        round_.programme.priorities = [Priority(code="knife-crime", name="Knife crime")]
        add_eligibility_questions(round_)
        db.session.add(round_)
        db.session.commit()
        return [(q.question, q.eligible_answer) for q in round_.eligibility_questions]


def open_the_round(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find funding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find funding")
    assert_accessible(page)
    page.get_by_role("link", name=f"Prevention Fund: {ROUND}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND)
    assert_accessible(page)
    page.get_by_role("button", name="Check if you can apply").click()


def answer(page: Page, question: str, yes: bool) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(question)
    page.get_by_role("group", name=question).get_by_label("Yes" if yes else "No").check()
    page.get_by_role("button", name="Continue").click()


def walk_to_you_can_apply(page: Page, questions: list[tuple[str, bool]]) -> None:
    open_the_round(page)
    first, _ = questions[0]
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    assert_accessible(page)
    # Continuing without an answer: the GOV.UK error summary, linked to the radios.
    page.get_by_role("button", name="Continue").click()
    assert assert_error_links_reach_fields(page) == [
        "Select yes if your organisation is based in, or working in, Leicester, "
        "Leicestershire or Rutland"
    ]
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
    for question, eligible_answer in questions:
        answer(page, question, eligible_answer)
        assert_accessible(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("You can apply")
    expect(
        page.get_by_text("If you do not have an account, you will be asked to create one")
    ).to_be_visible()
    page.get_by_role("button", name="Start your application").click()
    # Applying needs an account: signed out, the service asks you to sign in first.
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/funding/\d+/apply$"))
    assert_accessible(page)


def test_a_visitor_checks_they_can_apply(page: Page, prevention_round) -> None:
    walk_to_you_can_apply(page, prevention_round)


def test_a_no_that_rules_you_out_says_why(page: Page, prevention_round) -> None:
    open_the_round(page)
    answer(page, LEICESTER, yes=True)
    answer(page, "Is your organisation run not for profit?", yes=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot apply for this funding")
    expect(
        page.get_by_text("Businesses run for profit and individuals cannot apply.")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="go back and change your answer").click()
    answer(page, "Is your organisation run not for profit?", yes=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("bank account")


def test_the_check_works_without_javascript(new_page: NewPage, prevention_round) -> None:
    page = new_page(javascript=False)
    walk_to_you_can_apply(page, prevention_round)
    expect(page.locator("body")).not_to_have_class(re.compile("js-enabled"))
