"""An applicant answers the commissioning team's question from the emailed link, with a file,
and withdraws another application; every page, error states included, passes axe."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.models import Application, ApplicationStatus, StaffRole, utcnow
from tests.browser.support import (
    assert_accessible,
    assert_error_links_reach_fields,
    emailed_link_path,
)
from tests.conftest import PASSWORD, make_member, make_organisation, make_staff, open_round
from workflows.engine import fire

pytestmark = pytest.mark.browser

EMAIL = "coach@saffron.example.org"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


def two_applications_one_questioned(app: Flask) -> tuple[int, int]:
    with app.test_request_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        member = make_member(organisation, EMAIL)
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        round_ = open_round()
        applications = [
            Application(
                round=round_,
                organisation=organisation,
                created_by_id=member.id,
                project_title=title,
                amount_requested_pence=800_000,
                # Tests may set a state directly; the journey to assessment has its own tests.
                status=ApplicationStatus.IN_ASSESSMENT,
                reference=reference,
                submitted_at=utcnow(),
            )
            for title, reference in [
                ("Boxing after school", "PF-2627-0001"),
                ("Summer holiday club", "PF-2627-0002"),
            ]
        ]
        db.session.add_all([round_, *applications])
        db.session.commit()
        fire(
            officer,
            applications[0],
            "request_information",
            reason="How many young people will come to each session?",
        )
        db.session.commit()
        dispatch_pending()
        return applications[0].id, applications[1].id


def sign_in(page: Page) -> None:
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_answer_a_question_with_a_file_then_withdraw_another_application(
    app: Flask, page: Page, tmp_path
) -> None:
    questioned, other = two_applications_one_questioned(app)
    sign_in(page)

    # The email's link goes straight to the question.
    page.goto(emailed_link_path(app, EMAIL, prefix=f"/applications/{questioned}/"))
    expect(page.get_by_role("heading", name="Answer the question")).to_be_visible()
    expect(page.get_by_text("How many young people will come to each session?")).to_be_visible()
    expect(page.get_by_text("The commissioning team", exact=True)).to_be_visible()
    assert_accessible(page)

    send = page.get_by_role("button", name="Send your answer")
    send.click()
    assert assert_error_links_reach_fields(page) == ["Enter your answer to the question"]
    assert_accessible(page)

    page.get_by_label("Your answer").fill("About 25 each night, on Tuesdays and Thursdays.")
    program = tmp_path / "timetable.pdf"
    program.write_bytes(b"MZ this is really a program")
    page.get_by_label("Upload a file (optional)").set_input_files(str(program))
    send.click()
    assert assert_error_links_reach_fields(page) == ["The file is not a type we accept"]
    expect(page.get_by_label("Your answer")).to_have_value(
        "About 25 each night, on Tuesdays and Thursdays."
    )
    assert_accessible(page)

    timetable = tmp_path / "Timetable.pdf"
    timetable.write_bytes(PDF)
    page.get_by_label("Upload a file (optional)").set_input_files(str(timetable))
    send.click()
    expect(page.get_by_role("heading", name="Your answer has been sent")).to_be_visible()
    assert_accessible(page)

    # The question and answer stay on the application, with the file.
    page.get_by_role("link", name="See your application").click()
    expect(page.get_by_text("How many young people will come to each session?")).to_be_visible()
    expect(page.get_by_text("About 25 each night, on Tuesdays and Thursdays.")).to_be_visible()
    expect(page.get_by_role("link", name="Timetable.pdf")).to_be_visible()
    assert_accessible(page)

    # The question is answered: the emailed link now says so.
    page.goto(f"/applications/{questioned}/respond")
    expect(page.get_by_role("heading", name="There is no question to answer")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/applications/{other}/withdraw")
    expect(page.get_by_role("heading", name="Withdraw your application")).to_be_visible()
    expect(page.get_by_text("You cannot undo this")).to_be_visible()
    assert_accessible(page)
    withdraw = page.get_by_role("button", name="Withdraw application")
    withdraw.click()
    assert assert_error_links_reach_fields(page) == [
        "Enter why you are withdrawing the application"
    ]
    assert_accessible(page)

    page.get_by_label("Why are you withdrawing the application?").fill(
        "The hall we hired has closed for repairs."
    )
    withdraw.click()
    expect(page.get_by_role("heading", name="Application withdrawn")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/applications/{other}/withdraw")
    expect(page.get_by_role("heading", name="You cannot withdraw this application")).to_be_visible()
    assert_accessible(page)
    with app.app_context():
        assert db.session.get(Application, other).status is ApplicationStatus.WITHDRAWN
        assert db.session.get(Application, questioned).status is ApplicationStatus.IN_ASSESSMENT
