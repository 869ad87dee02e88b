"""Applying for a Prevention Fund grant: start, the task list, each section saved as you go,
check your answers, submit with a reference and an email, and read-only afterwards."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Document,
    MembershipRole,
    Place,
    Priority,
    Round,
    utcnow,
)
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    open_round,
    post_form,
    sign_in_as,
)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"

ORGANISATION_ANSWERS = {
    "contact_name": "Amara Okafor",
    "contact_role": "Treasurer",
    "contact_phone": "0116 496 0000",
    "annual_income": "12,500",
}
PROJECT_ANSWERS = {
    "project_title": "Friday night boxing",
    "project_summary": "Boxing sessions on Friday nights for young people on the estate.",
    "priorities": "asb",
    "places": "E06000016",
    "who_benefits": "Young people aged 11 to 16 on the Saffron estate",
    "beneficiaries": "40",
    # The three boxes of a GOV.UK date input share the field's name.
    "start_date": ["1", "4", "2026"],
    "end_date": ["31", "3", "2027"],
}
DECLARATIONS = {
    "declare_true": "y",
    "declare_eligible": "y",
    "declare_data": "y",
    "declarant_name": "Amara Okafor",
    "declarant_role": "Treasurer",
}


@pytest.fixture
def applicant(ctx):
    round_ = open_round()
    db.session.add_all(
        [
            round_,
            Priority(code="asb", name="Anti-social behaviour"),
            Priority(code="knife-crime", name="Knife crime"),
            Place(name="Leicester", gss_code="E06000016"),
            Place(name="Rutland", gss_code="E06000017"),
        ]
    )
    db.session.commit()
    organisation = make_organisation("Saffron Lane Boxing Club")
    user = make_member(organisation, "treasurer@saffron.example.org")
    return {"user": user, "organisation_id": organisation.id, "round_id": round_.id}


@pytest.fixture
def started(client, applicant):
    sign_in_as(client, applicant["user"])
    response = post_form(
        client,
        f"/funding/{applicant['round_id']}/apply",
        {"organisation": str(applicant["organisation_id"])},
    )
    assert response.status_code == 302
    application_id = int(re.search(r"/applications/(\d+)/tasks", response.location).group(1))
    return {**applicant, "application_id": application_id}


def section_url(application_id: int, key: str) -> str:
    return f"/applications/{application_id}/sections/{key}"


def revision_on(client, url: str) -> str:
    match = re.search(r'name="revision" type="hidden" value="(\d+)"', client.get(url).text)
    assert match, f"no revision on {url}"
    return match.group(1)


def save(client, application_id: int, key: str, answers: dict, completed: str = "yes"):
    url = section_url(application_id, key)
    return post_form(
        client, url, {**answers, "completed": completed, "revision": revision_on(client, url)}
    )


def add_budget_line(client, application_id: int, amount: str = "4,500", category="Coaches"):
    url = f"/applications/{application_id}/budget/add"
    return post_form(
        client,
        url,
        {
            "financial_year": "2026",
            "category": category,
            "description": "Two coaches",
            "amount": amount,
            "revision": revision_on(client, url),
        },
    )


def add_output(client, application_id: int, target: str = "40"):
    url = f"/applications/{application_id}/outcomes/add"
    return post_form(
        client,
        url,
        {
            "description": "Young people attend 10 sessions",
            "target": target,
            "revision": revision_on(client, url),
        },
    )


def upload(client, application_id: int, slot: str, data: bytes = PDF, name: str = "doc.pdf"):
    url = f"/applications/{application_id}/documents/{slot}"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def mark(client, application_id: int, key: str, completed: str = "yes"):
    return save(client, application_id, key, {}, completed)


def complete_everything(client, application_id: int) -> None:
    assert save(client, application_id, "organisation", ORGANISATION_ANSWERS).status_code == 302
    assert save(client, application_id, "project", PROJECT_ANSWERS).status_code == 302
    assert add_budget_line(client, application_id).status_code == 302
    assert mark(client, application_id, "budget").status_code == 302
    assert add_output(client, application_id).status_code == 302
    outcomes = {"outcomes": "Fewer calls about young people on the estate on Friday nights."}
    assert save(client, application_id, "outcomes", outcomes).status_code == 302
    for slot in ("constitution", "safeguarding_policy", "bank_statement"):
        assert upload(client, application_id, slot).status_code == 302
    assert mark(client, application_id, "documents").status_code == 302
    assert save(client, application_id, "declarations", DECLARATIONS).status_code == 302


def submit(client, application_id: int):
    url = f"/applications/{application_id}/check"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(url).text)
    assert version, "no submit form on the check answers page"
    return post_form(client, url, {"version": version.group(1)})


def application(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


# Starting -----------------------------------------------------------------------------------


def test_starting_creates_a_draft_through_the_engine(client, started):
    found = application(started["application_id"])
    assert found.status is ApplicationStatus.DRAFT
    assert found.organisation_id == started["organisation_id"]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "application")
    ).all()
    assert [e.action for e in events] == ["create"]
    page = client.get(f"/applications/{found.id}/tasks").text
    assert "You have completed 0 of 6 sections" in page
    assert "Not yet started" in page


def test_start_needs_an_organisation_of_your_own(client, applicant):
    other = make_organisation("Somebody Else CIC")
    sign_in_as(client, applicant["user"])
    response = post_form(
        client, f"/funding/{applicant['round_id']}/apply", {"organisation": str(other.id)}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_a_closed_round_cannot_be_started(client, applicant):
    round_ = db.session.get(Round, applicant["round_id"])
    round_.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    sign_in_as(client, applicant["user"])
    page = client.get(f"/funding/{applicant['round_id']}/apply")
    assert "not open for applications" in page.text
    response = client.post(
        f"/funding/{applicant['round_id']}/apply",
        data={
            "organisation": str(applicant["organisation_id"]),
            "csrf_token": csrf_token(client, "/sign-in"),
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_starting_needs_sign_in(client, applicant):
    response = client.get(f"/funding/{applicant['round_id']}/apply")
    assert response.status_code == 302 and "/sign-in" in response.location


# Sections -----------------------------------------------------------------------------------


def test_a_section_saved_for_later_needs_no_answers_and_is_in_progress(client, started):
    application_id = started["application_id"]
    response = save(client, application_id, "organisation", {"contact_name": "Amara"}, "no")
    assert response.status_code == 302
    page = client.get(f"/applications/{application_id}/tasks").text
    assert "In progress" in page
    assert application(application_id).answer_map["contact_name"] == "Amara"


def test_marking_a_section_complete_needs_every_answer_and_saves_nothing_otherwise(client, started):
    application_id = started["application_id"]
    response = save(client, application_id, "organisation", {"contact_name": "Amara"}, "yes")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter an answer to &#39;Their phone number&#39;" in response.text
    assert 'href="#contact_phone"' in response.text
    assert application(application_id).answer_map == {}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_summary": "word " * 151}, "Summary of your project must be 150 words or fewer"),
        ({"project_title": "x" * 201}, "Project title must be 200 characters or fewer"),
        ({"beneficiaries": "forty"}, "How many people will benefit? must be a whole number"),
        (
            {"start_date": ["30", "2", "2026"]},
            "When will the project start? must be a real date",
        ),
        (
            {"start_date": ["1", "", "2026"]},
            "When will the project start? must include a month",
        ),
        ({"places": "E99999999"}, "Select from the options given"),
    ],
)
def test_answers_in_the_wrong_shape_are_refused_and_nothing_is_saved(
    client, started, answers, message
):
    application_id = started["application_id"]
    response = save(client, application_id, "project", answers, "no")
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert application(application_id).answer_map == {}
    assert application(application_id).project_title == ""


def test_the_end_date_cannot_be_before_the_start(client, started):
    answers = {**PROJECT_ANSWERS, "end_date": ["1", "3", "2026"]}
    response = save(client, started["application_id"], "project", answers)
    assert response.status_code == 400
    assert "The project must end on or after the day it starts" in response.text
    assert 'href="#end_date-day"' in response.text
    assert application(started["application_id"]).answer_map == {}


def test_a_page_saved_over_a_colleagues_newer_save_is_refused(client, app, started):
    application_id = started["application_id"]
    colleague = make_member(
        application(application_id).organisation,
        "coach@saffron.example.org",
        MembershipRole.MEMBER,
    )
    url = section_url(application_id, "organisation")
    stale_revision = revision_on(client, url)
    other = app.test_client()
    sign_in_as(other, colleague)
    assert (
        save(other, application_id, "organisation", {"contact_name": "Coach Dee"}, "no").status_code
        == 302
    )
    response = post_form(
        client, url, {"contact_name": "Amara", "completed": "no", "revision": stale_revision}
    )
    assert response.status_code == 400
    assert "Someone else in your organisation saved this section" in response.text
    assert 'value="Coach Dee"' in response.text
    assert application(application_id).answer_map["contact_name"] == "Coach Dee"


def test_budget_lines_add_up_to_the_amount_requested(client, started):
    application_id = started["application_id"]
    assert add_budget_line(client, application_id, "4,500").status_code == 302
    assert add_budget_line(client, application_id, "1250.50", "Venue").status_code == 302
    assert application(application_id).amount_requested_pence == 575_050
    page = client.get(section_url(application_id, "budget")).text
    assert "£5,750.50" in page
    line_id = application(application_id).budget_lines[0].id
    response = post_form(
        client,
        f"/applications/{application_id}/budget/{line_id}/remove",
        {},
        token_from=section_url(application_id, "budget"),
    )
    assert response.status_code == 302
    assert application(application_id).amount_requested_pence == 125_050


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter an amount in pounds"),
        ("12.345", "Enter an amount in pounds and pence"),
        ("-5", "Enter an amount in pounds and pence"),
        ("0", "Enter an amount between"),
        ("2000000", "Enter an amount between"),
        ("£1e5", "Enter an amount in pounds and pence"),
    ],
)
def test_budget_amounts_must_be_money(client, started, amount, message):
    response = add_budget_line(client, started["application_id"], amount)
    assert response.status_code == 400
    assert message in response.text
    assert application(started["application_id"]).budget_lines == []


def test_a_budget_line_in_a_year_the_round_does_not_fund_is_refused(client, started):
    url = f"/applications/{started['application_id']}/budget/add"
    response = post_form(
        client,
        url,
        {"financial_year": "2031", "category": "Coaches", "amount": "100", "revision": "0"},
    )
    assert response.status_code == 400
    assert application(started["application_id"]).budget_lines == []


def test_an_output_target_must_be_a_whole_number(client, started):
    for target, message in [
        ("", "Enter the target"),
        ("forty", "whole number"),
        ("0", "1 or more"),
    ]:
        response = add_output(client, started["application_id"], target)
        assert response.status_code == 400
        assert message in response.text
    assert application(started["application_id"]).output_targets == []


def test_a_bigger_budget_moves_the_application_onto_the_full_form(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    assert "Completed" in client.get(f"/applications/{application_id}/tasks").text
    assert add_budget_line(client, application_id, "6,000", "Mentor").status_code == 302
    found = application(application_id)
    assert found.uses_full_form  # £10,500 is over the £10,000 threshold
    page = client.get(f"/applications/{application_id}/tasks").text
    assert "there are a few more questions" in page
    check = client.get(f"/applications/{application_id}/check").text
    assert "Latest annual accounts" in check
    assert "Accept and send" not in check


def test_documents_are_uploaded_per_slot_and_a_second_upload_is_a_new_version(client, started):
    application_id = started["application_id"]
    assert (
        upload(client, application_id, "constitution", name="constitution v1.pdf").status_code
        == 302
    )
    assert (
        upload(client, application_id, "constitution", name="constitution v2.pdf").status_code
        == 302
    )
    documents = db.session.scalars(select(Document).order_by(Document.id)).all()
    assert [(d.filename, d.version, d.application_id) for d in documents] == [
        ("constitution v1.pdf", 1, application_id),
        ("constitution v2.pdf", 2, application_id),
    ]
    assert documents[1].lineage_id == documents[0].id
    page = client.get(section_url(application_id, "documents")).text
    assert "constitution v2.pdf" in page and "constitution v1.pdf" not in page


def test_a_file_of_the_wrong_type_is_refused(client, started):
    response = upload(
        client, started["application_id"], "constitution", b"MZ\x90\x00" * 40, "x.pdf"
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_an_unknown_section_or_slot_is_not_found(client, started):
    assert client.get(section_url(started["application_id"], "nonsense")).status_code == 404
    assert (
        client.get(f"/applications/{started['application_id']}/documents/passport").status_code
        == 404
    )


# Submitting ---------------------------------------------------------------------------------


def test_submit_gives_a_reference_sends_an_email_and_locks_the_application(client, started, outbox):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    response = submit(client, application_id)
    assert response.status_code == 302
    assert response.location.endswith(f"/applications/{application_id}/submitted")
    found = application(application_id)
    assert found.status is ApplicationStatus.SUBMITTED
    assert found.reference == "PF-2627-0001"
    assert "PF-2627-0001" in client.get(response.location).text
    assert any("PF-2627-0001" in message.subject for message in outbox)
    # Read-only from now on: pages say so and change nothing.
    edit = post_form(
        client,
        section_url(application_id, "organisation"),
        {"contact_name": "Changed", "completed": "no", "revision": "9"},
        token_from=f"/applications/{application_id}",
    )
    assert edit.status_code == 409
    assert "can no longer be changed" in edit.text
    assert application(application_id).answer_map["contact_name"] == "Amara Okafor"
    assert upload(client, application_id, "constitution").status_code == 409
    summary = client.get(f"/applications/{application_id}").text
    assert "Friday night boxing" in summary and "Amara Okafor" in summary


def test_references_count_up_within_a_round_and_year(client, app, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    assert submit(client, application_id).status_code == 302
    second = post_form(
        client,
        f"/funding/{started['round_id']}/apply",
        {"organisation": str(started["organisation_id"])},
    )
    second_id = int(re.search(r"/applications/(\d+)/tasks", second.location).group(1))
    complete_everything(client, second_id)
    assert submit(client, second_id).status_code == 302
    assert application(second_id).reference == "PF-2627-0002"


def test_submitting_twice_from_two_tabs_submits_once(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    url = f"/applications/{application_id}/check"
    page = client.get(url).text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    token = csrf_token(client, url)
    first = client.post(url, data={"version": version, "csrf_token": token})
    second = client.post(url, data={"version": version, "csrf_token": token})
    assert first.status_code == 302
    assert second.status_code == 409
    submits = db.session.scalar(
        select(func.count(AuditEvent.seq)).where(AuditEvent.action == "submit")
    )
    assert submits == 1


def test_a_submit_from_an_out_of_date_page_is_refused(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    url = f"/applications/{application_id}/check"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(url).text).group(
        1
    )
    assert add_output(client, application_id).status_code == 302  # a colleague adds an output
    response = post_form(client, url, {"version": version})
    assert response.status_code == 400
    assert application(application_id).status is ApplicationStatus.DRAFT


def test_submit_after_the_round_closed_is_refused(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    url = f"/applications/{application_id}/check"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(url).text).group(
        1
    )
    found = application(application_id)
    found.round.closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    response = post_form(client, url, {"version": version})
    assert response.status_code == 400
    assert "This funding round is closed" in response.text
    assert application(application_id).status is ApplicationStatus.DRAFT
    assert application(application_id).reference is None


def test_an_incomplete_application_shows_what_is_missing_and_cannot_be_submitted(client, started):
    application_id = started["application_id"]
    page = client.get(f"/applications/{application_id}/check").text
    assert "These sections are not complete yet" in page
    assert "Accept and send" not in page
    version = str(application(application_id).version)
    response = post_form(client, f"/applications/{application_id}/check", {"version": version})
    assert response.status_code == 400
    assert "Complete every section before you submit" in response.text
    assert application(application_id).status is ApplicationStatus.DRAFT


def test_an_amount_outside_the_rounds_limits_cannot_be_submitted(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    assert add_budget_line(client, application_id, "30,000", "Building").status_code == 302
    # Now on the full form: answer its extra questions so only the amount is wrong.
    assert (
        save(
            client,
            application_id,
            "organisation",
            {**ORGANISATION_ANSWERS, "safeguarding_lead": "Jo"},
        ).status_code
        == 302
    )
    assert (
        save(
            client, application_id, "project", {**PROJECT_ANSWERS, "need": "Calls doubled."}
        ).status_code
        == 302
    )
    assert mark(client, application_id, "budget").status_code == 302
    assert upload(client, application_id, "accounts").status_code == 302
    assert mark(client, application_id, "documents").status_code == 302
    response = submit(client, application_id)
    assert response.status_code == 400
    assert "The amount requested must be between £500 and £25,000" in response.text


# Another organisation -----------------------------------------------------------------------


def test_another_organisations_application_is_not_found_on_every_page(client, app, started):
    application_id = started["application_id"]
    outsider = make_member(make_organisation("Another Club"), "owner@another.example.org")
    other = app.test_client()
    sign_in_as(other, outsider)
    for url in [
        f"/applications/{application_id}",
        f"/applications/{application_id}/tasks",
        section_url(application_id, "project"),
        section_url(application_id, "budget"),
        f"/applications/{application_id}/budget/add",
        f"/applications/{application_id}/outcomes/add",
        f"/applications/{application_id}/documents/constitution",
        f"/applications/{application_id}/check",
        f"/applications/{application_id}/submitted",
    ]:
        assert other.get(url).status_code == 404, url
    token = csrf_token(other, "/sign-in")
    for url in [
        section_url(application_id, "organisation"),
        f"/applications/{application_id}/check",
        f"/applications/{application_id}/budget/1/remove",
    ]:
        response = other.post(
            url,
            data={
                "csrf_token": token,
                "contact_name": "Hijack",
                "completed": "no",
                "revision": "0",
                "version": "1",
            },
        )
        assert response.status_code == 404, url
    assert application(application_id).answer_map == {}


def test_a_change_made_from_check_your_answers_returns_there(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    check = client.get(f"/applications/{application_id}/check").text
    change = f"/applications/{application_id}/sections/organisation?from=check"
    assert change in check.replace("&amp;", "&")
    response = post_form(
        client,
        change,
        {
            **ORGANISATION_ANSWERS,
            "contact_name": "Dee",
            "completed": "yes",
            "revision": revision_on(client, change),
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/applications/{application_id}/check")


def test_removing_a_line_or_output_after_submission_is_refused(client, started):
    application_id = started["application_id"]
    complete_everything(client, application_id)
    assert submit(client, application_id).status_code == 302
    found = application(application_id)
    line_id, target_id = found.budget_lines[0].id, found.output_targets[0].id
    token = csrf_token(client, f"/applications/{application_id}")
    for url in [
        f"/applications/{application_id}/budget/{line_id}/remove",
        f"/applications/{application_id}/outcomes/{target_id}/remove",
    ]:
        assert client.post(url, data={"csrf_token": token}).status_code == 409
    found = application(application_id)
    assert [line.id for line in found.budget_lines] == [line_id]
    assert [target.id for target in found.output_targets] == [target_id]
