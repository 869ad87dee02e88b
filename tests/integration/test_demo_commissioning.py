"""The demo's victims' service contracts as the register shows them: the 2023 tender published
with its specification and awarded to a bid recorded and scored (the engine's guards, with no
exception for history), the 2024 contract's value held per financial year to the penny, its
KPI returns scheduled for the whole term, and its review: in review once its review date has
passed when the demo loads (the sweep's flag is in its history), active before then."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app
from sqlalchemy import select

from grants.demo import load_demo
from grants.demo.dates import london
from grants.extensions import db
from grants.models import AuditEvent, Contract, Procurement, StaffRole, User
from grants.models.commissioning import ContractStatus, KpiReturnStatus
from grants.services import contracts
from tests.conftest import sign_in_as

# After the 2024 contract's review date (30 June 2026, nine months before it ends).
IN_REVIEW = london(dt.date(2026, 10, 1), 12)
BEFORE_REVIEW = london(dt.date(2026, 5, 1), 12)


def contracts_by_start() -> list[Contract]:
    return list(db.session.scalars(select(Contract).order_by(Contract.starts_on)))


def test_the_tender_was_published_with_its_specification_and_awarded_to_a_bid_received(ctx):
    load_demo(IN_REVIEW)
    tender = db.session.scalars(select(Procurement)).one()
    assert tender.specification is not None
    assert tender.specification.purpose == "specification"
    assert tender.specification.organisation_id is None  # the office's own document
    (bid,) = tender.bids
    assert bid.bidder.name == "Catch22" and bid.price_pence == tender.awarded_value_pence
    assert bid.received_on == dt.date(2023, 8, 10) and bid.quality_score == 82
    assert bid.document is not None and bid.document.organisation_id == bid.bidder_id
    store = current_app.extensions["document_store"]
    for document in (tender.specification, bid.document):
        with store.open(document.storage_key) as stored:
            assert stored.read(5) == b"%PDF-"


def test_the_new_contract_holds_the_award_per_financial_year_exactly(ctx):
    load_demo(IN_REVIEW)
    first, second = contracts_by_start()
    tender = db.session.scalars(select(Procurement)).one()
    assert [(y.financial_year, y.months, y.value_pence) for y in second.years] == [
        (2024, 12, 83_333_334),
        (2025, 12, 83_333_333),
        (2026, 12, 83_333_333),
    ]
    assert second.total_value_pence == tender.awarded_value_pence == 250_000_000
    assert second.annual_value_pence == 83_333_333
    # The 2018 contract: three years at its value a year, then the two-year extension's.
    assert first.total_value_pence == 5 * first.annual_value_pence
    assert sum(y.months for y in first.years) == 60


def test_the_kpi_returns_cover_the_whole_term(ctx):
    load_demo(IN_REVIEW)
    _, second = contracts_by_start()
    returns = second.kpi_returns
    assert len(returns) == 12
    assert (returns[0].period_start, returns[-1].period_end) == (
        dt.date(2024, 4, 1),
        dt.date(2027, 3, 31),
    )
    # By 1 October 2026 nine quarters have ended: seven rated, one submitted, the last open.
    statuses = [r.status for r in returns]
    assert statuses.count(KpiReturnStatus.ACCEPTED) == 8
    assert statuses[8:] == [
        KpiReturnStatus.SUBMITTED,
        KpiReturnStatus.OPEN,
        KpiReturnStatus.SCHEDULED,
        KpiReturnStatus.SCHEDULED,
    ]


def test_a_contract_listed_as_due_for_review_is_in_review(app: Flask, client, ctx):
    load_demo(IN_REVIEW)
    _, second = contracts_by_start()
    assert second.status is ContractStatus.REVIEW_DUE
    flagged = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "contract",
            AuditEvent.object_id == second.id,
            AuditEvent.action == "flag_review",
        )
    ).one()
    assert flagged.actor_id is None and flagged.occurred_at == london(dt.date(2026, 6, 30), 7)
    officer = db.session.scalars(
        select(User).where(User.staff_role == StaffRole.COMMISSIONING_OFFICER).order_by(User.id)
    ).first()
    sign_in_as(client, officer)
    register = client.get("/staff/contracts").get_data(as_text=True)
    due = register.split('id="reviews-due"', 1)[1].split("</table>", 1)[0]
    assert "2024 to 2027" in due and "Review due" in due
    review = client.get(f"/staff/contracts/{second.id}/review").get_data(as_text=True)
    assert "Record the decision" in review and "there is no review to record" not in review


def test_before_its_review_date_the_contract_is_active_and_not_listed_as_due(ctx):
    load_demo(BEFORE_REVIEW)
    _, second = contracts_by_start()
    assert second.status is ContractStatus.ACTIVE
    assert contracts.register(today=dt.date(2026, 5, 1)).due == []
    officer = db.session.scalars(
        select(User).where(User.staff_role == StaffRole.COMMISSIONING_OFFICER).order_by(User.id)
    ).first()
    # Once the date comes, and before the sweep has run, the officer may start the review.
    assert not contracts.contract_page(
        officer, second.id, today=dt.date(2026, 6, 29)
    ).review_can_start
    assert contracts.contract_page(officer, second.id, today=dt.date(2026, 6, 30)).review_can_start


def test_the_demo_follows_the_configured_review_period(app: Flask, ctx):
    app.config["CONTRACT_REVIEW_MONTHS"] = 3  # review from 31 December 2026
    try:
        load_demo(IN_REVIEW)
    finally:
        del app.config["CONTRACT_REVIEW_MONTHS"]
    _, second = contracts_by_start()
    assert second.status is ContractStatus.ACTIVE
