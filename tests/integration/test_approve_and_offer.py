"""Approving an application makes the offer in the same step: the award with its amounts per
financial year, payment and reporting schedules, conditions and expiry, the agreement job and
the email. A refused approval leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import LONDON
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    BudgetLine,
    OutboxJob,
    StaffRole,
)
from tests.conftest import (
    approve_via_page,
    complete_application,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    ready_for_decision,
    sign_in_as,
)
from workflows.engine import fire


@pytest.fixture
def case(app):
    """An application in assessment for £8,000 over two financial years (£6,000 then £2,000
    in its budget), recommended by an officer, with a decision maker and a second officer who
    have declared no interest."""
    with app.test_request_context():
        organisation = make_organisation()
        member = make_member(organisation)
        round_ = open_round()
        round_.approval_limit_pence = 500_000
        application = Application(
            round=round_,
            organisation=organisation,
            created_by_id=member.id,
            project_title="Boxing after school",
            amount_requested_pence=800_000,
            budget_lines=[
                BudgetLine(financial_year=2026, category="Coaches", amount_pence=600_000),
                BudgetLine(financial_year=2027, category="Coaches", amount_pence=200_000),
            ],
        )
        db.session.add(application)
        db.session.flush()
        complete_application(application, member.id)
        for answer in application.answers:
            if answer.question_key == "end_date":
                answer.value = "2027-06-30"
        fire(member, application, "submit")
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "officer@opcc.example.org")
        fire(officer, application, "start_assessment")
        decider = make_staff(StaffRole.DECISION_MAKER)
        second = make_staff(StaffRole.COMMISSIONING_OFFICER, "second@opcc.example.org")
        ready_for_decision(application, decider, second)
        db.session.commit()
        return {
            "id": application.id,
            "decider": decider,
            "decider_id": decider.id,
            "second": second,
            "member": member,
        }


def signed_in(app, user):
    client = app.test_client()
    sign_in_as(client, user)
    return client


def version(app, case) -> int:
    with app.app_context():
        return db.session.get(Application, case["id"]).version


def counts(app) -> tuple[int, int]:
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        return events, db.session.scalar(select(func.count()).select_from(Award))


def approve(app, client, case, **fields):
    fields.setdefault("amount", "8,000")
    fields.setdefault("year_2026", "6,000")
    fields.setdefault("year_2027", "2,000")
    return approve_via_page(client, case["id"], version(app, case), **fields)


def test_the_page_suggests_the_recommended_offer(app, case):
    page = signed_in(app, case["decider"]).get(f"/staff/applications/{case['id']}/approve").text
    assert "Approve and make the offer" in page

    def value(name: str) -> str:
        return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)

    assert value("amount") == "8,000"
    # The split follows the applicant's budget per financial year; one payment in each.
    assert (value("year_2026"), value("year_2027"), value("instalments")) == ("6,000", "2,000", "2")
    assert 'value="advance" checked' in page and 'value="quarterly" checked' in page


def test_approving_makes_the_whole_offer_in_one_step(app, case, outbox):
    expires = london_today() + dt.timedelta(days=21)
    decider = signed_in(app, case["decider"])
    response = approve(
        app,
        decider,
        case,
        instalments="3",
        other_conditions="Attend the launch event\r\n\r\nShare one case study a year",
        offer_expires_on=[str(expires.day), str(expires.month), str(expires.year)],
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, case["id"])
        assert application.status is ApplicationStatus.APPROVED
        award = db.session.scalars(select(Award)).one()
        assert award.reference == f"{application.reference}-A"
        assert (award.amount_pence, award.approved_by_id) == (800_000, case["decider_id"])
        assert award.recommended_by_id == application.recommended_by_id
        assert {y.financial_year: y.amount_pence for y in award.years} == {
            2026: 600_000,
            2027: 200_000,
        }
        assert sum(p.amount_pence for p in award.payments) == 800_000
        assert [p.is_final for p in award.payments][-1] is True
        for year in award.years:
            paid_in_year = [p for p in award.payments if p.financial_year == year.financial_year]
            assert sum(p.amount_pence for p in paid_in_year) == year.amount_pence
        # Quarterly from 1 April 2026 to 30 June 2027: five quarters.
        assert [r.period_end for r in award.returns] == [
            dt.date(2026, 6, 30),
            dt.date(2026, 9, 30),
            dt.date(2026, 12, 31),
            dt.date(2027, 3, 31),
            dt.date(2027, 6, 30),
        ]
        assert [(c.text, c.before_first_payment) for c in award.conditions] == [
            (
                "Bank details verified against a recent bank statement in the organisation's name",
                True,
            ),
            ("Safeguarding policy reviewed in the last 12 months", True),
            ("Attend the launch event", False),
            ("Share one case study a year", False),
        ]
        expiry = award.offer_expires_at.astimezone(LONDON)
        assert (expiry.date(), expiry.hour) == (expires, 17)
        jobs = db.session.scalars(select(OutboxJob.job)).all()
        assert "agreement.render" in jobs and "email.application_decided" in jobs
        award_id = award.id
        dispatch_pending()
    [email] = [m for m in outbox if "Decision on your application" in m.subject]
    assert f"/awards/{award_id}/offer" in email.body
    page = decider.get(response.location).text
    assert "Approved. Offer PF-" in page  # the banner after approving
    assert "Offered, £8,000" in page and "/staff/awards/" in page
    offer = signed_in(app, case["member"]).get(f"/awards/{award_id}/offer")
    assert offer.status_code == 200 and "Attend the launch event" in offer.text


def test_year_amounts_must_add_up_and_nothing_changes_when_they_do_not(app, case):
    before = counts(app)
    response = approve(app, signed_in(app, case["decider"]), case, year_2027="1,000")
    assert response.status_code == 400
    assert "must add up to the amount approved" in response.text
    assert 'href="#year_2026"' in response.text
    assert counts(app) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"instalments": "0"}, "whole number from 1 to 12"),
        ({"instalments": "13"}, "whole number from 1 to 12"),
        ({"instalments": "two"}, "whole number from 1 to 12"),
        ({"payment_timing": ""}, "in advance or in arrears"),
        ({"payment_timing": "weekly"}, "Not a valid choice"),
        ({"reporting": ""}, "how often monitoring returns are due"),
        ({"offer_expires_on": ["", "", ""]}, "Enter the date the offer expires"),
        ({"offer_expires_on": ["31", "2", "2030"]}, "must be a real date"),
        ({"year_2026": "lots"}, "Enter an amount in pounds and pence"),
        ({"amount": "9,000", "year_2026": "7,000"}, "cannot be more than the amount requested"),
    ],
)
def test_bad_terms_are_refused_with_a_message_and_change_nothing(app, case, fields, message):
    before = counts(app)
    response = approve(app, signed_in(app, case["decider"]), case, **fields)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and message in response.text
    assert counts(app) == before


def test_an_offer_cannot_expire_today_or_stay_open_for_more_than_90_days(app, case):
    decider = signed_in(app, case["decider"])
    for day in (london_today(), london_today() + dt.timedelta(days=91)):
        response = approve(
            app, decider, case, offer_expires_on=[str(day.day), str(day.month), str(day.year)]
        )
        assert response.status_code == 400
    assert (
        "must expire after today"
        in approve(
            app,
            decider,
            case,
            offer_expires_on=[
                str(london_today().day),
                str(london_today().month),
                str(london_today().year),
            ],
        ).text
    )


def test_above_the_approval_limit_only_a_decision_maker_may_approve(app, case):
    before = counts(app)
    response = approve(app, signed_in(app, case["second"]), case)
    assert response.status_code == 400
    assert "Only a decision maker can approve more than £5,000" in response.text
    assert counts(app) == before


def test_a_stale_page_is_refused(app, case):
    client = signed_in(app, case["decider"])
    stale = version(app, case) - 1
    response = approve_via_page(
        client, case["id"], stale, amount="8,000", year_2026="6,000", year_2027="2,000"
    )
    assert response.status_code == 400
    assert "Someone else changed this" in response.text


def test_approving_twice_is_refused_and_makes_one_offer(app, case):
    client = signed_in(app, case["decider"])
    assert approve(app, client, case).status_code == 302
    again = client.get(f"/staff/applications/{case['id']}/approve")
    assert again.status_code == 409 and "because it is approved" in again.text
    assert approve(app, client, case).status_code == 409
    assert counts(app)[1] == 1


def test_only_officers_and_decision_makers_reach_the_page(app, case):
    url = f"/staff/applications/{case['id']}/approve"
    for role in (StaffRole.ASSESSOR, StaffRole.FINANCE):
        with app.app_context():
            user = make_staff(role, f"{role.value}.x@opcc.example.org")
        assert signed_in(app, user).get(url).status_code == 403
    assert signed_in(app, case["member"]).get(url).status_code == 403
    assert (
        signed_in(app, case["decider"]).get("/staff/applications/999999/approve").status_code == 404
    )


def test_the_generic_move_route_cannot_approve_without_an_offer(app, case):
    from tests.conftest import csrf_token

    client = signed_in(app, case["decider"])
    token = csrf_token(client, f"/staff/applications/{case['id']}")
    response = client.post(
        f"/staff/applications/{case['id']}/moves/approve",
        data={
            "approve-csrf_token": token,
            "approve-version": version(app, case),
            "approve-amount": "8000",
        },
    )
    assert response.status_code == 400
    assert "own page" in response.text
    with app.app_context():
        assert db.session.get(Application, case["id"]).status is ApplicationStatus.IN_ASSESSMENT
