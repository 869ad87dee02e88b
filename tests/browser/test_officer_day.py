"""A commissioning officer's working day, in a real browser: set up a round (criteria, which
optional questions it asks), assign two
assessors who declare and score, moderate, recommend; the decision maker approves and makes the
offer; the officer checks it, starts the grant once its conditions are met; a second officer
approves the group's claim (the first is refused by segregation of duties); the officer accepts
the group's return. Every page visited, error states included, has no axe violations."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import financial_year
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    ClaimLine,
    MonitoringReturn,
    Payment,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    Round,
    StaffRole,
    User,
)
from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import (
    complete_application,
    make_document,
    make_member,
    make_organisation,
    make_staff,
)
from workflows.engine import fire

pytestmark = pytest.mark.browser

STAFF = {
    "olive": (StaffRole.COMMISSIONING_OFFICER, "Olive Officer"),
    "sam": (StaffRole.COMMISSIONING_OFFICER, "Sam Second"),
    "bea": (StaffRole.ASSESSOR, "Bea Assessor"),
    "ben": (StaffRole.ASSESSOR, "Ben Assessor"),
    "dee": (StaffRole.DECISION_MAKER, "Dee Decider"),
    "fay": (StaffRole.FINANCE, "Fay Finance"),
}


def staff_and_programme(app: Flask) -> dict:
    with app.app_context():
        year = london_today().year if london_today().month >= 4 else london_today().year - 1
        programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
        programme.budgets.append(ProgrammeBudget(financial_year=year, amount_pence=25_000_000))
        db.session.add(programme)
        people = {}
        for key, (role, name) in STAFF.items():
            user = make_staff(role, f"{key}@opcc.example.org")
            user.full_name = name
            people[key] = (user.email, user.totp_secret)
        db.session.commit()
        return {"programme": programme.id, "people": people, "year": year}


def submitted_applications(app: Flask, round_id: int) -> dict[str, int]:
    """Two groups' applications, sent in (the community journey has its own tests). The
    projects run from today for six months."""
    ids = {}
    with app.test_request_context():
        round_ = db.session.get(Round, round_id)
        start = london_today()
        for number, (group, title, pence) in enumerate(
            [
                ("Braunstone Boxing Club", "Boxing after school", 900_000),
                ("Saffron Youth Group", "Knife crime workshops", 400_000),
            ],
            start=1,
        ):
            organisation = make_organisation(group)
            member = make_member(organisation, f"treasurer{number}@example.org")
            application = Application(
                round=round_,
                organisation=organisation,
                created_by_id=member.id,
                project_title=title,
                amount_requested_pence=pence,
            )
            db.session.add(application)
            db.session.flush()
            complete_application(application, member.id)
            for answer in application.answers:
                if answer.question_key == "start_date":
                    answer.value = start.isoformat()
                if answer.question_key == "end_date":
                    answer.value = (start + dt.timedelta(days=180)).isoformat()
            fire(member, application, "submit")
            ids[title] = application.id
        db.session.commit()
    return ids


def score(page: Page, application_url: str, need: str, delivery: str) -> None:
    page.goto(application_url)
    page.get_by_role("link", name="Score this application").click()
    page.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save declaration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Score this application")
    assert_accessible(page)
    for criterion, mark in (("Need", need), ("Delivery", delivery)):
        page.get_by_role("group", name=f"Score for '{criterion}', from 0 to 5").get_by_label(
            mark, exact=True
        ).check()
        page.get_by_label(f"Why did you give this score for '{criterion}'?").fill(
            f"{criterion}: evidence in the application"
        )
    page.get_by_role("button", name="Submit scores").click()
    expect(page).to_have_url(re.compile(rf"{application_url}$"))


def test_an_officers_day(app: Flask, page: Page, new_page) -> None:
    world = staff_and_programme(app)
    people = world["people"]
    today = london_today()
    closes = today + dt.timedelta(days=14)

    # Set up a round: a mistake first, then the round, its criteria, and publishing it.
    sign_in_as_staff(page, *people["olive"])
    page.goto(f"/staff/programmes/{world['programme']}")
    page.get_by_role("button", name="Set up a round").click()
    page.get_by_role("button", name="Create the round").click()
    assert assert_error_links_reach_fields(page)
    assert_accessible(page)
    page.get_by_label("Name of the round").fill("Summer grants")
    page.get_by_label("Prefix for application references").fill("SG")
    page.get_by_label("Financial year").select_option(label=financial_year(world["year"]))
    for legend, day in (("Opens on", today), ("Closes on", closes)):
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Opening time").fill("00:00")
    page.get_by_label("Budget, in pounds").fill("50,000")
    page.get_by_label("Smallest award, in pounds").fill("500")
    page.get_by_label("Largest award, in pounds").fill("10,000")
    page.get_by_label("Short form up to, in pounds").fill("5,000")
    page.get_by_label("Officers may approve up to, in pounds (optional)").fill("5,000")
    page.get_by_label("Funding threshold, as a percentage score (optional)").fill("60")
    page.get_by_label("Who can apply").fill("Community groups in Leicester")
    page.get_by_role("button", name="Create the round").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summer grants")
    assert_accessible(page)
    round_id = int(re.search(r"/staff/rounds/(\d+)", page.url).group(1))
    for name, weight in (("Need", "60"), ("Delivery", "40")):
        page.get_by_role("button", name="Add a criterion").click()
        page.get_by_label("Criterion").fill(name)
        page.get_by_label("Weight, as a percentage of the total").fill(weight)
        page.get_by_role("button", name="Add criterion").click()
    page.get_by_role("button", name="Choose questions and documents").click()
    assert_accessible(page)
    page.get_by_label("Question: How many people will benefit?").uncheck()
    page.get_by_role("button", name="Save the form's questions").click()
    expect(page.get_by_text("How many people will benefit?")).to_be_visible()  # left out
    page.get_by_role("button", name="Publish the round").click()
    expect(page.get_by_text("Published", exact=False).first).to_be_visible()
    assert_accessible(page)

    applications = submitted_applications(app, round_id)
    boxing = f"/staff/applications/{applications['Boxing after school']}"
    knife = f"/staff/applications/{applications['Knife crime workshops']}"

    # Start assessment and assign both assessors to both applications from the queue.
    for url in (boxing, knife):
        page.goto(url)
        page.get_by_role("button", name="Start assessment").click()
        expect(page.locator(".govuk-tag").first).to_have_text("In assessment")
    page.goto(f"/staff/rounds/{round_id}/applications")
    assert_accessible(page)
    for assessor in ("Bea Assessor", "Ben Assessor"):
        for reference in page.locator("tbody a.govuk-link").all_inner_texts():
            page.get_by_label(f"Select {reference}").check()
        page.get_by_label("Assessor to assign").select_option(label=assessor)
        page.get_by_role("button", name="Assign selected").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"{assessor} assigned to 2 applications"
        )
    assert_accessible(page)

    # Two assessors score; they disagree about the boxing club's need.
    for key, marks in (("bea", {boxing: ("5", "4"), knife: ("2", "2")}),
                       ("ben", {boxing: ("1", "4"), knife: ("2", "3")})):  # fmt: skip
        assessor = new_page()
        sign_in_as_staff(assessor, *people[key])
        for url, (need, delivery) in marks.items():
            score(assessor, url, need, delivery)
        assessor.close()

    # Moderation flags the disagreement; the ranked list draws the funding line.
    page.goto(f"/staff/rounds/{round_id}/moderation")
    expect(page.locator(".govuk-tag", has_text="Needs moderation")).to_have_count(1)
    assert_accessible(page)
    page.goto(f"/staff/rounds/{round_id}/ranking")
    expect(page.get_by_role("table").locator("#funding-line")).to_contain_text("Funding line")
    assert_accessible(page)

    # The officer recommends the boxing club for £8,000.
    page.goto(boxing)
    page.get_by_role("link", name="Make a recommendation").click()
    page.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save declaration").click()
    page.get_by_role("group", name="What do you recommend?").get_by_label("Approve").check()
    page.get_by_label("If you recommend approval, the amount to award, in pounds").fill("8,000")
    page.get_by_label("Reasons for your recommendation").fill("Clear need; assessors moderated")
    page.get_by_role("button", name="Make recommendation").click()
    expect(page.get_by_text("Approve: £8,000.00, recommended by")).to_be_visible()

    # The decision maker approves above the officers' limit, paid in arrears in two parts.
    decider = new_page()
    sign_in_as_staff(decider, *people["dee"])
    decider.goto(f"{boxing}/interests")
    decider.get_by_role(
        "group", name="Do you have any interest in this application or the organisation?"
    ).get_by_label("No", exact=True).check()
    decider.get_by_role("button", name="Save declaration").click()
    decider.goto(boxing)
    decider.get_by_role("button", name="Approve and make the offer").click()
    assert_accessible(decider)
    decider.get_by_label("Number of payments").fill("13")
    decider.get_by_role("button", name="Approve and make the offer").click()
    assert assert_error_links_reach_fields(decider) == [
        "Enter the number of payments as a whole number from 1 to 12"
    ]
    assert_accessible(decider)
    decider.get_by_label("Number of payments").fill("2")
    decider.get_by_label("In arrears, claimed with evidence after each part").check()
    decider.get_by_label("Other conditions of the grant (optional)").fill("Attend the launch")
    decider.get_by_role("button", name="Approve and make the offer").click()
    expect(decider.locator(".govuk-notification-banner")).to_contain_text("Approved. Offer SG-")

    # The officer checks the offer: the schedule, the conditions, and the agreement.
    decider.get_by_role("link", name=re.compile(r"^SG-.*-A$")).click()
    award_url = decider.url
    page.goto(award_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boxing after school")
    expect(page.get_by_text("Attend the launch")).to_be_visible()
    assert_accessible(page)
    with app.app_context():
        award = db.session.scalars(select(Award)).one()
        assert [p.amount_pence for p in award.payments] == [400_000, 400_000]
        assert len(award.returns) >= 2
        member = db.session.scalar(select(User).where(User.email == "treasurer1@example.org"))
        fire(member, award, "accept", signatory="Pat Treasurer", signatory_role="Treasurer")
        db.session.commit()
        award_id = award.id

    # Both conditions met, then the grant starts.
    page.goto(award_url)
    mark = page.get_by_role("button", name=re.compile(r"^Mark as met"))
    expect(mark).to_have_count(2)
    mark.first.click()
    expect(mark).to_have_count(1)
    mark.first.click()
    expect(mark).to_have_count(0)
    page.get_by_role("button", name="Start the grant").click()
    expect(page.locator(".govuk-tag").first).to_have_text("Active")
    assert_accessible(page)

    # The group claims its first payment with evidence; the recommending officer may not
    # approve it, the second officer may.
    with app.test_request_context():
        award = db.session.get(Award, award_id)
        member = db.session.scalar(select(User).where(User.email == "treasurer1@example.org"))
        claim = next(p for p in sorted(award.payments, key=lambda p: p.due_date))
        receipt = make_document(award.organisation_id, member.id, "coaches.pdf", award_id=award_id)
        db.session.flush()
        claim.claim_lines.append(
            ClaimLine(
                description="Coaches, first half", amount_pence=400_000, document_id=receipt.id
            )
        )
        fire(member, claim, "claim")
        first_return = min(award.returns, key=lambda r: r.period_start)
        fire(None, first_return, "open")
        first_return.narrative = "Forty young people came to every session."
        fire(member, first_return, "submit")
        db.session.commit()
        claim_id, return_id = claim.id, first_return.id
    page.goto("/staff/payments")
    assert_accessible(page)
    page.goto(f"/staff/payments/{claim_id}")
    page.get_by_role("button", name="Approve the payment").click()
    assert assert_error_links_reach_fields(page) == [
        "Someone who recommended or approved the award cannot approve its payments"
    ]
    assert_accessible(page)
    second = new_page()
    sign_in_as_staff(second, *people["sam"])
    second.goto(f"/staff/payments/{claim_id}")
    second.get_by_role("button", name="Approve the payment").click()
    expect(second.locator(".govuk-tag").first).to_have_text("Approved")
    assert_accessible(second)

    # Finance pays it from the payment run; a missing reference is refused first.
    finance = new_page()
    sign_in_as_staff(finance, *people["fay"])
    finance.goto("/staff/payment-run")
    assert_accessible(finance)
    finance.get_by_role("main").locator("tbody a.govuk-link").first.click()
    paid = finance.get_by_role("group", name="Date paid")
    paid.get_by_label("Day").fill(str(today.day))
    paid.get_by_label("Month").fill(str(today.month))
    paid.get_by_label("Year").fill(str(today.year))
    finance.get_by_role("button", name="Record as paid").click()
    assert assert_error_links_reach_fields(finance) == ["Enter the payment reference"]
    assert_accessible(finance)
    finance.get_by_label("Payment reference").fill("BACS-0001")
    finance.get_by_role("button", name="Record as paid").click()
    expect(finance.locator(".govuk-tag").first).to_have_text("Paid")
    assert_accessible(finance)

    # The officer rates the grant: every rating is needed, with a comment.
    page.goto(award_url)
    page.get_by_role("button", name="Record the rating").click()
    assert assert_error_links_reach_fields(page) == [
        "Select a rating for delivery",
        "Select a rating for spend",
        "Select a rating for risk",
        "Enter a comment on the rating",
    ]
    assert_accessible(page)
    for what in ("Delivery", "Spend", "Risk"):
        page.get_by_role("group", name=what).get_by_label("Green").check()
    page.get_by_label("Comment").fill("Sessions full; first claim paid on time")
    page.get_by_role("button", name="Record the rating").click()
    expect(page.get_by_text("Sessions full; first claim paid on time")).to_be_visible()
    assert_accessible(page)

    # The officer accepts the group's first return from the monitoring page.
    page.goto("/staff/monitoring")
    assert_accessible(page)
    page.goto(f"/staff/returns/{return_id}")
    expect(page.get_by_text("Forty young people came to every session.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept the return").click()
    with app.app_context():
        assert db.session.get(MonitoringReturn, return_id).status.value == "accepted"
        assert db.session.get(Payment, claim_id).status.value == "paid"
        decided = db.session.get(Application, applications["Boxing after school"])
        assert decided.status is ApplicationStatus.APPROVED
        assert decided.decision_record.amount_pence == 800_000
