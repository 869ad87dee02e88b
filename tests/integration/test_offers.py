"""The organisation's offer: it reads the grant (amounts per financial year, schedules,
conditions) and the grant agreement, then accepts it with a named signatory's declaration or
declines it with a reason. Every refusal changes nothing; other organisations and staff never
see it."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from grants.extensions import db
from grants.filters import london_datetime
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    AuditEvent,
    Award,
    AwardCondition,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    Payment,
    StaffRole,
    User,
    utcnow,
)
from grants.services import offers
from grants.services.errors import NotFound, ServiceError
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    sign_in_as,
)
from workflows.engine import create

ORGANISATION = "Saffron Lane Boxing Club"
REFERENCE = "PF-2627-0001-A"
BANK = "Bank details verified against a recent bank statement"
SAFEGUARDING = "Safeguarding policy reviewed in the last 12 months"
PHOTOS = "Send two photographs of the sessions for the annual report"
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')


@dataclass
class Offer:
    award_id: int
    member: User  # signed in by identity; read ids from the fields below
    member_id: int
    outsider: User
    outsider_id: int
    officer_id: int
    organisation_id: int


def make_offer(
    expires_in: dt.timedelta = dt.timedelta(days=30),
    reference: str = REFERENCE,
    organisation_name: str = ORGANISATION,
    member_email: str = "coach@saffron.example.org",
) -> Offer:
    """An award offered to a club through the engine (so its agreement job is recorded, not yet
    run), with two financial years, two payments, two returns and three conditions."""
    organisation = make_organisation(organisation_name, charity_number="1190001")
    member = make_member(organisation, member_email)
    outsider = make_member(make_organisation("Somewhere Else Trust"), f"owner+{reference}@else.org")
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, f"officer+{reference}@opcc.example.org")
    round_ = open_round()
    db.session.add(round_)
    award = Award(
        reference=reference,
        title="Boxing after school",
        programme=round_.programme,
        organisation=organisation,
        amount_pence=1_200_000,
        recommended_by_id=officer.id,
        offer_expires_at=utcnow() + expires_in,
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2028, 3, 31),
        years=[
            AwardYear(financial_year=2026, amount_pence=700_000),
            AwardYear(financial_year=2027, amount_pence=500_000),
        ],
        conditions=[
            AwardCondition(position=1, text=BANK, before_first_payment=True),
            AwardCondition(position=2, text=SAFEGUARDING, before_first_payment=True),
            AwardCondition(position=3, text=PHOTOS, before_first_payment=False),
        ],
        payments=[
            Payment(financial_year=2026, amount_pence=700_000, due_date=dt.date(2026, 4, 15)),
            Payment(
                financial_year=2027,
                amount_pence=500_000,
                due_date=dt.date(2027, 5, 15),
                is_final=True,
            ),
        ],
        returns=[
            MonitoringReturn(
                period_start=dt.date(2026, 4, 1),
                period_end=dt.date(2027, 3, 31),
                due_date=dt.date(2027, 4, 30),
            ),
            MonitoringReturn(
                period_start=dt.date(2027, 4, 1),
                period_end=dt.date(2028, 3, 31),
                due_date=dt.date(2028, 4, 30),
            ),
        ],
    )
    create(officer, award)
    db.session.commit()
    return Offer(
        award_id=award.id,
        member=member,
        member_id=member.id,
        outsider=outsider,
        outsider_id=outsider.id,
        officer_id=officer.id,
        organisation_id=organisation.id,
    )


@pytest.fixture
def offer(app: Flask) -> Offer:
    with app.test_request_context():
        return make_offer()


@pytest.fixture
def expired(app: Flask) -> Offer:
    with app.test_request_context():
        return make_offer(expires_in=dt.timedelta(seconds=-1))


@dataclass(frozen=True)
class Snapshot:
    status: AwardStatus
    version: int
    signatory: tuple[str | None, str | None, dt.datetime | None]
    events: int


def snapshot(app: Flask, award_id: int) -> Snapshot:
    with app.app_context():
        award = db.session.get(Award, award_id)
        return Snapshot(
            status=award.status,
            version=award.version,
            signatory=(award.signatory_name, award.signatory_role, award.accepted_at),
            events=db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def signed_in(app: Flask, user: User):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in_as(client, user)
    return client


def version_on(page: str) -> str:
    match = VERSION_RE.search(page)
    assert match, "no version on the page"
    return match.group(1)


def form_data(client, url: str, version: str | None = None, **fields) -> dict:  # type: ignore[no-untyped-def]
    """What the form on ``url`` would send: its CSRF token and the version it shows."""
    page = client.get(url).text
    token = csrf_token(client, url if "csrf_token" in page else "/accessibility")
    if version is None:
        version = version_on(page)
    return {"csrf_token": token, "version": version, **fields}


def send_acceptance(client, award_id: int, version: str | None = None, **fields):  # type: ignore[no-untyped-def]
    url = f"/awards/{award_id}/offer/accept"
    answers = {"signatory": "Amira Khan", "role": "Treasurer", "declaration": "y", **fields}
    answers = {name: value for name, value in answers.items() if value is not None}
    return client.post(url, data=form_data(client, url, version, **answers))


def send_decline(client, award_id: int, reason: str, version: str | None = None):  # type: ignore[no-untyped-def]
    url = f"/awards/{award_id}/offer/decline"
    return client.post(url, data=form_data(client, url, version, reason=reason))


def ledger_event(app: Flask, award_id: int, action: str) -> AuditEvent:
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.object_type == "award",
                AuditEvent.object_id == award_id,
                AuditEvent.action == action,
            )
        )
        assert event is not None, f"no {action} event"
        db.session.expunge(event)
        return event


# Reading the offer --------------------------------------------------------------------------


def test_the_offer_shows_the_grant_its_schedules_and_conditions(app, offer):
    response = signed_in(app, offer.member).get(f"/awards/{offer.award_id}/offer")
    assert response.status_code == 200
    page = response.text
    assert "Your grant offer" in page and REFERENCE in page
    assert "£12,000.00" in page
    assert "In 2026/27" in page and "£7,000.00" in page
    assert "In 2027/28" in page and "£5,000.00" in page
    assert "1 April 2026 to 31 March 2028" in page
    with app.app_context():
        expires = db.session.get(Award, offer.award_id).offer_expires_at
    assert f"Accept or decline this offer by {london_datetime(expires)}" in page
    # Payment schedule and reporting schedule.
    assert "15 April 2026" in page and "Final payment" in page and "15 May 2027" in page
    assert "1 April 2026 to 31 March 2027" in page and "30 April 2027" in page
    assert "30 April 2028" in page
    # Conditions as a checklist; those before the first payment say so and what they block.
    for text in (BANK, SAFEGUARDING, PHOTOS):
        assert text in page
    assert page.count("Not yet met") == 3
    assert page.count("Before the first payment") == 2
    assert "We cannot make the first payment until every condition" in page
    # The agreement job has not run yet.
    assert "The grant agreement is being prepared. Refresh this page in a minute." in page
    assert f"/awards/{offer.award_id}/offer/accept" in page
    assert f"/awards/{offer.award_id}/offer/decline" in page


def test_a_condition_the_officer_has_checked_shows_as_met(app, offer):
    with app.app_context():
        db.session.execute(
            update(AwardCondition)
            .where(AwardCondition.text == BANK)
            .values(met_at=utcnow(), met_by_id=offer.officer_id)
        )
        db.session.commit()
    page = signed_in(app, offer.member).get(f"/awards/{offer.award_id}/offer").text
    assert page.count("Not yet met") == 2
    assert len(re.findall(r'govuk-tag--green">\s*Met\s*</strong>', page)) == 1


def test_once_drawn_up_the_agreement_is_linked_and_downloads_as_a_pdf(app, offer):
    with app.test_request_context():
        assert dispatch_pending() == 1  # the job the offer recorded
        document_id = offers.agreement_for(db.session.get(Award, offer.award_id)).id
    client = signed_in(app, offer.member)
    page = client.get(f"/awards/{offer.award_id}/offer").text
    assert "being prepared" not in page
    assert f'href="/documents/{document_id}"' in page
    with client.get(f"/documents/{document_id}") as download:
        assert download.status_code == 200
        assert download.data.startswith(b"%PDF")
        assert download.mimetype == "application/pdf"
        disposition = download.headers["Content-Disposition"]
        assert "attachment" in disposition and f"Grant agreement {REFERENCE}.pdf" in disposition


def test_the_organisations_waiting_offers_are_listed_soonest_to_expire_first(app, offer):
    with app.test_request_context():
        member = db.session.get(User, offer.member_id)
        later = Award(
            reference="PF-2627-0002-A",
            title="Summer club",
            programme_id=db.session.get(Award, offer.award_id).programme_id,
            organisation_id=offer.organisation_id,
            amount_pence=300_000,
            offer_expires_at=utcnow() + dt.timedelta(days=60),
        )
        create(db.session.get(User, offer.officer_id), later)
        db.session.commit()
        assert [
            a.reference for a in offers.offers_of_organisation(member, offer.organisation_id)
        ] == [
            REFERENCE,
            "PF-2627-0002-A",
        ]
        outsider = db.session.get(User, offer.outsider_id)
        assert offers.offers_of_organisation(outsider, offer.organisation_id) == []


# Accepting ----------------------------------------------------------------------------------


def test_accepting_records_the_signatory_on_the_award_and_in_the_ledger(app, offer):
    client = signed_in(app, offer.member)
    page = client.get(f"/awards/{offer.award_id}/offer/accept").text
    assert (
        f"I confirm I am authorised to accept this grant on behalf of {ORGANISATION} and that "
        f"{ORGANISATION} agrees to the terms and conditions in the grant agreement"
    ) in page
    before = utcnow()
    response = send_acceptance(client, offer.award_id, signatory="  Amira Khan ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/awards/{offer.award_id}/offer/accepted"

    with app.app_context():
        award = db.session.get(Award, offer.award_id)
        assert award.status is AwardStatus.ACCEPTED
        assert (award.signatory_name, award.signatory_role) == ("Amira Khan", "Treasurer")
        assert before <= award.accepted_at <= utcnow()
        accepted_at = award.accepted_at
    event = ledger_event(app, offer.award_id, "accept")
    assert event.actor_id == offer.member_id
    assert event.actor_role == "applicant"
    assert (event.from_state, event.to_state) == ("offered", "accepted")
    assert event.occurred_at == accepted_at
    changes = json.loads(event.changes)
    assert changes["signatory"] == "Amira Khan"
    assert changes["signatory_role"] == "Treasurer"
    assert changes["declaration"].startswith("I confirm I am authorised to accept this grant")

    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert "Offer accepted" in confirmation.text and REFERENCE in confirmation.text
    assert "Amira Khan (Treasurer)" in confirmation.text
    assert london_datetime(accepted_at) in confirmation.text
    assert BANK in confirmation.text and PHOTOS not in confirmation.text

    offer_page = client.get(f"/awards/{offer.award_id}/offer").text
    assert "Amira Khan, Treasurer" in offer_page
    assert london_datetime(accepted_at) in offer_page
    assert f"/awards/{offer.award_id}/offer/accept" not in offer_page


def test_the_declaration_must_be_ticked(app, offer):
    client = signed_in(app, offer.member)
    before = snapshot(app, offer.award_id)
    response = send_acceptance(client, offer.award_id, declaration=None)
    assert response.status_code == 400
    assert (
        '<a href="#declaration">Confirm you are authorised to accept this grant and that your '
        "organisation agrees to the terms and conditions</a>"
    ) in response.text
    assert 'value="Amira Khan"' in response.text  # what they typed is kept
    assert snapshot(app, offer.award_id) == before


@pytest.mark.parametrize(
    ("fields", "anchor", "message"),
    [
        ({"signatory": ""}, "signatory", "Enter the full name of the person accepting the offer"),
        (
            {"signatory": "   "},
            "signatory",
            "Enter the full name of the person accepting the offer",
        ),
        ({"signatory": "A" * 201}, "signatory", "Full name must be 200 characters or fewer"),
        ({"role": ""}, "role", "Enter their role in the organisation"),
        ({"role": "R" * 121}, "role", "Role must be 120 characters or fewer"),
    ],
)
def test_a_missing_or_overlong_name_or_role_is_refused(app, offer, fields, anchor, message):
    client = signed_in(app, offer.member)
    before = snapshot(app, offer.award_id)
    response = send_acceptance(client, offer.award_id, **fields)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert f'<a href="#{anchor}">{message}</a>' in response.text
    assert response.text.count("<title>Error: ") == 1
    assert snapshot(app, offer.award_id) == before


def test_an_expired_offer_cannot_be_accepted(app, expired):
    client = signed_in(app, expired.member)
    page = client.get(f"/awards/{expired.award_id}/offer").text
    assert "This offer expired on" in page
    assert f"/awards/{expired.award_id}/offer/accept" not in page
    assert f"/awards/{expired.award_id}/offer/decline" not in page

    form = client.get(f"/awards/{expired.award_id}/offer/accept")
    assert form.status_code == 409
    assert "This offer has expired" in form.text

    before = snapshot(app, expired.award_id)
    token = csrf_token(client, "/accessibility")
    response = client.post(
        f"/awards/{expired.award_id}/offer/accept",
        data={
            "csrf_token": token,
            "version": str(before.version),
            "signatory": "Amira Khan",
            "role": "Treasurer",
            "declaration": "y",
        },
    )
    assert response.status_code == 409
    assert "This offer has expired" in response.text
    assert snapshot(app, expired.award_id) == before


def test_the_service_refuses_an_expired_offer_with_the_engines_message(app, expired):
    with app.test_request_context():
        member = db.session.get(User, expired.member_id)
        with pytest.raises(ServiceError, match="This offer has expired"):
            offers.accept(member, expired.award_id, "Amira Khan", "Treasurer", None)
    assert snapshot(app, expired.award_id).status is AwardStatus.OFFERED


def test_an_accepted_offer_cannot_be_accepted_again(app, offer):
    client = signed_in(app, offer.member)
    assert send_acceptance(client, offer.award_id).status_code == 302
    again = client.get(f"/awards/{offer.award_id}/offer/accept")
    assert again.status_code == 409
    assert "This offer has already been accepted" in again.text
    assert "Amira Khan (Treasurer)" in again.text


# Declining ----------------------------------------------------------------------------------


def test_declining_with_a_reason_records_it(app, offer):
    client = signed_in(app, offer.member)
    reason = "Our hall closes for repairs next year.\r\nWe will apply again."
    response = send_decline(client, offer.award_id, reason)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/awards/{offer.award_id}/offer/declined"
    assert snapshot(app, offer.award_id).status is AwardStatus.DECLINED
    event = ledger_event(app, offer.award_id, "decline")
    assert event.reason == "Our hall closes for repairs next year.\nWe will apply again."
    assert event.actor_id == offer.member_id

    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert "Offer declined" in confirmation.text
    assert "Our hall closes for repairs next year." in confirmation.text
    offer_page = client.get(f"/awards/{offer.award_id}/offer").text
    assert f"{ORGANISATION} declined this offer on {london_datetime(event.occurred_at)}" in (
        offer_page
    )
    assert f"/awards/{offer.award_id}/offer/accept" not in offer_page
    assert client.get(f"/awards/{offer.award_id}/offer/accept").status_code == 409


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you are declining the offer"),
        (" \r\n ", "Enter why you are declining the offer"),
        ("a" * 2_001, "Your reason must be 2,000 characters or fewer"),
    ],
)
def test_declining_needs_a_reason_of_at_most_2000_characters(app, offer, reason, message):
    client = signed_in(app, offer.member)
    before = snapshot(app, offer.award_id)
    response = send_decline(client, offer.award_id, reason)
    assert response.status_code == 400
    assert f'<a href="#reason">{message}</a>' in response.text
    assert snapshot(app, offer.award_id) == before


def test_confirmations_of_an_unanswered_offer_go_back_to_the_offer(app, offer):
    client = signed_in(app, offer.member)
    for page in ("accepted", "declined"):
        response = client.get(f"/awards/{offer.award_id}/offer/{page}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/awards/{offer.award_id}/offer"


# Two tabs, other organisations, staff -------------------------------------------------------


def test_the_second_of_two_tabs_is_told_someone_else_answered(app, offer):
    first_tab = signed_in(app, offer.member)
    second_tab = signed_in(app, offer.member)
    seen = version_on(second_tab.get(f"/awards/{offer.award_id}/offer/decline").text)
    assert send_acceptance(first_tab, offer.award_id).status_code == 302
    accepted = snapshot(app, offer.award_id)

    late = send_decline(second_tab, offer.award_id, "We changed our minds", version=seen)
    assert late.status_code == 409
    assert "The offer was not declined: someone else changed it" in late.text
    assert "This offer has already been accepted" in late.text
    assert snapshot(app, offer.award_id) == accepted


def test_a_change_to_the_award_while_the_page_was_open_is_said_and_nothing_changes(app, offer):
    client = signed_in(app, offer.member)
    seen = version_on(client.get(f"/awards/{offer.award_id}/offer/accept").text)
    with app.app_context():
        db.session.get(Award, offer.award_id).title = "Boxing and fitness after school"
        db.session.commit()  # the officer corrected the title: a new version of the award
    before = snapshot(app, offer.award_id)
    response = send_acceptance(client, offer.award_id, version=seen)
    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    assert version_on(response.text) == str(before.version)  # a retry is judged on this
    assert snapshot(app, offer.award_id) == before


OFFER_ROUTES = [
    ("GET", "/awards/{id}/offer"),
    ("GET", "/awards/{id}/offer/accept"),
    ("POST", "/awards/{id}/offer/accept"),
    ("GET", "/awards/{id}/offer/accepted"),
    ("GET", "/awards/{id}/offer/decline"),
    ("POST", "/awards/{id}/offer/decline"),
    ("GET", "/awards/{id}/offer/declined"),
]


def _request(client, method: str, url: str):  # type: ignore[no-untyped-def]
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/accessibility")
    fields = {"signatory": "Mallory", "role": "Chair", "declaration": "y", "reason": "No"}
    return client.post(url, data={"csrf_token": token, "version": "1", **fields})


def test_another_organisations_member_gets_404_on_every_offer_route(app, offer):
    client = signed_in(app, offer.outsider)
    before = snapshot(app, offer.award_id)
    for method, route in OFFER_ROUTES:
        response = _request(client, method, route.format(id=offer.award_id))
        assert response.status_code == 404, (method, route)
        assert REFERENCE not in response.text and ORGANISATION not in response.text
    assert snapshot(app, offer.award_id) == before


def test_an_award_that_does_not_exist_is_404(app, offer):
    response = signed_in(app, offer.member).get(f"/awards/{offer.award_id + 999}/offer")
    assert response.status_code == 404


@pytest.mark.parametrize("role", list(StaffRole))
def test_staff_are_refused_the_organisations_offer_pages(app, offer, role):
    with app.app_context():
        staff = make_staff(role, f"{role.value}+offers@opcc.example.org")
    client = signed_in(app, staff)
    before = snapshot(app, offer.award_id)
    for method, route in OFFER_ROUTES:
        response = _request(client, method, route.format(id=offer.award_id))
        assert response.status_code in (403, 404), (role, method, route)
        assert REFERENCE not in response.text
    assert snapshot(app, offer.award_id) == before
    with app.test_request_context(), pytest.raises(NotFound):
        offers.offer_for(db.session.get(User, staff.id), offer.award_id)
