"""An application finished and sent with the keyboard alone: Tab and Shift+Tab to move, typing,
Space for checkboxes and radios, arrow keys in a select, Enter for links and buttons. No
clicks and no filling fields directly. The organisation and outcomes sections and two of the
documents are already done (the whole journey by mouse is in test_apply_journey.py)."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationSection,
    ApplicationStatus,
    OutputTarget,
    Place,
    Priority,
)
from grants.services import documents
from tests.browser.support import assert_accessible
from tests.conftest import PASSWORD, make_member, make_organisation, open_round

pytestmark = pytest.mark.browser

EMAIL = "treasurer@wigston-wheelers.example.org"
ORGANISATION = "Wigston Wheelers Cycling Club"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
MAX_TABS = 40
FOCUS_COLOUR = "rgb(255, 221, 0)"  # GOV.UK Frontend's $govuk-focus-colour


def shows_focus(page: Page) -> bool:
    """The focused element shows GOV.UK's yellow focus colour: as its outline, background or
    box-shadow, or, for radios and checkboxes (whose input is hidden), on its label's box.

    Any outline or box-shadow would not do: buttons have a box-shadow when not focused, and
    Chromium outlines the invisible radio input itself.
    """
    return page.evaluate(
        """focus => {
          const shows = style =>
            (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
              && style.outlineColor === focus)
            || style.backgroundColor === focus
            || style.boxShadow.includes(focus)
          const element = document.activeElement
          const label = element.labels && element.labels[0]
          return shows(getComputedStyle(element))
            || (!!label && shows(getComputedStyle(label, '::before')))
        }""",
        FOCUS_COLOUR,
    )


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has focus, which it must show."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if is_focused(target):
            assert shows_focus(page), f"no visible focus indicator on {target}"
            return
    raise AssertionError(f"{target} never received focus in {MAX_TABS} presses of {key}")


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def press(page: Page, target: Locator, *, backwards: bool = False) -> None:
    tab_to(page, target, backwards=backwards)
    page.keyboard.press("Enter")


def open_task(page: Page, title: str) -> None:
    press(page, page.get_by_role("link", name=title, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)


def say_section_is_complete_and_save(page: Page) -> None:
    # Tab into a radio group lands on its first radio; Space selects it.
    yes = page.get_by_label("Yes, I've completed this section")
    tab_to(page, yes)
    page.keyboard.press("Space")
    expect(yes).to_be_checked()
    press(page, page.get_by_role("button", name="Save and continue"))
    # Keys pressed before the task list has loaded would go to the page being left.
    expect(page.get_by_text(re.compile(r"^You have completed \d of 6 sections"))).to_be_visible()


def half_done_application(app: Flask) -> None:
    """A draft with its organisation and outcomes sections complete and two documents."""
    with app.test_request_context():
        organisation = make_organisation(ORGANISATION)
        member = make_member(organisation, EMAIL)
        round_ = open_round()
        round_.programme.priorities = [Priority(code="road-safety", name="Road safety")]
        application = Application(round=round_, organisation=organisation, created_by_id=member.id)
        application.answers = [
            ApplicationAnswer(question_key=key, value=value)
            for key, value in {
                "contact_name": "Dev Patel",
                "contact_role": "Treasurer",
                "contact_phone": "0116 496 0999",
                "annual_income": "5400",
                "outcomes": "Children who can ride safely to school.",
            }.items()
        ]
        application.sections = [
            ApplicationSection(section_key="organisation", completed=True),
            ApplicationSection(section_key="outcomes", completed=True),
        ]
        application.output_targets = [
            OutputTarget(position=1, description="Children passing Bikeability", target=30)
        ]
        db.session.add_all(
            [round_, application, Place(name="Oadby and Wigston", gss_code="E07000135")]
        )
        db.session.commit()
        for purpose in ("constitution", "safeguarding_policy"):
            documents.upload(
                member,
                io.BytesIO(PDF),
                f"{purpose}.pdf",
                organisation_id=organisation.id,
                purpose=purpose,
                application_id=application.id,
            )
        db.session.commit()


def test_an_application_finished_and_sent_with_the_keyboard_alone(
    app: Flask, page: Page, tmp_path
) -> None:
    half_done_application(app)

    page.goto("/sign-in/password")
    assert_accessible(page)
    type_into(page, page.get_by_label("Email address"), EMAIL)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION)

    press(page, page.get_by_role("link", name="Untitled application"))
    expect(page).to_have_url(re.compile(r"/applications/\d+/tasks$"))
    expect(page.get_by_text("You have completed 2 of 6 sections.")).to_be_visible()
    assert_accessible(page)

    # Your project: text, a word-counted textarea, checkboxes, a number and date inputs.
    open_task(page, "Your project")
    type_into(page, page.get_by_label("Project title"), "Safe cycling to school")
    type_into(
        page,
        page.get_by_label("Summary of your project"),
        "Bikeability courses on Saturday mornings at two primary schools.",
    )
    road_safety = page.get_by_label("Road safety")
    tab_to(page, road_safety)
    page.keyboard.press("Space")
    expect(road_safety).to_be_checked()
    place = page.get_by_label("Oadby and Wigston")
    tab_to(page, place)
    page.keyboard.press("Space")
    expect(place).to_be_checked()
    type_into(page, page.get_by_label("Who will benefit?"), "Children aged 9 to 11 in Wigston")
    type_into(page, page.get_by_label("How many people will benefit?"), "30")
    for legend, (day, month, year) in [
        ("When will the project start?", ("6", "6", "2026")),
        ("When will the project end?", ("27", "3", "2027")),
    ]:
        group = page.get_by_role("group", name=legend)
        type_into(page, group.get_by_label("Day"), day)
        # Tab moves from box to box, as GOV.UK's date input is built for.
        page.keyboard.press("Tab")
        expect(group.get_by_label("Month")).to_be_focused()
        page.keyboard.type(month)
        page.keyboard.press("Tab")
        page.keyboard.type(year)
        expect(group.get_by_label("Year")).to_have_value(year)
    # Back up a field with Shift+Tab to correct a typo.
    tab_to(page, page.get_by_label("How many people will benefit?"), backwards=True)
    page.keyboard.press("End")
    page.keyboard.type("0")
    expect(page.get_by_label("How many people will benefit?")).to_have_value("300")
    say_section_is_complete_and_save(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Safe cycling to school")

    # Budget: a link styled as a button, a select worked with the arrow keys, and money.
    open_task(page, "Budget")
    press(page, page.get_by_role("button", name="Add a budget line"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a budget line")
    assert_accessible(page)
    year = page.get_by_label("Financial year")
    tab_to(page, year)
    page.keyboard.press("ArrowDown")
    expect(year).to_have_value("2027")
    page.keyboard.press("ArrowUp")
    expect(year).to_have_value("2026")
    type_into(page, page.get_by_label("What is it for?"), "Instructors")
    type_into(page, page.get_by_label("Amount, in pounds"), "2,400")
    # Enter in a text box sends the form, as it does for any one-button form.
    page.keyboard.press("Enter")
    expect(page.locator("#budget-total")).to_have_text("£2,400.00")
    say_section_is_complete_and_save(page)

    # Documents: the bank statement is still to come.
    open_task(page, "Documents")
    press(page, page.get_by_role("link", name="Upload Bank statement"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bank statement")
    assert_accessible(page)
    statement = tmp_path / "Bank statement May.pdf"
    statement.write_bytes(PDF)
    file_input = page.get_by_label("Upload a file")
    tab_to(page, file_input)
    # Space on a focused file input opens the operating system's file dialog, which is no part
    # of the page: Playwright answers that dialog for the user. The keyboard opens it.
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(statement))
    press(page, page.get_by_role("button", name="Upload", exact=True))
    expect(page.get_by_role("link", name="Bank statement May.pdf")).to_be_visible()
    say_section_is_complete_and_save(page)

    # Declarations: three checkboxes and two answers.
    open_task(page, "Declarations")
    for label in [
        "The information in this application is true and complete",
        "Our organisation meets the eligibility criteria",
        "We understand how the Office of the Police and Crime Commissioner",
    ]:
        box = page.get_by_label(label)
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    type_into(page, page.get_by_label("Your full name"), "Dev Patel")
    type_into(page, page.get_by_label("Your role in the organisation"), "Treasurer")
    say_section_is_complete_and_save(page)
    expect(page.get_by_text("You have completed 6 of 6 sections.")).to_be_visible()
    assert_accessible(page)

    # From the top of a page, Shift+Tab goes round to the bottom: quicker to the last button.
    press(page, page.get_by_role("button", name="Check your answers"), backwards=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your application"
    )
    expect(page.get_by_text("Bank statement May.pdf")).to_be_visible()
    assert_accessible(page)
    press(page, page.get_by_role("button", name="Accept and send"), backwards=True)

    expect(page.locator(".govuk-panel")).to_contain_text("PF-2627-0001")
    assert_accessible(page)
    with app.app_context():
        sent = db.session.scalar(select(Application))
        assert sent is not None
        assert sent.status is ApplicationStatus.SUBMITTED
        assert sent.answer_map["beneficiaries"] == "300"
        assert sent.answer_map["end_date"] == "2027-03-27"
        assert [(line.financial_year, line.amount_pence) for line in sent.budget_lines] == [
            (2026, 240_000)
        ]
