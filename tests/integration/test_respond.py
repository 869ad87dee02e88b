"""The applicant's side of an assessment: the commissioning team asks a question, the applicant
answers it (with a file if it helps) and the application goes back to assessment; or the
applicant withdraws the application, with a reason, before a decision. Every refusal changes
nothing and keeps no file."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import pytest
from flask import render_template
from sqlalchemy import func, select, update

from grants.extensions import db
from grants.filters import london_datetime
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Document,
    InformationRequest,
    Organisation,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.services import responses
from grants.services.errors import ServiceError
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    ready_for_decision,
    sign_in_as,
)
from workflows.engine import fire

QUESTION = "How many young people will come to each session?\n\nSay which nights, too."
ANSWER = "About 25 each night.\r\nTuesdays and Thursdays, 6pm to 8pm."
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


@dataclass
class World:
    questioned: int  # in information_requested, with one open question
    assessing: int  # in assessment, no question asked
    member: User  # signed in by identity; read ids and names from the fields below
    outsider: User
    member_id: int
    member_email: str
    officer_id: int
    officer_name: str
    decider_id: int


def new_application(
    round_: Round, organisation: Organisation, creator: User, title: str, reference: str
) -> Application:
    # Tests may set a state directly; the journey up to assessment has its own tests.
    return Application(
        round=round_,
        organisation=organisation,
        created_by_id=creator.id,
        project_title=title,
        amount_requested_pence=800_000,
        status=ApplicationStatus.IN_ASSESSMENT,
        reference=reference,
        submitted_at=utcnow(),
    )


@pytest.fixture
def world(app) -> World:
    with app.test_request_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        member = make_member(organisation, "coach@saffron.example.org")
        outsider = make_member(make_organisation("Somewhere Else Trust"), "owner@else.example.org")
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        decider = make_staff(StaffRole.DECISION_MAKER)
        round_ = open_round()
        questioned = new_application(
            round_, organisation, member, "Boxing after school", "PF-2627-0001"
        )
        assessing = new_application(
            round_, organisation, member, "Summer holiday club", "PF-2627-0002"
        )
        db.session.add_all([round_, questioned, assessing])
        db.session.commit()
        fire(officer, questioned, "request_information", reason=QUESTION)
        db.session.commit()
        dispatch_pending()  # the email the officer's move queued
        return World(
            questioned=questioned.id,
            assessing=assessing.id,
            member=member,
            outsider=outsider,
            member_id=member.id,
            member_email=member.email,
            officer_id=officer.id,
            officer_name=officer.full_name,
            decider_id=decider.id,
        )


@dataclass(frozen=True)
class Snapshot:
    status: ApplicationStatus
    version: int
    answers: tuple[str | None, ...]
    documents: int
    events: int


def snapshot(app, application_id: int) -> Snapshot:
    with app.app_context():
        application = db.session.get(Application, application_id)
        return Snapshot(
            status=application.status,
            version=application.version,
            answers=tuple(r.answer for r in application.information_requests),
            documents=db.session.scalar(select(func.count()).select_from(Document)),
            events=db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def signed_in(app, user: User):
    client = app.test_client()
    sign_in_as(client, user)
    return client


def version_on(page: str) -> str:
    match = VERSION_RE.search(page)
    assert match, "no version on the page"
    return match.group(1)


def form_data(client, url: str, version: str | None = None, **fields) -> dict:
    """What the form on ``url`` would send: its CSRF token and the version it shows."""
    page = client.get(url).text
    token = csrf_token(client, url if "csrf_token" in page else "/accessibility")
    if version is None:
        version = version_on(page)
    return {"csrf_token": token, "version": version, **fields}


def send_answer(client, application_id: int, answer: str, file=None, version=None):
    url = f"/applications/{application_id}/respond"
    data = form_data(client, url, version, answer=answer)
    if file is not None:
        content, filename = file
        data["document"] = (io.BytesIO(content), filename)
    return client.post(url, data=data, content_type="multipart/form-data")


def send_withdrawal(client, application_id: int, reason: str, version=None):
    url = f"/applications/{application_id}/withdraw"
    return client.post(url, data=form_data(client, url, version, reason=reason))


def stored_objects(app) -> list:
    return list(app.extensions["document_store"].list("documents/"))


# Asking -------------------------------------------------------------------------------------


def test_the_email_shows_the_question_and_a_link_to_answer_it(app, world):
    [email] = [m for m in app.extensions["mailman"].outbox if world.member_email in m.to]
    answer_url = f"http://localhost/applications/{world.questioned}/respond"
    assert "How many young people will come to each session?" in email.body
    assert answer_url in email.body
    html = email.alternatives[0][0]
    assert f'href="{answer_url}"' in html
    assert "Say which nights, too." in html


def test_the_answer_page_shows_the_question_who_asked_and_when(app, world):
    client = signed_in(app, world.member)
    response = client.get(f"/applications/{world.questioned}/respond")
    assert response.status_code == 200
    page = response.text
    assert "Answer the question" in page
    assert "The commissioning team" in page
    assert world.officer_name not in page  # the team asks, not a named officer
    assert "How many young people will come to each session?" in page
    with app.app_context():
        asked_at = db.session.scalar(select(InformationRequest.asked_at))
    assert london_datetime(asked_at) in page
    assert 'data-maxlength="5000"' in page
    assert 'enctype="multipart/form-data"' in page


# Answering ----------------------------------------------------------------------------------


def test_an_answer_with_a_file_sends_the_application_back_to_assessment(app, world):
    client = signed_in(app, world.member)
    response = send_answer(client, world.questioned, ANSWER, file=(PDF, "Timetable.pdf"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{world.questioned}/respond/sent"

    with app.app_context():
        application = db.session.get(Application, world.questioned)
        assert application.status is ApplicationStatus.IN_ASSESSMENT
        [request] = application.information_requests
        # Line breaks are kept, one character each.
        assert request.answer == "About 25 each night.\nTuesdays and Thursdays, 6pm to 8pm."
        assert request.answered_by_id == world.member_id
        assert request.answered_at is not None
        document = request.response_document
        assert document.filename == "Timetable.pdf"
        assert document.application_id == application.id
        assert document.organisation_id == application.organisation_id
        assert document.purpose == "information_response"
        assert application.documents == [document]
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "provide_information",
                AuditEvent.object_id == application.id,
            )
        )
        assert event.from_state == "information_requested"
        assert event.to_state == "in_assessment"
        assert event.actor_id == world.member_id
        assert json.loads(event.changes)["document_id"] == document.id
        document_id = document.id

    sent = client.get(response.headers["Location"])
    assert sent.status_code == 200
    assert "Your answer has been sent" in sent.text
    assert "PF-2627-0001" in sent.text
    with client.get(f"/documents/{document_id}") as download:
        assert download.status_code == 200 and download.data == PDF


def test_an_answer_without_a_file_is_enough(app, world):
    client = signed_in(app, world.member)
    response = send_answer(client, world.questioned, "About 25 each night.")
    assert response.status_code == 302
    after = snapshot(app, world.questioned)
    assert after.status is ApplicationStatus.IN_ASSESSMENT
    assert after.answers == ("About 25 each night.",)
    assert after.documents == 0


@pytest.mark.parametrize("answer", ["", "   \r\n  "])
def test_an_empty_answer_is_refused_and_nothing_changes(app, world, answer):
    client = signed_in(app, world.member)
    before = snapshot(app, world.questioned)
    response = send_answer(client, world.questioned, answer, file=(PDF, "Timetable.pdf"))
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert '<a href="#answer">Enter your answer to the question</a>' in response.text
    assert response.text.count("<title>Error: ") == 1
    assert snapshot(app, world.questioned) == before
    assert stored_objects(app) == []


def test_an_answer_over_5000_characters_is_refused(app, world):
    client = signed_in(app, world.member)
    before = snapshot(app, world.questioned)
    response = send_answer(client, world.questioned, "a" * 5_001)
    assert response.status_code == 400
    assert "Your answer must be 5,000 characters or fewer" in response.text
    assert "a" * 5_001 in response.text  # what they typed is kept, to shorten
    assert snapshot(app, world.questioned) == before


def test_5000_characters_with_line_breaks_fit_as_the_character_count_counts_them(app, world):
    client = signed_in(app, world.member)
    answer = ("a" * 99 + "\r\n") * 49 + "a" * 100  # 5,049 bytes sent, 5,000 characters typed
    response = send_answer(client, world.questioned, answer)
    assert response.status_code == 302
    assert len(snapshot(app, world.questioned).answers[0]) == 5_000


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_kept(app, world):
    client = signed_in(app, world.member)
    before = snapshot(app, world.questioned)
    response = send_answer(
        client, world.questioned, ANSWER, file=(b"MZ\x90\x00" + b"\x00" * 64, "timetable.pdf")
    )
    assert response.status_code == 400
    assert '<a href="#document">The file is not a type we accept</a>' in response.text
    assert "About 25 each night." in response.text  # the answer typed is kept
    assert snapshot(app, world.questioned) == before
    assert stored_objects(app) == []


def test_the_second_of_two_tabs_is_told_someone_else_changed_it(app, world):
    first_tab = signed_in(app, world.member)
    second_tab = signed_in(app, world.member)
    url = f"/applications/{world.questioned}/respond"
    seen = version_on(second_tab.get(url).text)
    assert send_answer(first_tab, world.questioned, "About 25 each night.").status_code == 302
    answered = snapshot(app, world.questioned)

    late = send_answer(
        second_tab, world.questioned, "About 40.", file=(PDF, "Other.pdf"), version=seen
    )
    assert late.status_code == 409
    assert "someone else changed this application" in late.text
    assert "There is no question to answer" in late.text
    assert snapshot(app, world.questioned) == answered
    assert answered.answers == ("About 25 each night.",)
    assert stored_objects(app) == []


def test_a_page_without_a_version_is_treated_as_out_of_date(app, world):
    client = signed_in(app, world.member)
    before = snapshot(app, world.questioned)
    response = send_answer(client, world.questioned, "About 25.", version="")
    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    # The page now carries the current version, so sending again works.
    assert version_on(response.text) == str(before.version)
    assert snapshot(app, world.questioned) == before


def test_a_change_between_the_checks_and_the_move_keeps_no_file(app, world, monkeypatch):
    """Someone else's change can land while the file uploads: the engine refuses the move, and
    the file uploaded for it goes too."""
    real_upload = responses.documents.upload

    def upload_while_someone_else_changes_it(*args, **kwargs):
        document = real_upload(*args, **kwargs)
        with db.engine.begin() as other_connection:
            other_connection.execute(
                update(Application)
                .where(Application.id == world.questioned)
                .values(version=Application.version + 1)
            )
        return document

    monkeypatch.setattr(responses.documents, "upload", upload_while_someone_else_changes_it)
    before = snapshot(app, world.questioned)
    with app.test_request_context():
        member = db.session.get(User, world.member_id)
        with pytest.raises(responses.ChangedMeanwhile):
            responses.answer_question(
                member, world.questioned, "About 25.", io.BytesIO(PDF), "a.pdf", before.version
            )
    after = snapshot(app, world.questioned)
    assert (after.status, after.answers, after.documents, after.events) == (
        before.status,
        before.answers,
        0,
        before.events,
    )
    assert stored_objects(app) == []


def test_there_is_no_question_to_answer_on_an_application_in_assessment(app, world):
    client = signed_in(app, world.member)
    url = f"/applications/{world.assessing}/respond"
    page = client.get(url)
    assert page.status_code == 409
    assert "There is no question to answer" in page.text
    assert 'name="answer"' not in page.text

    before = snapshot(app, world.assessing)
    version = str(before.version)
    response = send_answer(client, world.assessing, ANSWER, (PDF, "a.pdf"), version=version)
    assert response.status_code == 409
    assert "There is no question to answer" in response.text
    assert snapshot(app, world.assessing) == before
    assert stored_objects(app) == []


def test_the_service_refuses_an_answer_when_no_question_is_open(app, world):
    with app.test_request_context():
        member = db.session.get(User, world.member_id)
        with pytest.raises(ServiceError, match="There is no question to answer"):
            responses.answer_question(member, world.assessing, "About 25.", None, None, None)


def test_the_sent_page_needs_an_answer_sent(app, world):
    client = signed_in(app, world.member)
    response = client.get(f"/applications/{world.questioned}/respond/sent")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{world.questioned}"


# Withdrawing --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["questioned", "assessing"])
def test_an_applicant_withdraws_with_a_reason(app, world, which):
    application_id = getattr(world, which)
    client = signed_in(app, world.member)
    page = client.get(f"/applications/{application_id}/withdraw")
    assert page.status_code == 200
    assert "You cannot undo this" in page.text
    assert 'data-maxlength="2000"' in page.text

    response = send_withdrawal(client, application_id, "Our hall closed for repairs.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{application_id}/withdrawn"
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.WITHDRAWN
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "withdraw"))
        assert event.object_id == application_id
        assert event.reason == "Our hall closed for repairs."
        assert event.actor_id == world.member_id
    done = client.get(response.headers["Location"])
    assert done.status_code == 200
    assert "Application withdrawn" in done.text


def test_withdrawing_without_a_reason_is_refused(app, world):
    client = signed_in(app, world.member)
    before = snapshot(app, world.assessing)
    response = send_withdrawal(client, world.assessing, "  ")
    assert response.status_code == 400
    assert '<a href="#reason">Enter why you are withdrawing the application</a>' in response.text
    assert snapshot(app, world.assessing) == before


def test_a_reason_over_2000_characters_is_refused(app, world):
    client = signed_in(app, world.member)
    before = snapshot(app, world.assessing)
    response = send_withdrawal(client, world.assessing, "b" * 2_001)
    assert response.status_code == 400
    assert "Your reason must be 2,000 characters or fewer" in response.text
    assert snapshot(app, world.assessing) == before


def test_withdrawing_after_a_decision_is_refused(app, world):
    with app.test_request_context():
        application = db.session.get(Application, world.assessing)
        decider = db.session.get(User, world.decider_id)
        ready_for_decision(application, decider)
        fire(decider, application, "approve", amount_pence=700_000)
        db.session.commit()
    client = signed_in(app, world.member)
    url = f"/applications/{world.assessing}/withdraw"
    page = client.get(url)
    assert page.status_code == 409
    assert "You cannot withdraw this application" in page.text
    assert "This application is approved" in page.text
    assert 'name="reason"' not in page.text

    before = snapshot(app, world.assessing)
    response = send_withdrawal(client, world.assessing, "Changed our minds", str(before.version))
    assert response.status_code == 409
    assert snapshot(app, world.assessing) == before
    assert before.status is ApplicationStatus.APPROVED
    with app.test_request_context():
        member = db.session.get(User, world.member_id)
        with pytest.raises(ServiceError, match="because it is approved"):
            responses.withdraw(member, world.assessing, "Changed our minds", None)


def test_a_withdrawal_from_a_page_that_is_out_of_date_asks_to_check_again(app, world):
    client = signed_in(app, world.member)
    seen = version_on(client.get(f"/applications/{world.assessing}/withdraw").text)
    with app.test_request_context():
        officer = db.session.get(User, world.officer_id)
        application = db.session.get(Application, world.assessing)
        fire(officer, application, "request_information", reason="Who runs the sessions?")
        db.session.commit()
    before = snapshot(app, world.assessing)

    stale = send_withdrawal(client, world.assessing, "Our hall closed.", version=seen)
    assert stale.status_code == 400
    assert "Someone else changed this while you were working on it" in stale.text
    assert "Our hall closed." in stale.text
    assert snapshot(app, world.assessing) == before

    # Still possible, and the page now shows the current version: a second try works.
    again = send_withdrawal(client, world.assessing, "Our hall closed.", version_on(stale.text))
    assert again.status_code == 302
    assert snapshot(app, world.assessing).status is ApplicationStatus.WITHDRAWN


def test_the_withdrawn_page_needs_a_withdrawn_application(app, world):
    client = signed_in(app, world.member)
    response = client.get(f"/applications/{world.assessing}/withdrawn")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{world.assessing}"


# Who may ------------------------------------------------------------------------------------


def every_route(world: World) -> list[tuple[str, str]]:
    routes = []
    for application_id in (world.questioned, world.assessing):
        base = f"/applications/{application_id}"
        routes += [
            ("GET", f"{base}/respond"),
            ("POST", f"{base}/respond"),
            ("GET", f"{base}/respond/sent"),
            ("GET", f"{base}/withdraw"),
            ("POST", f"{base}/withdraw"),
            ("GET", f"{base}/withdrawn"),
        ]
    return routes


def attempt(client, method: str, url: str, version: int):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/accessibility")
    data = {"csrf_token": token, "version": str(version), "answer": "x", "reason": "x"}
    return client.post(url, data=data)


def test_another_organisations_member_gets_404_on_every_route(app, world):
    client = signed_in(app, world.outsider)
    before = snapshot(app, world.questioned)
    for method, url in every_route(world):
        response = attempt(client, method, url, before.version)
        assert response.status_code == 404, (method, url)
        assert "Saffron Lane" not in response.text and "Boxing" not in response.text
    assert snapshot(app, world.questioned) == before


@pytest.mark.parametrize("role", list(StaffRole))
def test_staff_cannot_answer_or_withdraw_for_an_applicant(app, world, role):
    with app.app_context():
        staff = make_staff(role, f"{role.value}.someone@opcc.example.org")
    client = signed_in(app, staff)
    before = snapshot(app, world.questioned)
    for method, url in every_route(world):
        assert attempt(client, method, url, before.version).status_code == 403, (method, url)
    assert snapshot(app, world.questioned) == before


def test_the_service_refuses_staff_even_without_the_route_rule(app, world):
    with app.test_request_context():
        officer = db.session.get(User, world.officer_id)
        with pytest.raises(ServiceError):
            responses.answer_question(officer, world.questioned, "An answer", None, None, None)
        with pytest.raises(ServiceError):
            responses.withdraw(officer, world.questioned, "A reason", None)
    assert snapshot(app, world.questioned).status is ApplicationStatus.INFORMATION_REQUESTED


# The history on the application pages -------------------------------------------------------


def history(app, application_id: int, can_respond: bool) -> str:
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        return render_template(
            "applications/_information_requests.html",
            application=application,
            can_respond=can_respond,
        )


def test_the_history_is_empty_when_nothing_was_asked(app, world):
    assert history(app, world.assessing, can_respond=True).strip() == ""


def test_an_open_question_shows_with_a_button_for_those_who_may_answer(app, world):
    html = history(app, world.questioned, can_respond=True)
    assert "Questions from the commissioning team" in html
    assert "How many young people will come to each session?" in html
    assert "Not answered yet" in html
    assert f'href="/applications/{world.questioned}/respond"' in html
    assert "Answer the question" in html
    assert "Answer the question" not in history(app, world.questioned, can_respond=False)


def test_questions_and_answers_stay_visible_after_the_answer(app, world):
    client = signed_in(app, world.member)
    send_answer(client, world.questioned, ANSWER, file=(PDF, "Timetable.pdf"))
    with app.test_request_context():
        officer = db.session.get(User, world.officer_id)
        application = db.session.get(Application, world.questioned)
        fire(officer, application, "request_information", reason="And who will run them?")
        db.session.commit()
        document_id = db.session.scalar(select(Document.id))
    html = history(app, world.questioned, can_respond=True)
    assert html.index("How many young people") < html.index("And who will run them?")
    assert "About 25 each night.<br>Tuesdays and Thursdays" in html
    assert f'<a class="govuk-link" href="/documents/{document_id}">Timetable.pdf</a>' in html
    assert html.count("Not answered yet") == 1
    assert "Answer the question" in html
