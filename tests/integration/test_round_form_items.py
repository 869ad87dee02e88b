"""A round chooses which of its form's optional questions and documents it asks for, while it
is a draft. Applicants to it are not asked what it leaves out, and a section is complete
without it; the choice is fixed once the round is published."""

from __future__ import annotations

import re

import pytest

from grants.extensions import db
from grants.models import Application, Round, StaffRole
from tests.conftest import (
    complete_application,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    post_form,
    sign_in_as,
)
from workflows.application_form import incomplete_sections, missing_in, section_named


@pytest.fixture
def draft_round(app):
    with app.app_context():
        round_ = open_round()
        round_.published_at = None
        db.session.add(round_)
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        db.session.commit()
        return {"id": round_.id, "officer": officer}


def officer_client(app, officer):
    client = app.test_client()
    sign_in_as(client, officer)
    return client


def choose(client, round_id, asked):
    return post_form(client, f"/staff/rounds/{round_id}/form", {"asked": asked})


def test_the_page_lists_the_optional_items_all_asked_by_default(app, draft_round):
    page = officer_client(app, draft_round["officer"]).get(
        f"/staff/rounds/{draft_round['id']}/form"
    )
    assert page.status_code == 200
    checked = re.findall(r'name="asked" type="checkbox" value="(\w+)" checked', page.text)
    assert checked == [
        "annual_income",
        "safeguarding_lead",
        "need",
        "who_benefits",
        "beneficiaries",
        "constitution",
        "safeguarding_policy",
        "bank_statement",
        "accounts",
    ]
    assert "Why is the project needed? (full form only)" in page.text


def test_leaving_items_out_takes_them_off_the_form(app, draft_round):
    client = officer_client(app, draft_round["officer"])
    asked = ["annual_income", "safeguarding_lead", "need", "who_benefits", "constitution",
             "safeguarding_policy", "accounts"]  # fmt: skip
    assert choose(client, draft_round["id"], asked).status_code == 302
    with app.app_context():
        round_ = db.session.get(Round, draft_round["id"])
        assert round_.left_out_keys == {"beneficiaries", "bank_statement"}
        organisation = make_organisation()
        member = make_member(organisation)
        application = Application(
            round=round_,
            organisation=organisation,
            created_by_id=member.id,
            amount_requested_pence=500_000,
        )
        db.session.add(application)
        db.session.flush()
        complete_application(application, member.id)
        # The applicant never answers or uploads what the round left out: still complete.
        for answer in list(application.answers):
            if answer.question_key == "beneficiaries":
                application.answers.remove(answer)
        for document in list(application.documents):
            if document.purpose == "bank_statement":
                db.session.delete(document)
        db.session.flush()
        db.session.expire(application, ["documents", "answers"])
        assert incomplete_sections(application) == []
        project = section_named("project", application)
        assert "beneficiaries" not in [q.key for q in project.questions_for(application)]
        documents = section_named("documents", application)
        assert [d.key for d in documents.documents_for(application)] == [
            "constitution",
            "safeguarding_policy",
        ]
        assert missing_in(documents, application) == []
    page = client.get(f"/staff/rounds/{draft_round['id']}").text
    assert "How many people will benefit?; Bank statement" in page


def test_an_item_not_on_the_form_is_refused_and_nothing_changes(app, draft_round):
    client = officer_client(app, draft_round["officer"])
    response = choose(client, draft_round["id"], ["need", "project_title"])
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    with app.app_context():
        assert db.session.get(Round, draft_round["id"]).left_out == ""


def test_the_form_is_fixed_once_published(app, draft_round):
    client = officer_client(app, draft_round["officer"])
    with app.app_context():
        round_ = db.session.get(Round, draft_round["id"])
        round_.published_at = round_.opens_at
        db.session.commit()
    response = choose(client, draft_round["id"], ["need"])
    assert response.status_code == 400
    assert "its form can no longer change" in response.text
    with app.app_context():
        assert db.session.get(Round, draft_round["id"]).left_out == ""


def test_only_commissioning_officers_choose(app, draft_round):
    with app.app_context():
        assessor = make_staff(StaffRole.ASSESSOR)
    client = officer_client(app, assessor)
    assert client.get(f"/staff/rounds/{draft_round['id']}/form").status_code == 403
    officer = officer_client(app, draft_round["officer"])
    assert officer.get("/staff/rounds/99999/form").status_code == 404
