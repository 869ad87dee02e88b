"""A community group's treasurer applies for a Prevention Fund grant in the browser: from
registering, through Find funding and the eligibility check, every section of the form (error
states included), check your answers and sending it, to answering the commissioning team's
question afterwards. Also: the form without JavaScript, and a second tab sending it again.

Every page visited, error states included, passes axe.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    EligibilityQuestion,
    Place,
    Priority,
    StaffRole,
    User,
)
from tests.browser.conftest import NewPage
from tests.browser.support import (
    assert_accessible,
    assert_error_links_reach_fields,
    emailed_sign_in_path,
)
from tests.conftest import (
    PASSWORD,
    complete_application,
    make_member,
    make_organisation,
    make_staff,
    open_round,
)
from workflows.engine import fire

pytestmark = pytest.mark.browser

EMAIL = "treasurer@knighton-lane-allotments.example.org"
ORGANISATION = "Knighton Lane Allotment Society"
ROUND = "Community grants 2026/27"
PROJECT = "Growing together on Knighton Lane"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
ELIGIBILITY = [
    "Is your organisation based in, or working in, Leicester, Leicestershire or Rutland?",
    "Does your organisation have a bank account in its own name?",
]
DOCUMENTS = ["Constitution or governing document", "Safeguarding policy", "Bank statement"]


@pytest.fixture
def prevention_round(app: Flask) -> int:
    """An open Prevention Fund round with two eligibility questions, the programme's
    priorities and the places a project can be in."""
    with app.app_context():
        round_ = open_round()
        round_.name = ROUND
        round_.programme.priorities = [
            Priority(code="asb", name="Anti-social behaviour"),
            Priority(code="knife-crime", name="Knife crime"),
        ]
        round_.eligibility_questions = [
            EligibilityQuestion(
                position=position,
                question=question,
                eligible_answer=True,
                ineligible_reason="The Prevention Fund cannot fund your organisation.",
            )
            for position, question in enumerate(ELIGIBILITY, start=1)
        ]
        db.session.add_all(
            [
                round_,
                Place(name="Leicester", gss_code="E06000016"),
                Place(name="Rutland", gss_code="E06000017"),
            ]
        )
        db.session.commit()
        return round_.id


def save_section(page: Page) -> None:
    """Say the section is complete and save it."""
    page.get_by_label("Yes, I've completed this section").check()
    page.get_by_role("button", name="Save and continue").click()


def open_task(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)


def expect_status(page: Page, title: str, status: str) -> None:
    """The task list row for ``title`` shows ``status`` (and the page is the task list)."""
    row = page.locator(".govuk-task-list__item").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    expect(row.locator(".govuk-task-list__status")).to_have_text(status)


# The steps of the journey -----------------------------------------------------------------


def register_and_sign_in(app: Flask, page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Amara Okafor")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Organisation name").fill(ORGANISATION)
    page.get_by_role("radio", name="Unincorporated community group or club").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    page.goto(emailed_sign_in_path(app, EMAIL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION)
    expect(page.get_by_text("Your organisation has no applications yet.")).to_be_visible()
    assert_accessible(page)


def check_eligibility_and_start(page: Page) -> None:
    # Typed: once signed in, no page links to Find funding (the dashboard names open rounds
    # without linking to them).
    page.goto("/funding")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find funding")
    assert_accessible(page)
    page.get_by_role("link", name=f"Prevention Fund: {ROUND}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND)
    assert_accessible(page)
    page.get_by_role("button", name="Check if you can apply").click()
    for question in ELIGIBILITY:
        expect(page.get_by_role("heading", level=1)).to_contain_text(question)
        assert_accessible(page)
        page.get_by_role("group", name=question).get_by_label("Yes").check()
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You can apply")
    assert_accessible(page)

    # Signed in already, so straight to starting; the one organisation is chosen for them.
    page.get_by_role("button", name="Start your application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start an application")
    expect(page.get_by_role("radio", name=ORGANISATION)).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Start application").click()

    expect(page).to_have_url(re.compile(r"/applications/\d+/tasks$"))
    expect(page.get_by_text("You have completed 0 of 6 sections.")).to_be_visible()
    expect_status(page, "Your organisation", "Not yet started")
    assert_accessible(page)


def fill_organisation(page: Page) -> None:
    open_task(page, "Your organisation")
    page.get_by_label("Name of the main contact for this application").fill("Amara Okafor")
    # Saying the section is complete with answers missing: each one is named and linked.
    save_section(page)
    assert assert_error_links_reach_fields(page) == [
        "Enter an answer to 'Their role in the organisation'",
        "Enter an answer to 'Their phone number'",
        "Enter an answer to 'Your organisation's income last year, in pounds'",
    ]
    expect(page).to_have_title(re.compile(r"^Error: Your organisation"))
    expect(page.get_by_label("Name of the main contact for this application")).to_have_value(
        "Amara Okafor"
    )
    assert_accessible(page)
    page.locator(".govuk-error-summary").get_by_role(
        "link", name="Enter an answer to 'Their phone number'"
    ).click()
    expect(page.get_by_label("Their phone number")).to_be_focused()

    page.get_by_label("Their role in the organisation").fill("Treasurer")
    page.get_by_label("Their phone number").fill("0116 496 0000")
    page.get_by_label("Your organisation's income last year, in pounds").fill("3,200")
    save_section(page)
    expect_status(page, "Your organisation", "Completed")


def fill_project(page: Page) -> None:
    open_task(page, "Your project")
    page.get_by_label("Project title").fill(PROJECT)
    summary = page.get_by_label("Summary of your project")
    summary.fill("word " * 151)
    # GOV.UK's character count says so as they type, before anything is sent.
    expect(page.get_by_text("You have 1 word too many").first).to_be_visible()
    priorities = page.get_by_role("group", name="Which Police and Crime Plan priorities")
    priorities.get_by_label("Anti-social behaviour").check()
    priorities.get_by_label("Knife crime").check()
    page.get_by_role("group", name="Where will it take place?").get_by_label("Leicester").check()
    page.get_by_label("Who will benefit?").fill("Families on the Knighton Lane estate")
    page.get_by_label("How many people will benefit?").fill("60")
    fill_date(page, "When will the project start?", "30", "2", "2027")
    fill_date(page, "When will the project end?", "31", "3", "2027")
    save_section(page)

    assert assert_error_links_reach_fields(page) == [
        "Summary of your project must be 150 words or fewer",
        "When will the project start? must be a real date",
    ]
    # What was typed comes back, the impossible date included, for correcting.
    start = page.get_by_role("group", name="When will the project start?")
    expect(start.get_by_label("Day")).to_have_value("30")
    expect(priorities.get_by_label("Knife crime")).to_be_checked()
    assert_accessible(page)

    summary.fill("Weekly growing sessions for families, with a shared harvest supper.")
    fill_date(page, "When will the project start?", "1", "5", "2026")
    save_section(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT)
    expect_status(page, "Your project", "Completed")


def fill_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def add_budget_line(page: Page, button: str, category: str, amount: str, details: str = "") -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a budget line")
    page.get_by_label("Financial year").select_option("2026")
    page.get_by_label("What is it for?").fill(category)
    page.get_by_label("Details (optional)").fill(details)
    page.get_by_label("Amount, in pounds").fill(amount)
    page.get_by_role("button", name="Add budget line").click()


def fill_budget(page: Page) -> None:
    open_task(page, "Budget")
    expect(page.get_by_text("You have not added any budget lines yet.")).to_be_visible()

    # Money with a fraction of a penny is refused, and the line is kept for correcting.
    add_budget_line(page, "Add a budget line", "Tools and seeds", "12.345", "Spades and seed trays")
    assert assert_error_links_reach_fields(page) == [
        "Enter an amount in pounds and pence, like 1250 or 1,250.50"
    ]
    expect(page.get_by_label("What is it for?")).to_have_value("Tools and seeds")
    assert_accessible(page)
    page.get_by_label("Amount, in pounds").fill("1,200")
    page.get_by_role("button", name="Add budget line").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Budget")
    expect(page.locator("#budget-total")).to_have_text("£1,200.00")
    expect(page.get_by_role("cell", name="Spades and seed trays")).to_be_visible()
    add_budget_line(page, "Add another budget line", "Hall hire", "350.50")
    expect(page.locator("#budget-total")).to_have_text("£1,550.50")
    assert_accessible(page)

    page.get_by_role("button", name="Remove Hall hire, £350.50").click()
    expect(page.locator("#budget-total")).to_have_text("£1,200.00")
    expect(page.get_by_role("cell", name="Hall hire", exact=True)).to_have_count(0)
    add_budget_line(page, "Add another budget line", "Hall hire", "400")
    expect(page.locator("#budget-total")).to_have_text("£1,600.00")
    save_section(page)
    expect_status(page, "Budget", "Completed")


def fill_outcomes(page: Page) -> None:
    open_task(page, "Outputs and outcomes")
    page.get_by_role("button", name="Add an output").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an output")
    assert_accessible(page)
    page.get_by_label("What will the project deliver or change?").fill(
        "Families attending at least 8 sessions"
    )
    page.get_by_label("Target number").fill("25")
    page.get_by_role("button", name="Add output").click()

    expect(
        page.get_by_role("cell", name="Families attending at least 8 sessions", exact=True)
    ).to_be_visible()
    page.get_by_label("What difference will the project make?").fill(
        "Neighbours who know each other, and fewer reports of damage to the allotments."
    )
    assert_accessible(page)
    save_section(page)
    expect_status(page, "Outputs and outcomes", "Completed")


def upload_documents(page: Page, tmp_path) -> None:
    open_task(page, "Documents")
    for label in DOCUMENTS:
        page.get_by_role("link", name=f"Upload {label}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
        if label == DOCUMENTS[0]:
            assert_accessible(page)  # the same page for each document
        file = tmp_path / f"{label}.pdf"
        file.write_bytes(PDF)
        page.get_by_label("Upload a file").set_input_files(str(file))
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.get_by_role("link", name=f"{label}.pdf")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Upload "))).to_have_count(0)
    assert_accessible(page)
    save_section(page)
    expect_status(page, "Documents", "Completed")


def make_declarations(page: Page) -> None:
    open_task(page, "Declarations")
    page.get_by_label("The information in this application is true and complete").check()
    page.get_by_label("Our organisation meets the eligibility criteria").check()
    page.get_by_label("We understand how the Office of the Police and Crime Commissioner").check()
    page.get_by_label("Your full name").fill("Amara Okafor")
    page.get_by_label("Your role in the organisation").fill("Treasurer")
    save_section(page)
    expect(page.get_by_text("You have completed 6 of 6 sections.")).to_be_visible()
    assert_accessible(page)


def check_change_and_send(page: Page) -> str:
    page.get_by_role("button", name="Check your answers").click()
    heading = "Check your answers before sending your application"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text("£1,600.00").first).to_be_visible()
    expect(page.get_by_text("Anti-social behaviour, Knife crime")).to_be_visible()
    expect(page.get_by_text("1 May 2026")).to_be_visible()
    assert_accessible(page)

    # One answer changed from here: the link goes to the question itself.
    page.get_by_role("link", name="Change Their phone number").click()
    expect(page).to_have_url(re.compile(r"/sections/organisation\?from=check#contact_phone$"))
    phone = page.get_by_label("Their phone number")
    expect(phone).to_have_value("0116 496 0000")
    # The section stays marked complete unless they say otherwise.
    expect(page.get_by_label("Yes, I've completed this section")).to_be_checked()
    phone.fill("07700 900123")
    page.get_by_role("button", name="Save and continue").click()
    # Back where the change started, as GOV.UK's check answers pattern does.
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text("07700 900123")).to_be_visible()

    page.get_by_role("button", name="Accept and send").click()
    # (A fragment from the Change link survives the redirects: browsers keep it.)
    expect(page).to_have_url(re.compile(r"/applications/\d+/submitted(#.*)?$"))
    panel = page.locator(".govuk-panel")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Application submitted")
    expect(panel).to_contain_text(re.compile(r"PF-\d{4}-\d{4}"))
    assert_accessible(page)
    reference = panel.locator("strong").inner_text()
    assert re.fullmatch(r"PF-2627-0001", reference), reference
    return reference


# The tests ----------------------------------------------------------------------------------


def test_a_treasurer_registers_and_sends_a_whole_application(
    app: Flask, page: Page, prevention_round: int, tmp_path
) -> None:
    register_and_sign_in(app, page)
    check_eligibility_and_start(page)
    fill_organisation(page)
    fill_project(page)
    fill_budget(page)
    fill_outcomes(page)
    upload_documents(page, tmp_path)
    make_declarations(page)
    reference = check_change_and_send(page)

    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION)
    row = page.get_by_role("row").filter(has_text=PROJECT)
    expect(row).to_contain_text(reference)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("£1,600.00")
    assert_accessible(page)

    with app.app_context():
        sent = db.session.scalar(select(Application))
        assert sent is not None
        assert sent.status is ApplicationStatus.SUBMITTED
        assert sent.reference == reference
        assert sent.amount_requested_pence == 160_000
        assert [(line.category, line.amount_pence) for line in sent.budget_lines] == [
            ("Tools and seeds", 120_000),
            ("Hall hire", 40_000),
        ]
        assert sent.answer_map["contact_phone"] == "07700 900123"
        assert sent.answer_map["priorities"] == "asb,knife-crime"
        assert sent.answer_map["start_date"] == "2026-05-01"
        assert sorted(sent.current_documents) == [
            "bank_statement",
            "constitution",
            "safeguarding_policy",
        ]
    confirmations = [
        m for m in app.extensions["mailman"].outbox if EMAIL in m.to and reference in m.subject
    ]
    assert len(confirmations) == 1


# After sending --------------------------------------------------------------------------------


def complete_draft(app: Flask) -> int:
    """A draft with every section complete, from a member of the group (by password)."""
    with app.app_context():
        organisation = make_organisation(ORGANISATION)
        member = make_member(organisation, EMAIL)
        round_ = open_round()
        application = Application(
            round=round_,
            organisation=organisation,
            created_by_id=member.id,
            project_title=PROJECT,
            amount_requested_pence=160_000,
        )
        db.session.add_all([round_, application])
        db.session.flush()
        complete_application(application, member.id)
        db.session.commit()
        return application.id


def sent_application(app: Flask) -> int:
    """A complete application, sent, that a commissioning officer has asked a question about."""
    application_id = complete_draft(app)
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        assert application is not None
        member = db.session.get(User, application.created_by_id)
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        fire(member, application, "submit", expected_version=application.version)
        db.session.commit()
        fire(officer, application, "start_assessment")
        fire(officer, application, "request_information", reason="Who owns the allotment site?")
        db.session.commit()
        dispatch_pending()
    return application_id


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION)


def test_the_applicant_answers_the_commissioning_teams_question(app: Flask, page: Page) -> None:
    application_id = sent_application(app)
    sign_in(page)
    row = page.get_by_role("row").filter(has_text=PROJECT)
    expect(row).to_contain_text("Information requested")
    row.get_by_role("link", name=PROJECT).click()

    expect(page).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(page.get_by_text("Question 1 (waiting for an answer)")).to_be_visible()
    expect(page.get_by_text("Who owns the allotment site?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Answer the question").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Answer the question")
    page.get_by_label("Your answer").fill("The city council; we hold a 10-year lease.")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("heading", name="Your answer has been sent")).to_be_visible()
    page.get_by_role("link", name="See your application").click()
    expect(page.get_by_text("The city council; we hold a 10-year lease.")).to_be_visible()
    expect(page.get_by_role("button", name="Answer the question")).to_have_count(0)
    assert_accessible(page)
    with app.app_context():
        answered = db.session.get(Application, application_id)
        assert answered is not None
        assert answered.status is ApplicationStatus.IN_ASSESSMENT


# Without JavaScript, and in two tabs ---------------------------------------------------------


def member_and_round(app: Flask) -> int:
    """A member of a group (who signs in by password) and an open round: the round's id."""
    with app.app_context():
        organisation = make_organisation(ORGANISATION)
        make_member(organisation, EMAIL)
        round_ = open_round()
        db.session.add_all(
            [
                round_,
                Priority(code="asb", name="Anti-social behaviour"),
                Place(name="Rutland", gss_code="E06000017"),
            ]
        )
        db.session.commit()
        return round_.id


def test_the_form_works_without_javascript(app: Flask, new_page: NewPage) -> None:
    round_id = member_and_round(app)
    page = new_page(javascript=False)
    sign_in(page)

    page.goto(f"/funding/{round_id}/apply")
    expect(page.locator("body")).not_to_have_class(re.compile("js-enabled"))
    assert_accessible(page)
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_text("You have completed 0 of 6 sections.")).to_be_visible()
    assert_accessible(page)

    open_task(page, "Your organisation")
    save_section(page)
    messages = assert_error_links_reach_fields(page)
    assert messages[0] == "Enter an answer to 'Name of the main contact for this application'"
    assert len(messages) == 4
    assert_accessible(page)
    page.get_by_label("Name of the main contact for this application").fill("Amara Okafor")
    page.get_by_label("Their role in the organisation").fill("Treasurer")
    page.get_by_label("Their phone number").fill("0116 496 0000")
    page.get_by_label("Your organisation's income last year, in pounds").fill("0")
    save_section(page)
    expect_status(page, "Your organisation", "Completed")
    assert_accessible(page)

    open_task(page, "Budget")
    add_budget_line(page, "Add a budget line", "Tools and seeds", "")
    assert assert_error_links_reach_fields(page) == [
        "Enter an amount in pounds, like 1250 or 1,250.50"
    ]
    assert_accessible(page)
    page.get_by_label("Amount, in pounds").fill("750")
    page.get_by_role("button", name="Add budget line").click()
    expect(page.locator("#budget-total")).to_have_text("£750.00")
    assert_accessible(page)

    page.get_by_role("link", name="Back to your application").click()
    page.get_by_role("link", name="check your answers so far").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your application"
    )
    expect(page.get_by_text("Amara Okafor")).to_be_visible()
    expect(page.get_by_text("These sections are not complete yet:")).to_be_visible()
    still_to_do = page.get_by_role("listitem")
    expect(still_to_do.filter(has_text="Budget:")).to_have_text(
        "Budget: say that you have completed this section"
    )
    expect(still_to_do.filter(has_text="Declarations:")).to_contain_text(
        "answer 'We understand how the Office of the Police and Crime Commissioner will use"
    )
    expect(page.get_by_role("button", name="Accept and send")).to_have_count(0)
    assert_accessible(page)


def test_sending_again_from_a_second_tab_sends_nothing_twice(app: Flask, page: Page) -> None:
    check = f"/applications/{complete_draft(app)}/check"
    sign_in(page)
    first = page
    # A second tab of the same browser, so the same signed-in session. The new_page fixture
    # only watches pages it opens, so this tab's script errors are collected here.
    second = page.context.new_page()
    script_errors: list[str] = []
    second.on("pageerror", lambda error: script_errors.append(str(error)))
    for tab in (first, second):
        tab.goto(check)
        expect(tab.get_by_role("button", name="Accept and send")).to_be_visible()
    assert_accessible(first)

    first.get_by_role("button", name="Accept and send").click()
    expect(first.locator(".govuk-panel")).to_contain_text("PF-2627-0001")
    assert_accessible(first)

    second.get_by_role("button", name="Accept and send").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(
        "This application has been submitted"
    )
    expect(second.get_by_text("Nothing you just sent has been saved.")).to_be_visible()
    expect(second.get_by_role("main")).to_contain_text("Application PF-2627-0001")
    assert_accessible(second)
    second.get_by_role("link", name="See the application as it was sent").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(PROJECT)
    assert_accessible(second)
    assert script_errors == []

    with app.app_context():
        submits = db.session.scalar(
            select(func.count(AuditEvent.seq)).where(AuditEvent.action == "submit")
        )
        assert submits == 1
        sent = db.session.scalar(select(Application))
        assert sent is not None and sent.reference == "PF-2627-0001"
    confirmations = [m for m in app.extensions["mailman"].outbox if "PF-2627-0001" in m.subject]
    assert len(confirmations) == 1
