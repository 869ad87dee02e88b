"""The demo's moderated round is ready for its decision maker: the ranking and approval pages
show the officer's recommendations, and the round can be decided as recommended, within its
budget and the officers' approval limit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.demo import load_demo
from grants.extensions import db
from grants.filters import pounds
from grants.models import Application, ApplicationStatus, Round, StaffRole, User
from grants.services import awarding
from grants.services.assessment import declare_interest, ranking
from grants.services.errors import ServiceError
from tests.conftest import sign_in_as

MODERATED = "Serious violence prevention grants"


def staff(role: StaffRole, email: str | None = None) -> User:
    query = select(User).where(User.staff_role == role)
    if email:
        query = query.where(User.email == email)
    return db.session.scalars(query.order_by(User.id)).first()


def moderated_round() -> tuple[Round, list[Application]]:
    round_ = db.session.scalars(select(Round).where(Round.name.contains(MODERATED))).one()
    applications = db.session.scalars(
        select(Application).where(Application.round_id == round_.id).order_by(Application.id)
    ).all()
    return round_, list(applications)


def test_the_decision_maker_sees_the_ranking_and_the_recommended_amounts(app, client, ctx):
    load_demo()
    round_, applications = moderated_round()
    sign_in_as(client, staff(StaffRole.DECISION_MAKER))

    ranked = client.get(f"/staff/rounds/{round_.id}/ranking")
    assert ranked.status_code == 200
    assert all(a.reference in ranked.text for a in applications)
    moderation = client.get(f"/staff/rounds/{round_.id}/moderation")
    assert moderation.status_code == 200

    for application in applications:
        page = client.get(f"/staff/applications/{application.id}/approve")
        assert page.status_code == 200, application.reference
        if application.recommendation == "approve":
            assert pounds(application.recommended_amount_pence) in page.text
        else:
            assert "Not recommended for approval" in page.text


def approve_as_recommended(user: User, application: Application) -> None:
    declare_interest(user, application.id, has_interest=False)
    terms = awarding.default_terms(application)
    awarding.approve_and_offer(
        user, application.id, terms, application.version, reason="As recommended at moderation."
    )


def test_only_the_decision_maker_approves_the_grant_above_the_officers_limit(app, ctx):
    load_demo()
    round_, applications = moderated_round()
    largest = max(
        (a for a in applications if a.recommendation == "approve"),
        key=lambda a: a.recommended_amount_pence or 0,
    )
    assert (largest.recommended_amount_pence or 0) > (round_.approval_limit_pence or 0)
    # Not the officer who recommended it, so only the approval limit stands in the way.
    officer = staff(StaffRole.COMMISSIONING_OFFICER, "officer2@opcc.example.org")
    assert officer.id != largest.recommended_by_id
    with pytest.raises(ServiceError, match="Only a decision maker can approve more than"):
        approve_as_recommended(officer, largest)
    db.session.refresh(largest)
    assert largest.status is ApplicationStatus.IN_ASSESSMENT

    approve_as_recommended(staff(StaffRole.DECISION_MAKER), largest)
    assert largest.status is ApplicationStatus.APPROVED


def test_every_recommended_grant_fits_the_round_budget(app, ctx):
    load_demo()
    round_, applications = moderated_round()
    decision_maker = staff(StaffRole.DECISION_MAKER)
    recommended = [a for a in applications if a.recommendation == "approve"]
    for application in recommended:
        approve_as_recommended(decision_maker, application)

    assert all(a.status is ApplicationStatus.APPROVED for a in recommended)
    ranked = ranking(decision_maker, round_.id)
    total = sum(a.recommended_amount_pence or 0 for a in recommended)
    assert ranked.approved_pence == total <= round_.budget_pence
    assert ranked.remaining_pence == round_.budget_pence - total
