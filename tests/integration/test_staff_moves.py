"""Staff move an application through its lifecycle from its page: only valid buttons show, and
every refusal lands in the GOV.UK error summary with nothing changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import Application, ApplicationStatus, AuditEvent, StaffRole
from tests.conftest import approve_via_page, csrf_token, declare_no_interest, make_staff, sign_in_as
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import APPLICANT
from workflows.engine import fire


@pytest.fixture
def submitted(app):
    with app.test_request_context():
        world = build_world()
        start_history(world)
        application = world.objects["application"]
        fire(world.actors[APPLICANT], application, "submit")
        db.session.commit()
        return {
            "id": application.id,
            "actors": {role: user.id for role, user in world.actors.items() if user is not None},
            "applicant": world.actors[APPLICANT],
        }


def staff_client(app, role: StaffRole, application_id: int | None = None):
    """A staff member signed in; with an application, they have declared no interest in it."""
    client = app.test_client()
    with app.app_context():
        user = make_staff(role, f"{role.value}.mover@opcc.example.org")
        if application_id is not None:
            declare_no_interest(user.id, db.session.get(Application, application_id))
            db.session.commit()
        sign_in_as(client, user)
    return client


def version_of(app, application_id: int) -> int:
    with app.app_context():
        return db.session.get(Application, application_id).version


def status_of(app, application_id: int) -> ApplicationStatus:
    with app.app_context():
        return db.session.get(Application, application_id).status


def events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def move(client, application_id, trigger, version, **fields):
    if trigger == "approve":  # approving is on its own page: it makes the offer
        return approve_via_page(client, application_id, version, **fields)
    token = csrf_token(client, f"/staff/applications/{application_id}")
    data = {f"{trigger}-csrf_token": token, f"{trigger}-version": version}
    data.update({f"{trigger}-{name}": value for name, value in fields.items()})
    return client.post(f"/staff/applications/{application_id}/moves/{trigger}", data=data)


def test_officer_sees_only_the_moves_they_may_make(app, submitted):
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER)
    page = officer.get(f"/staff/applications/{submitted['id']}").text
    buttons = re.findall(r"action=\"/staff/applications/\d+/moves/(\w+)\"", page)
    assert buttons == ["start_assessment"]
    finance = staff_client(app, StaffRole.FINANCE)
    assert "What you can do" not in finance.get(f"/staff/applications/{submitted['id']}").text


def test_application_moves_to_a_decision_with_one_event_per_move(app, submitted):
    application_id = submitted["id"]
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER)
    before = events(app)
    response = move(officer, application_id, "start_assessment", version_of(app, application_id))
    assert response.status_code == 302
    assert status_of(app, application_id) is ApplicationStatus.IN_ASSESSMENT

    decider = staff_client(app, StaffRole.DECISION_MAKER, application_id)
    response = move(
        decider, application_id, "approve", version_of(app, application_id), amount="8,000"
    )
    assert response.status_code == 302
    assert status_of(app, application_id) is ApplicationStatus.APPROVED
    # Two moves of the application, then the offer approving made: the award, its one
    # payment and its one return (the project lasts a day), each created through the engine.
    assert events(app) == before + 5
    with app.app_context():
        created = db.session.scalars(
            select(AuditEvent.object_type)
            .where(AuditEvent.action == "create")
            .order_by(AuditEvent.seq)
        ).all()
    assert created[-3:] == ["award", "payment", "monitoring_return"]


def test_refusals_show_in_the_error_summary_and_change_nothing(app, submitted):
    application_id = submitted["id"]
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER)
    move(officer, application_id, "start_assessment", version_of(app, application_id))
    decider = staff_client(app, StaffRole.DECISION_MAKER, application_id)
    version = version_of(app, application_id)
    before = events(app)

    too_much = move(decider, application_id, "approve", version, amount="50,000")
    assert too_much.status_code == 400
    assert "govuk-error-summary" in too_much.text
    assert "cannot be more than the amount requested" in too_much.text

    not_money = move(decider, application_id, "approve", version, amount="lots")
    assert "Enter an amount in pounds and pence" in not_money.text
    assert 'href="#amount"' in not_money.text

    no_reason = move(decider, application_id, "reject", version, reason="")
    assert "Enter the reasons for rejecting the application" in no_reason.text

    assessor = staff_client(app, StaffRole.ASSESSOR)
    # Assessors never reach the approval page (the engine would refuse them too).
    not_theirs = move(assessor, application_id, "approve", version, amount="100")
    assert not_theirs.status_code == 403

    wrong_state = move(officer, application_id, "start_assessment", version)
    assert "because the application is in assessment" in wrong_state.text

    assert status_of(app, application_id) is ApplicationStatus.IN_ASSESSMENT
    assert events(app) == before


def test_two_tabs_the_second_decision_is_told_someone_else_changed_it(app, submitted):
    application_id = submitted["id"]
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER, application_id)
    move(officer, application_id, "start_assessment", version_of(app, application_id))
    seen = version_of(app, application_id)
    decider = staff_client(app, StaffRole.DECISION_MAKER, application_id)
    assert move(decider, application_id, "approve", seen, amount="8000").status_code == 302
    second = move(officer, application_id, "reject", seen, reason="Not eligible")
    assert second.status_code == 400
    assert "Someone else changed this while you were working on it" in second.text
    assert status_of(app, application_id) is ApplicationStatus.APPROVED


def test_applicants_cannot_use_staff_moves(app, submitted):
    client = app.test_client()
    sign_in_as(client, submitted["applicant"])
    token = csrf_token(client, "/accessibility")
    response = client.post(
        f"/staff/applications/{submitted['id']}/moves/withdraw",
        data={"withdraw-csrf_token": token, "withdraw-version": "1", "withdraw-reason": "x"},
    )
    assert response.status_code == 403
    assert status_of(app, submitted["id"]) is ApplicationStatus.SUBMITTED


def test_a_decision_can_be_withheld_from_the_register_with_its_exemption(app, submitted):
    application_id = submitted["id"]
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER)
    move(officer, application_id, "start_assessment", version_of(app, application_id))
    decider = staff_client(app, StaffRole.DECISION_MAKER, application_id)
    exemption = "Section 38 of the Freedom of Information Act: health and safety"
    response = move(
        decider,
        application_id,
        "approve",
        version_of(app, application_id),
        amount="8,000",
        exemption=exemption,
    )
    assert response.status_code == 302
    with app.app_context():
        record = db.session.get(Application, application_id).decision_record
        assert (record.published, record.exemption) == (False, exemption)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "approve")).one()
        assert exemption in event.changes
    page = decider.get(f"/staff/applications/{application_id}").text
    assert "Withheld" in page or "withheld" in page


def test_without_an_exemption_a_decision_is_published(app, submitted):
    application_id = submitted["id"]
    officer = staff_client(app, StaffRole.COMMISSIONING_OFFICER)
    move(officer, application_id, "start_assessment", version_of(app, application_id))
    decider = staff_client(app, StaffRole.DECISION_MAKER, application_id)
    reason = "Not eligible: the project is outside the area"
    response = move(
        decider, application_id, "reject", version_of(app, application_id), reason=reason
    )
    assert response.status_code == 302
    with app.app_context():
        record = db.session.get(Application, application_id).decision_record
        assert (record.published, record.exemption, record.decision) == (True, None, "rejected")
        assert record.summary == reason
