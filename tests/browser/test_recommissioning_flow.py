"""Recommissioning a contract in a real browser: the sweep flags the contract for review; the
officer records the options appraisal and recommissions; uploads the specification, publishes,
records two bids, closes bidding and scores them; an officer's award above the estimate is
refused and the decision maker makes it; signing waits out the standstill; the new contract is
mobilised (starting is refused until the checklist is ticked), then started, and the old
contract ends. Then an officer adds a contract to the register by hand (refused first for
missing fields and partners putting in more than it is worth), starts it, and starts its review
from the review page without waiting for the sweep. Every page visited, error states included,
has no axe violations."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from grants.calendar import london_today
from grants.extensions import db
from grants.models import Programme, ProgrammeKind, StaffRole
from grants.models.commissioning import (
    Contract,
    ContractKpi,
    ContractStatus,
    Procurement,
    ProcurementStatus,
)
from grants.services import contracts
from tests.browser.support import assert_accessible
from tests.browser.test_staff_decisions import sign_in_as_staff
from tests.conftest import make_organisation, make_staff

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def contract_near_its_end(app: Flask) -> dict:
    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
        decider = make_staff(StaffRole.DECISION_MAKER, "dee@opcc.example.org")
        catch22 = make_organisation("Catch22")
        contract = Contract(
            programme=Programme(
                name="Victims", slug="victims", kind=ProgrammeKind.COMMISSIONED_SERVICE
            ),
            provider_id=catch22.id,
            title="Victim First",
            service="Victims' services",
            annual_value_pence=50_000_000,
            starts_on=dt.date(2024, 4, 1),
            ends_on=london_today() + dt.timedelta(days=200),
            extension_options=0,
            status=ContractStatus.ACTIVE,
        )
        contract.kpis.append(
            ContractKpi(position=1, name="Victims referred", unit="referrals", target=4000)
        )
        db.session.add(contract)
        db.session.commit()
        assert contracts.flag_contracts_due(london_today()) == 1  # the sweep
        return {
            "contract": contract.id,
            "officer": (officer.email, officer.totp_secret),
            "decider": (decider.email, decider.totp_secret),
        }


def fill_date(page: Page, name: str, day: dt.date) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def test_recommissioning_from_review_to_a_new_active_contract(
    app: Flask, page: Page, new_page
) -> None:
    case = contract_near_its_end(app)
    sign_in_as_staff(page, *case["officer"])

    page.goto("/staff/contracts")
    assert_accessible(page)
    expect(page.locator("#reviews-due")).to_contain_text("Victim First")
    page.locator("#reviews-due").get_by_role("link", name="Victim First").click()
    expect(page.locator("#contract-summary")).to_contain_text("Review due")
    assert_accessible(page)
    page.get_by_role("link", name="Record the options appraisal and decision").click()
    assert_accessible(page)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the options considered")
    assert_accessible(page)
    page.get_by_label("Options considered").fill("No extension option is left: re-tender or end.")
    page.get_by_label("Costs").fill("Re-tender: up to £1.5m over three years.")
    page.get_by_label("Recommendation").fill("Re-tender a three-year service.")
    page.get_by_label("Recommission: tender a new contract").check()
    page.get_by_label("Estimated value of the new contract (if recommissioning)").fill("1,500,000")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("h1")).to_have_text("Recommissioning: Victims' services")
    assert_accessible(page)

    # Specification and publication, with a refused closing date first.
    page.get_by_label("Specification").set_input_files(
        {"name": "specification.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload the specification").click()
    expect(page.locator("#procurement-summary")).to_contain_text("specification.pdf")
    opens, closes = dt.date(2026, 6, 1), dt.date(2026, 7, 31)
    fill_date(page, "publish-published_on", opens)
    fill_date(page, "publish-closes_on", opens - dt.timedelta(days=1))
    page.get_by_role("button", name="Publish the tender").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("closing date must be after")
    assert_accessible(page)
    fill_date(page, "publish-published_on", opens)
    fill_date(page, "publish-closes_on", closes)
    page.get_by_role("button", name="Publish the tender").click()
    expect(page.locator("#procurement-summary")).to_contain_text("Published")
    assert_accessible(page)

    for bidder, price in (("Catch22", "2,500,000"), ("Harbour Support Ltd", "2,000,000")):
        page.get_by_label("Bidder").fill(bidder)
        page.get_by_label("Price over the contract's term").fill(price)
        fill_date(page, "bid-received_on", dt.date(2026, 7, 15))
        page.get_by_label("Bid documents (optional)").set_input_files(
            {"name": f"{bidder}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Record the bid").click()
        expect(page.locator("#bids")).to_contain_text(bidder)
    assert_accessible(page)
    page.get_by_role("button", name="Close bidding and evaluate").click()
    expect(page.locator("#procurement-summary")).to_contain_text("Evaluating")
    for bidder, quality in (("Catch22", "90"), ("Harbour Support Ltd", "60")):
        page.get_by_label(f"Quality score for {bidder} (per cent)").fill(quality)
        page.get_by_role("button", name=f"Save the score for {bidder}").click()
    # Catch22: 90% of 70 + 2.0m/2.5m of 30 = 63 + 24 = 87; Harbour: 42 + 30 = 72.
    expect(page.locator("#bids")).to_contain_text("87.00")
    expect(page.locator("#bids")).to_contain_text("72.00")
    assert_accessible(page)
    procurement_url = page.url

    page.get_by_label("Catch22: 87.00 points").check()
    page.get_by_label("Reasons for the award").fill("Highest score on quality and price.")
    page.get_by_role("button", name="Award the contract").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("needs the decision maker")
    assert_accessible(page)

    decider = new_page()
    sign_in_as_staff(decider, *case["decider"])
    decider.goto(procurement_url)
    assert_accessible(decider)
    decider.get_by_label("Catch22: 87.00 points").check()
    decider.get_by_label("Reasons for the award").fill(
        "Highest score; above the estimate, so mine."
    )
    decider.get_by_role("button", name="Award the contract").click()
    expect(decider.locator("#procurement-summary")).to_contain_text("Standstill ends")
    assert_accessible(decider)

    # Signing before the standstill period ends is refused.
    page.goto(procurement_url)
    fill_date(page, "sign-starts_on", dt.date(2027, 4, 1))
    fill_date(page, "sign-ends_on", dt.date(2030, 3, 31))
    page.get_by_role("button", name="Sign the contract").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("standstill period runs until")
    assert_accessible(page)
    with app.app_context():
        tender = db.session.query(Procurement).one()
        assert tender.status is ProcurementStatus.AWARDED
        tender.standstill_ends_on = london_today() - dt.timedelta(days=1)  # eight working days on
        db.session.commit()
    page.goto(procurement_url)
    fill_date(page, "sign-starts_on", dt.date(2027, 4, 1))
    fill_date(page, "sign-ends_on", dt.date(2030, 3, 31))
    page.get_by_role("button", name="Sign the contract").click()
    expect(page.locator("#contract-summary")).to_contain_text("Mobilising")
    assert_accessible(page)

    page.get_by_role("button", name="Start the service").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Tick every mobilisation item first"
    )
    assert_accessible(page)
    for _ in range(6):
        page.locator("#checklist button").first.click()
    expect(page.locator("#checklist button")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Start the service").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The service has started")
    expect(page.locator("#contract-summary")).to_contain_text("Active")
    assert_accessible(page)

    page.goto(f"/staff/contracts/{case['contract']}")
    expect(page.locator("#contract-summary")).to_contain_text("Ended")
    assert_accessible(page)
    with app.app_context():
        old = db.session.get(Contract, case["contract"])
        assert old.status is ContractStatus.ENDED and old.appraisals[0].decision == "recommission"


def test_adding_a_contract_to_the_register_then_starting_its_review(app: Flask, page: Page) -> None:
    """An officer adds a contract let outside the system (the error summary first), mobilises
    and starts it; inside its review window, the review page starts the review without waiting
    for the sweep."""
    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
        make_organisation("Catch22")
        db.session.add(
            Programme(
                name="Victim First victims' service",
                slug="victim-first",
                kind=ProgrammeKind.COMMISSIONED_SERVICE,
            )
        )
        db.session.commit()
        credentials = (officer.email, officer.totp_secret)
    sign_in_as_staff(page, *credentials)
    page.goto("/staff/contracts")
    page.get_by_role("button", name="Add a contract to the register").click()
    expect(page.locator("h1")).to_have_text("Add a contract to the register")
    assert_accessible(page)
    page.get_by_role("button", name="Add the contract").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the contract's title")
    assert_accessible(page)

    today = london_today()
    page.locator("#title").fill("Victim First: support for victims and witnesses")
    page.locator("#service").fill("Victims' services")
    page.locator("#provider").fill("Catch22")
    page.locator("#annual_value").fill("833,333.33")
    fill_date(page, "starts_on", today - dt.timedelta(days=700))
    fill_date(page, "ends_on", today + dt.timedelta(days=100))
    page.locator("#extension_options").fill("1")
    page.locator("#partner_1_name").fill("Leicester City Council")
    page.locator("#partner_1_contribution").fill("900,000")  # more than the contract is worth
    page.locator("#kpi_1_name").fill("Victims referred")
    page.locator("#kpi_1_unit").fill("referrals")
    page.locator("#kpi_1_target").fill("4,000")
    page.get_by_role("button", name="Add the contract").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be more than")
    assert_accessible(page)
    page.locator("#partner_1_contribution").fill("45,000")
    page.get_by_role("button", name="Add the contract").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("added to the register")
    expect(page.locator("#contract-summary")).to_contain_text("Mobilising")
    expect(page.locator("#partners")).to_contain_text("£45,000.00")
    assert_accessible(page)
    # The council's contribution changes: taken off, and added again at the new amount.
    page.get_by_role("button", name="Remove Leicester City Council").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Leicester City Council removed as a co-commissioning partner"
    )
    expect(page.locator("#partners")).to_have_count(0)
    page.get_by_text("Add a partner").click()
    page.get_by_label("Partner", exact=True).fill("Leicester City Council")
    page.get_by_label("Contribution a year").fill("50,000")
    page.get_by_role("button", name="Add partner").click()
    expect(page.locator("#partners")).to_contain_text("£50,000.00")
    assert_accessible(page)

    for _ in range(6):
        page.locator("#checklist button").first.click()
    page.get_by_role("button", name="Start the service").click()
    expect(page.locator("#contract-summary")).to_contain_text("Active")
    page.get_by_role("link", name="Start the review").click()
    assert_accessible(page)
    page.get_by_role("button", name="Start the review now").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The review has started")
    expect(page.locator("#review-summary")).to_contain_text("Review due")
    expect(page.get_by_role("button", name="Record the decision")).to_be_visible()
    assert_accessible(page)
