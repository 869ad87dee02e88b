"""An officer's request for changes to a CSP plan sends it back to the partnership as a draft:
its actions and budget lines can be changed, and it is submitted again with its reference, even
after the round has closed. The engine refuses a request without the changes asked for, a
resubmission of an incomplete plan, and lapsing a plan sent back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from grants.extensions import db
from grants.models import Application, ApplicationStatus, AuditEvent, StaffRole, User, utcnow
from tests.conftest import make_staff, post_form, sign_in_as
from tests.integration.test_apply import add_budget_line, mark, save, submit
from tests.integration.test_csp_plan import csp  # noqa: F401  (the fixture)
from workflows.engine import fire
from workflows.errors import GuardFailed, NotAllowedFromState

SIGN_OFF = {
    "declare_agreed": "y",
    "declare_true": "y",
    "declarant_name": "Priya Shah",
    "declarant_role": "Community Safety Manager",
}


@pytest.fixture
def submitted_plan(client, csp):  # noqa: F811
    """Blaby's plan, complete and submitted with one £12,000 action, then in assessment."""
    from tests.integration.test_apply import add_output

    save(client, csp, "partnership", {
        "responsible_officer": "Priya Shah", "responsible_officer_role": "Community Safety Manager",
        "contact_phone": "0116 275 0555",
    })  # fmt: skip
    save(client, csp, "plan", {
        "project_title": "Blaby CSP plan", "local_priorities": "ASB in Enderby.",
        "priorities": "asb", "places": "E07000129",
        "start_date": ["1", "4", "2026"], "end_date": ["31", "3", "2027"],
    })  # fmt: skip
    add_budget_line(client, csp, "12,000", "Diversionary activity")
    mark(client, csp, "budget")
    add_output(client, csp)
    save(client, csp, "outcomes", {"outcomes": "Fewer ASB reports."})
    save(client, csp, "sign_off", SIGN_OFF)
    assert submit(client, csp).status_code == 302
    plan = db.session.get(Application, csp)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    fire(officer, plan, "start_assessment")
    db.session.commit()
    return {"id": csp, "officer": officer}


def test_asking_for_changes_reopens_the_plans_actions_and_it_is_sent_again(
    app, client, submitted_plan, outbox
):
    plan_id, officer = submitted_plan["id"], submitted_plan["officer"]
    plan = db.session.get(Application, plan_id)
    reference = plan.reference
    staff = app.test_client()
    sign_in_as(staff, officer)
    page = staff.get(f"/staff/applications/{plan_id}").text
    assert "Send back for changes" in page
    url = f"/staff/applications/{plan_id}/moves/request_changes"
    refused = post_form(
        staff,
        url,
        {"request_changes-version": str(plan.version)},
        token_from=f"/staff/applications/{plan_id}",
    )
    assert refused.status_code == 400 and "Enter the changes you are asking for" in refused.text
    db.session.expire_all()
    assert db.session.get(Application, plan_id).status is ApplicationStatus.IN_ASSESSMENT
    asked = post_form(
        staff,
        url,
        {
            "request_changes-version": str(plan.version),
            "request_changes-reason": "Add the Narborough patrols and their cost.",
        },
        token_from=f"/staff/applications/{plan_id}",
    )
    assert asked.status_code == 302
    db.session.expire_all()
    plan = db.session.get(Application, plan_id)
    assert plan.status is ApplicationStatus.DRAFT and plan.reference == reference
    [email] = [m for m in outbox if "Changes asked for" in m.subject]
    assert (
        "Add the Narborough patrols" in email.body
        and f"/applications/{plan_id}/tasks" in email.body
    )

    # The partnership sees what was asked, changes its actions and sends the plan again.
    dashboard = client.get(f"/organisations/{plan.organisation_id}").text
    assert "Make the changes asked for to Blaby CSP plan" in dashboard
    assert "Add the Narborough patrols and their cost." in dashboard
    assert add_budget_line(client, plan_id, "3,500", "Narborough patrols").status_code == 302
    assert mark(client, plan_id, "budget").status_code == 302
    assert submit(client, plan_id).status_code == 302
    db.session.expire_all()
    plan = db.session.get(Application, plan_id)
    assert plan.status is ApplicationStatus.SUBMITTED and plan.reference == reference
    assert plan.amount_requested_pence == 1_550_000
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_id == plan_id, AuditEvent.object_type == "application")
            .order_by(AuditEvent.seq)
        )
    ]
    assert actions == ["create", "submit", "start_assessment", "request_changes", "submit"]


def test_a_plan_sent_back_is_sent_again_after_the_round_closes_but_not_incomplete(
    client, submitted_plan
):
    plan = db.session.get(Application, submitted_plan["id"])
    fire(submitted_plan["officer"], plan, "request_changes", reason="Cost the patrols.")
    plan.round.closes_at = utcnow() - dt.timedelta(days=1)
    db.session.commit()
    # The sweep does not lapse it: the changes are awaited.
    with pytest.raises(GuardFailed, match="sent back for changes does not lapse"):
        fire(None, plan, "lapse")
    db.session.rollback()
    # Removing the only action leaves the budget section incomplete: the engine refuses it.
    line_id = plan.budget_lines[0].id
    response = post_form(
        client,
        f"/applications/{plan.id}/budget/{line_id}/remove",
        {},
        token_from=f"/applications/{plan.id}/sections/budget",
    )
    assert response.status_code == 302
    db.session.expire_all()
    plan = db.session.get(Application, submitted_plan["id"])
    member = db.session.get(User, plan.created_by_id)
    with pytest.raises(GuardFailed, match="Complete every section"):
        fire(member, plan, "submit")
    db.session.rollback()
    assert add_budget_line(client, plan.id, "9,000", "Diversionary activity").status_code == 302
    assert mark(client, plan.id, "budget").status_code == 302
    assert submit(client, plan.id).status_code == 302  # the round has closed: still allowed
    db.session.expire_all()
    assert db.session.get(Application, plan.id).status is ApplicationStatus.SUBMITTED


def test_only_staff_send_back_and_only_from_assessment(submitted_plan):
    plan = db.session.get(Application, submitted_plan["id"])
    with pytest.raises(GuardFailed, match="Enter the changes"):
        fire(submitted_plan["officer"], plan, "request_changes")
    db.session.rollback()
    fire(submitted_plan["officer"], plan, "request_changes", reason="Cost the patrols.")
    with pytest.raises(NotAllowedFromState):
        fire(submitted_plan["officer"], plan, "request_changes", reason="Again")
