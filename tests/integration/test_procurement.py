"""Recommissioning through procurement: the engine's guards (a specification to publish, a bid
to close bidding, an award only to a bid received and scored, within authority, after the
standstill), evaluation maths, and the new contract mobilised and started, ending the contract
it replaces, with the award held per financial year."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import pytest

from grants.extensions import db
from grants.models import AuditEvent, StaffRole
from grants.models.commissioning import (
    ContractPartner,
    ContractStatus,
    Procurement,
    ProcurementStatus,
    TenderBid,
)
from grants.services import contracts, procurement
from grants.services.errors import ServiceError
from tests.conftest import make_document, make_organisation, make_staff, post_form, sign_in_as
from tests.integration.test_contracts import make_contract
from workflows.engine import create, fire
from workflows.errors import GuardFailed

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def recommissioning(officer):  # type: ignore[no-untyped-def]
    old = make_contract(options=0, status=ContractStatus.RECOMMISSIONING)
    tender = Procurement(
        programme=old.programme,
        replaces=old,
        title="Recommissioning: Victim First",
        estimated_value_pence=150_000_000,
    )
    create(officer, tender)
    db.session.commit()
    return old, tender


def specified(tender, officer) -> None:  # type: ignore[no-untyped-def]
    """The tender's specification and dates, ready to publish."""
    spec = make_document(None, officer.id, "specification.pdf", purpose="specification")
    tender.specification_document_id = spec.id
    tender.published_on, tender.closes_on = dt.date(2023, 6, 12), dt.date(2023, 8, 11)


def evaluating(officer, *bids):  # type: ignore[no-untyped-def]
    old, tender = recommissioning(officer)
    specified(tender, officer)
    fire(officer, tender, "publish")
    bidders = [make_organisation(name) for name, _, _ in bids]  # each commits: make them first
    for bidder, (_, price, quality) in zip(bidders, bids, strict=True):
        tender.bids.append(
            TenderBid(
                bidder=bidder,
                price_pence=price,
                received_on=dt.date(2023, 8, 1),
                quality_score=quality,
            )
        )
    fire(officer, tender, "close_bidding")
    db.session.commit()
    return old, tender


def test_price_points_are_the_lowest_price_over_the_bid_times_the_weight(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = evaluating(officer, ("Catch22", 250_000_000, 80), ("Cheaper Ltd", 200_000_000, 60))
    scores = {s.bid.bidder.name: s for s in procurement.evaluate(tender)}
    assert scores["Cheaper Ltd"].price == 30
    assert scores["Catch22"].price == Fraction(200, 250) * 30 == 24
    assert scores["Catch22"].quality == Fraction(80, 100) * 70 == 56
    assert scores["Catch22"].total == 80 and scores["Cheaper Ltd"].total == 72
    assert [s.bid.bidder.name for s in procurement.evaluate(tender)] == ["Catch22", "Cheaper Ltd"]
    assert procurement.BidScore.shown(Fraction(200, 3)) == "66.67"


def test_unscored_bids_sort_last_and_block_the_award(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = evaluating(officer, ("Catch22", 100_000_000, None), ("Other", 120_000_000, 50))
    ranked = procurement.evaluate(tender)
    assert ranked[-1].total is None and ranked[-1].bid.bidder.name == "Catch22"
    with pytest.raises(ServiceError, match="Score every bid"):
        procurement.award(officer, tender.id, tender.version, ranked[0].bid.id, "Best value")


def test_an_award_above_the_estimate_needs_the_decision_maker(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    decider = make_staff(StaffRole.DECISION_MAKER)
    _, tender = evaluating(officer, ("Catch22", 250_000_000, 82))
    bid = tender.bids[0]
    with pytest.raises(ServiceError, match="needs the decision maker"):
        procurement.award(officer, tender.id, tender.version, bid.id, "Highest score")
    assert tender.status is ProcurementStatus.EVALUATING and tender.awarded_value_pence is None
    procurement.award(decider, tender.id, tender.version, bid.id, "Highest score; above estimate")
    assert tender.status is ProcurementStatus.AWARDED
    assert tender.awarded_value_pence == 250_000_000 and tender.standstill_ends_on is not None


def test_an_officer_awards_within_the_estimate_and_only_at_a_bids_price(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = evaluating(officer, ("Catch22", 140_000_000, 82))
    with pytest.raises(Exception, match="winning bid's price"):
        fire(
            officer,
            tender,
            "award",
            awarded_value_pence=100_000_000,
            awarded_to_id=tender.bids[0].bidder_id,
        )
    db.session.rollback()
    procurement.award(officer, tender.id, tender.version, tender.bids[0].id, None)
    assert tender.status is ProcurementStatus.AWARDED


def test_no_contract_before_the_standstill_period_ends_then_mobilisation_and_start(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    old, tender = evaluating(officer, ("Catch22", 140_000_000, 82))
    procurement.award(officer, tender.id, tender.version, tender.bids[0].id, None)
    with pytest.raises(ServiceError, match="standstill period runs until"):
        procurement.sign_contract(
            officer, tender.id, tender.version, dt.date(2027, 4, 1), dt.date(2030, 3, 31), 1
        )
    assert tender.status is ProcurementStatus.AWARDED and tender.let_contract_id is None
    tender.standstill_ends_on = dt.date.today() - dt.timedelta(days=1)  # time passes
    db.session.commit()
    new = procurement.sign_contract(
        officer, tender.id, tender.version, dt.date(2027, 4, 1), dt.date(2030, 3, 31), 1
    )
    assert new.status is ContractStatus.MOBILISING and tender.status is ProcurementStatus.CONTRACTED
    assert new.provider_id == tender.bids[0].bidder_id
    # £1.4m over three financial years: £466,666.66⅔ each, the two odd pence to the first two.
    assert [(y.financial_year, y.value_pence) for y in new.years] == [
        (2027, 46_666_667),
        (2028, 46_666_667),
        (2029, 46_666_666),
    ]
    assert new.total_value_pence == 140_000_000 and new.annual_value_pence == 46_666_667
    assert [k.name for k in new.kpis] == [k.name for k in old.kpis] and len(new.checklist) == 6
    with pytest.raises(ServiceError, match="Tick every mobilisation item"):
        contracts.move_contract(officer, new.id, "go_live", new.version)
    for item in new.checklist:
        contracts.tick_item(officer, new.id, item.id)
    contracts.move_contract(officer, new.id, "go_live", new.version)
    assert new.status is ContractStatus.ACTIVE and old.status is ContractStatus.ENDED


def test_publishing_needs_the_specification_and_sensible_dates(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    sign_in_as(client, officer)
    url = f"/staff/contracts/procurements/{tender.id}"
    dates = {
        "publish-version": str(tender.version),
        "publish-published_on": ["12", "6", "2023"],
        "publish-closes_on": ["11", "8", "2023"],
        "publish-quality_weight": "70",
    }
    nospec = post_form(client, f"{url}/publish", dates, token_from=url)
    assert nospec.status_code == 400 and "Upload the specification" in nospec.get_data(as_text=True)
    token = client.get(url).get_data(as_text=True)
    from tests.conftest import CSRF_RE

    uploaded = client.post(
        f"{url}/specification",
        data={
            "csrf_token": CSRF_RE.search(token).group(1),
            "specification-document": (io.BytesIO(PDF), "spec.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    db.session.expire_all()
    backwards = post_form(
        client,
        f"{url}/publish",
        {**dates, "publish-version": str(tender.version), "publish-closes_on": ["1", "6", "2023"]},
        token_from=url,
    )
    assert backwards.status_code == 400 and "closing date must be after" in backwards.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert tender.status is ProcurementStatus.PLANNING
    weight = post_form(
        client,
        f"{url}/publish",
        {**dates, "publish-version": str(tender.version), "publish-quality_weight": "101"},
        token_from=url,
    )
    assert weight.status_code == 400
    ok = post_form(
        client, f"{url}/publish", {**dates, "publish-version": str(tender.version)}, token_from=url
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert (
        tender.status is ProcurementStatus.PUBLISHED and tender.specification.filename == "spec.pdf"
    )


def test_bids_are_recorded_once_per_bidder_within_the_dates(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    specified(tender, officer)
    fire(officer, tender, "publish")
    db.session.commit()
    sign_in_as(client, officer)
    url = f"/staff/contracts/procurements/{tender.id}"
    bid = {
        "bid-bidder": "Catch22",
        "bid-price": "2,500,000",
        "bid-received_on": ["10", "8", "2023"],
    }
    assert post_form(client, f"{url}/bids", bid, token_from=url).status_code == 302
    again = post_form(client, f"{url}/bids", bid, token_from=url)
    assert again.status_code == 400 and "has already bid" in again.get_data(as_text=True)
    late = post_form(
        client,
        f"{url}/bids",
        {**bid, "bid-bidder": "Late Ltd", "bid-received_on": ["12", "8", "2023"]},
        token_from=url,
    )
    assert late.status_code == 400 and "after the closing date" in late.get_data(as_text=True)
    db.session.expire_all()
    assert [(b.bidder.name, b.price_pence) for b in tender.bids] == [("Catch22", 250_000_000)]


def test_procurements_are_not_for_community_users(client, ctx):
    from tests.conftest import make_member

    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    sign_in_as(client, make_member(make_organisation("Catch22 members"), "x@catch22.example.org"))
    assert client.get(f"/staff/contracts/procurements/{tender.id}").status_code == 403
    assert client.get("/staff/contracts/procurements/99999").status_code == 403


# Engine refusals ---------------------------------------------------------------------------------


def test_the_engine_will_not_publish_a_tender_without_its_specification(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    tender.published_on, tender.closes_on = dt.date(2023, 6, 12), dt.date(2023, 8, 11)
    with pytest.raises(GuardFailed, match="Upload the specification before publishing"):
        fire(officer, tender, "publish")
    assert tender.status is ProcurementStatus.PLANNING
    specified(tender, officer)
    fire(officer, tender, "publish")
    assert tender.status is ProcurementStatus.PUBLISHED


def test_the_engine_will_not_close_bidding_without_a_bid(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    specified(tender, officer)
    fire(officer, tender, "publish")
    db.session.commit()
    with pytest.raises(ServiceError, match="No bids have been recorded"):
        procurement.close_bidding(officer, tender.id, tender.version)
    assert tender.status is ProcurementStatus.PUBLISHED


def test_an_award_goes_only_to_a_bid_received_even_with_no_bids_at_all(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = recommissioning(officer)
    tender.status = ProcurementStatus.EVALUATING  # tests may set a state; the guard must hold
    db.session.commit()
    bidder = make_organisation("Never Bid Ltd")
    with pytest.raises(GuardFailed, match="No bids have been recorded"):
        fire(officer, tender, "award", awarded_value_pence=100_000_000, awarded_to_id=bidder.id)
    assert tender.status is ProcurementStatus.EVALUATING and tender.awarded_to_id is None


def test_an_award_goes_to_one_of_the_bidders(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = evaluating(officer, ("Catch22", 140_000_000, 82))
    outsider = make_organisation("Not A Bidder Ltd")
    with pytest.raises(GuardFailed, match="Choose one of the bidders"):
        fire(officer, tender, "award", awarded_value_pence=140_000_000, awarded_to_id=outsider.id)
    assert tender.status is ProcurementStatus.EVALUATING


def test_the_engine_will_not_award_before_every_bid_is_scored(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    _, tender = evaluating(officer, ("Catch22", 140_000_000, 82), ("Other", 120_000_000, None))
    winner = tender.bids[0]
    with pytest.raises(GuardFailed, match="Score every bid's quality"):
        fire(
            officer,
            tender,
            "award",
            awarded_value_pence=winner.price_pence,
            awarded_to_id=winner.bidder_id,
        )
    assert tender.status is ProcurementStatus.EVALUATING


# The new contract's value ----------------------------------------------------------------------


def signed(price: int, starts_on: dt.date, ends_on: dt.date):  # type: ignore[no-untyped-def]
    """A contract let by a tender won at ``price`` (the decision maker's award, so any price
    will do), signed for the term given."""
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    decider = make_staff(StaffRole.DECISION_MAKER)
    _, tender = evaluating(officer, ("Catch22", price, 82))
    procurement.award(decider, tender.id, tender.version, tender.bids[0].id, "Best value")
    tender.standstill_ends_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    return procurement.sign_contract(officer, tender.id, tender.version, starts_on, ends_on, 0)


def test_a_36_month_award_is_held_per_financial_year_to_the_penny(ctx):
    new = signed(250_000_000, dt.date(2024, 4, 1), dt.date(2027, 3, 31))
    assert [(y.financial_year, y.months, y.value_pence) for y in new.years] == [
        (2024, 12, 83_333_334),
        (2025, 12, 83_333_333),
        (2026, 12, 83_333_333),
    ]
    assert new.total_value_pence == 250_000_000 and new.annual_value_pence == 83_333_333
    created = db.session.query(AuditEvent).filter_by(object_type="contract", action="create").one()
    assert created.amounts == ('{"annual_value_pence":"83333333","total_value_pence":"250000000"}')


def test_a_30_month_award_is_two_and_a_half_years_not_two(ctx):
    new = signed(250_000_000, dt.date(2027, 4, 1), dt.date(2029, 9, 30))
    assert [(y.financial_year, y.months, y.value_pence) for y in new.years] == [
        (2027, 12, 100_000_000),
        (2028, 12, 100_000_000),
        (2029, 6, 50_000_000),
    ]
    assert new.annual_value_pence == 100_000_000


def test_an_award_in_odd_pence_across_four_financial_years_adds_up(ctx):
    new = signed(100_000_001, dt.date(2027, 8, 1), dt.date(2030, 7, 31))
    assert [(y.financial_year, y.months, y.value_pence) for y in new.years] == [
        (2027, 8, 22_222_222),
        (2028, 12, 33_333_334),
        (2029, 12, 33_333_334),
        (2030, 4, 11_111_111),
    ]
    assert new.total_value_pence == 100_000_001


def test_the_contract_page_shows_the_value_by_financial_year(client, ctx):
    new = signed(250_000_000, dt.date(2024, 4, 1), dt.date(2027, 3, 31))
    sign_in_as(client, make_staff(StaffRole.ASSESSOR))  # any staff member reads the register
    page = client.get(f"/staff/contracts/{new.id}").get_data(as_text=True)
    assert 'id="contract-years"' in page
    assert "2024/25" in page and "£833,333.34" in page and "£833,333.33" in page
    assert "£2,500,000.00" in page


# Partners carried over --------------------------------------------------------------------------


def test_partners_carried_over_beyond_the_new_value_are_flagged_and_agreed_again(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    old, tender = evaluating(officer, ("Catch22", 90_000_000, 82))
    old.partners.append(
        ContractPartner(name="Leicester City Council", contribution_pence=25_000_000)
    )
    old.partners.append(
        ContractPartner(name="Rutland County Council", contribution_pence=10_000_000)
    )
    procurement.award(officer, tender.id, tender.version, tender.bids[0].id, None)
    tender.standstill_ends_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    # £900,000 over three years is £300,000 a year; the partners put in £350,000 a year.
    new = procurement.sign_contract(
        officer, tender.id, tender.version, dt.date(2027, 4, 1), dt.date(2030, 3, 31), 0
    )
    assert [p.contribution_pence for p in new.partners] == [25_000_000, 10_000_000]
    sign_in_as(client, officer)
    url = f"/staff/contracts/{new.id}"
    page = client.get(url).get_data(as_text=True)
    assert (
        "The partners&#39; contributions (£350,000.00 a year) are more than this contract&#39;s"
        " value a year (£300,000.00)" in page
    )
    assert "remove the partner and add it again" in page

    city = new.partners[0]
    removed = post_form(client, f"{url}/partners/{city.id}/remove", {}, token_from=url)
    assert removed.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Leicester City Council removed as a co-commissioning partner" in page
    assert "are more than this contract" not in page
    again = post_form(
        client,
        f"{url}/partners",
        {"partner-name": "Leicester City Council", "partner-contribution": "200,000"},
        token_from=url,
    )
    assert again.status_code == 302
    db.session.expire_all()
    assert sorted(p.contribution_pence for p in new.partners) == [10_000_000, 20_000_000]
    # The old contract keeps its partners as they were.
    assert sorted(p.contribution_pence for p in old.partners) == [10_000_000, 25_000_000]


def test_removing_a_partner_is_refused_for_others_ended_contracts_and_the_wrong_contract(
    client, ctx
):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    ended = make_contract(status=ContractStatus.ENDED)
    ended.partners.append(ContractPartner(name="Leicester City Council", contribution_pence=1))
    other = make_contract(make_organisation("Victim Support"))
    db.session.commit()
    partner_id = ended.partners[0].id
    url = f"/staff/contracts/{ended.id}"

    sign_in_as(client, make_staff(StaffRole.ASSESSOR, "assessor@opcc.example.org"))
    assert (
        post_form(client, f"{url}/partners/{partner_id}/remove", {}, token_from=url).status_code
        == 403
    )
    sign_in_as(client, officer)
    elsewhere = f"/staff/contracts/{other.id}"
    wrong = post_form(client, f"{elsewhere}/partners/{partner_id}/remove", {}, token_from=elsewhere)
    assert wrong.status_code == 404
    refused = post_form(client, f"{url}/partners/{partner_id}/remove", {}, token_from=url)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "There is a problem" in body
    assert "This contract has ended" in body
    db.session.expire_all()
    assert [p.name for p in ended.partners] == ["Leicester City Council"]
