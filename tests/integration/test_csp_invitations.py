"""Invitations to a CSP plan round: the officer invites every partnership with a confirmed
allocation for the year, each partnership's members are emailed and see the invitation on
their dashboard, and only an invited partnership may start a plan there. The commissioning
officer's dashboard lists the partnerships flagged for underspend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Application,
    OrganisationType,
    OutboxJob,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    Round,
    StaffRole,
    utcnow,
)
from grants.models.csp import CspInvitation
from grants.services import apply, csp
from grants.services.errors import NotFound, ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as

YEAR = 2026


def plan_round_world() -> dict:
    """A CSP programme with a plan round open now; Charnwood and Melton with allocations
    confirmed, Rutland with none; a community group."""
    programme = Programme(name="CSP funding", slug="csp", kind=ProgrammeKind.CSP_ALLOCATION)
    programme.budgets.append(ProgrammeBudget(financial_year=YEAR, amount_pence=50_000_000))
    now = utcnow()
    round_ = Round(
        programme=programme, name="CSP annual plans 2026/27", reference_prefix="CSP",
        financial_year=YEAR, opens_at=now - dt.timedelta(days=3),
        published_at=now - dt.timedelta(days=4), closes_at=now + dt.timedelta(days=20),
        budget_pence=50_000_000, min_award_pence=100_000, max_award_pence=15_000_000,
        short_form_threshold_pence=0, invitation_only=True,
    )  # fmt: skip
    db.session.add_all([programme, round_])
    db.session.commit()
    csps = {
        name: make_organisation(name, org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
        for name in ("Charnwood CSP", "Melton CSP")
    }
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    choice = csp.MethodChoice(csp.FLAT, flat_pence=6_000_000)
    csp.set_method(officer, programme.id, YEAR, choice)
    csp.confirm_allocations(officer, programme.id, YEAR)
    # Rutland became a partnership of the scheme after the year's allocations were confirmed.
    rutland = make_organisation(
        "Rutland CSP", org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP
    )
    group = make_organisation("Braunstone Youth Club")
    return {
        "round": round_,
        "officer": officer,
        "charnwood": csps["Charnwood CSP"],
        "melton": csps["Melton CSP"],
        "rutland": rutland,
        "group": group,
        "members": {
            "charnwood": make_member(csps["Charnwood CSP"], "joe@charnwood.example.org"),
            "melton": make_member(csps["Melton CSP"], "lucy@melton.example.org"),
            "rutland": make_member(rutland, "mark@rutland.example.org"),
            "group": make_member(group, "treasurer@braunstone.example.org"),
        },
    }


def applications() -> int:
    return db.session.scalar(select(func.count()).select_from(Application))


def test_inviting_asks_every_partnership_with_a_confirmed_allocation_once(ctx):
    world = plan_round_world()
    invited = csp.invite_partnerships(world["officer"], world["round"].id)
    assert {i.organisation_id for i in invited} == {world["charnwood"].id, world["melton"].id}
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.job == "email.csp_invitation"))
    assert len(jobs.all()) == 2
    with pytest.raises(ServiceError, match="is invited already"):
        csp.invite_partnerships(world["officer"], world["round"].id)
    assert db.session.scalar(select(func.count()).select_from(CspInvitation)) == 2


def test_nobody_is_invited_before_the_allocations_are_confirmed_or_after_the_round_closes(ctx):
    world = plan_round_world()
    round_ = world["round"]
    round_.financial_year = YEAR + 1  # a year with no allocations
    db.session.commit()
    with pytest.raises(ServiceError, match="No partnership has a confirmed allocation for 2027/28"):
        csp.invite_partnerships(world["officer"], round_.id)
    round_.financial_year = YEAR
    round_.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="has closed"):
        csp.invite_partnerships(world["officer"], round_.id)
    for role in (StaffRole.ASSESSOR, StaffRole.FINANCE):
        with pytest.raises(NotFound):
            csp.invite_partnerships(make_staff(role), round_.id)
    assert db.session.scalar(select(func.count()).select_from(CspInvitation)) == 0


def test_only_an_invited_partnership_can_start_a_plan(ctx):
    world = plan_round_world()
    round_id = world["round"].id
    csp.invite_partnerships(world["officer"], round_id)
    members = world["members"]
    with pytest.raises(ServiceError, match="Braunstone Youth Club cannot apply to it"):
        apply.start(members["group"], round_id, world["group"].id)
    with pytest.raises(ServiceError, match="Rutland CSP has not been invited"):
        apply.start(members["rutland"], round_id, world["rutland"].id)
    assert applications() == 0
    plan = apply.start(members["charnwood"], round_id, world["charnwood"].id)
    assert plan.organisation_id == world["charnwood"].id and applications() == 1


def test_the_start_page_refuses_the_uninvited_with_the_error_summary(app, client):
    with app.app_context():
        world = plan_round_world()
        round_id = world["round"].id
        group_id, rutland_id = world["group"].id, world["rutland"].id
        group_member, rutland_member = world["members"]["group"], world["members"]["rutland"]
    url = f"/funding/{round_id}/apply"
    for member, organisation_id, message in [
        (group_member, group_id, "cannot apply to it"),
        (rutland_member, rutland_id, "has not been invited"),
    ]:
        sign_in_as(client, member)
        response = post_form(client, url, {"organisation": str(organisation_id)})
        assert response.status_code == 400
        assert "govuk-error-summary" in response.text and message in response.text
    with app.app_context():
        assert applications() == 0


def test_the_invitations_page_invites_emails_and_shows_it_on_the_dashboards(app, client, outbox):
    with app.app_context():
        world = plan_round_world()
        round_id, charnwood_id = world["round"].id, world["charnwood"].id
        officer, joe = world["officer"], world["members"]["charnwood"]
        sign_in_as(client, officer)
    url = f"/staff/csp/rounds/{round_id}/invitations"
    page = client.get(url)
    assert page.status_code == 200 and "Not invited" in page.text
    assert url in client.get("/staff/csp").text
    response = post_form(client, url, {})
    assert response.status_code == 302
    assert "2 partnerships invited and emailed." in client.get(url).text
    assert sorted(m.to[0] for m in outbox) == [
        "joe@charnwood.example.org",
        "lucy@melton.example.org",
    ]
    assert f"/funding/{round_id}/apply" in outbox[0].body
    again = post_form(client, url, {})
    assert again.status_code == 400
    assert "govuk-error-summary" in again.text and "is invited already" in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CspInvitation)) == 2

    sign_in_as(client, joe)
    dashboard = client.get(f"/organisations/{charnwood_id}").text
    assert "Send your annual plan: CSP annual plans 2026/27" in dashboard
    assert (
        post_form(
            client, f"/funding/{round_id}/apply", {"organisation": str(charnwood_id)}
        ).status_code
        == 302
    )
    # Started: the plan is the next thing to do, not the invitation.
    assert "Send your annual plan" not in client.get(f"/organisations/{charnwood_id}").text


def test_the_partnership_starts_and_fills_in_an_annual_plan_not_a_project_application(app, client):
    with app.app_context():
        world = plan_round_world()
        round_id, charnwood_id = world["round"].id, world["charnwood"].id
        officer, joe = world["officer"], world["members"]["charnwood"]
    sign_in_as(client, officer)
    post_form(client, f"/staff/csp/rounds/{round_id}/invitations", {})
    sign_in_as(client, joe)

    start = client.get(f"/funding/{round_id}/apply").text
    assert '<h1 class="govuk-heading-l">Start your annual plan</h1>' in start
    assert "Start annual plan" in start and "Start application" not in start
    started = post_form(client, f"/funding/{round_id}/apply", {"organisation": str(charnwood_id)})
    tasks = client.get(started.headers["Location"]).text
    assert "Your annual plan" in tasks
    # Every plan gets the full form, so there is no short form to explain.
    assert "short form" not in tasks and "more than £0" not in tasks


def test_staff_who_do_not_manage_funding_see_the_invitations_but_cannot_invite(app, client):
    with app.app_context():
        world = plan_round_world()
        round_id = world["round"].id
        sign_in_as(client, make_staff(StaffRole.FINANCE))
    url = f"/staff/csp/rounds/{round_id}/invitations"
    page = client.get(url)
    assert page.status_code == 200 and "Invite the partnerships" not in page.text
    assert post_form(client, url, {}, token_from="/staff/csp").status_code == 403
    assert client.get("/staff/csp/rounds/999999/invitations").status_code == 404


def test_the_commissioning_dashboard_lists_flagged_partnerships_with_a_link_to_decide(app, client):
    from tests.integration.test_csp_underspend import csp_award

    with app.app_context():
        monitoring_return = csp_award()
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        organisation_id = monitoring_return.award.organisation_id
        sign_in_as(client, officer)
        assert "flagged for underspend" not in client.get("/staff").text
        csp.record_forecast(officer, monitoring_return.id, 0)  # £60,000 unspent
    page = client.get("/staff").text
    assert "Partnerships flagged for underspend" in page
    assert f'href="/staff/csp/partnerships/{organisation_id}/underspend"' in page
    assert "Decide on Melton CSP" in page and "£60,000.00" in page
