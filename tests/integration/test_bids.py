"""The office as bidder: recording the funder's award, partner awards issued from an
intervention (never beyond its budget in a year), funder variations proposed down to the
partner awards (re-profiling their scheduled payments, never below what is already paid), and
partner awards hidden from other organisations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    AwardStatus,
    ExternalBid,
    MembershipRole,
    Payment,
    Programme,
    ProgrammeKind,
    StaffRole,
    utcnow,
)
from grants.models.bids import (
    BidProposal,
    FunderVariationStatus,
    Intervention,
    InterventionOutput,
    InterventionYear,
    ProposalYear,
)
from grants.services import bids
from grants.services.errors import NotFound, ServiceError
from tests.conftest import make_member, make_organisation, make_staff, sign_in_as
from workflows.engine import create, fire
from workflows.errors import GuardFailed


def a_bid(status: str = "awarded") -> dict:
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org")
    decider = make_staff(StaffRole.DECISION_MAKER, "dee@opcc.example.org")
    partner = make_organisation("Melton Community Safety Partnership")
    programme = Programme(name="Safer Streets 5", slug="ss5", kind=ProgrammeKind.EXTERNAL_BID)
    intervention = Intervention(
        title="Target hardening",
        partner_id=partner.id,
        years=[
            InterventionYear(financial_year=2023, budget_pence=100_000, first_quarter=3),
            InterventionYear(financial_year=2024, budget_pence=200_000),
        ],
        outputs=[InterventionOutput(description="Homes target-hardened", target=100)],
    )
    proposal = BidProposal(
        title="ASB in Melton",
        years=[
            ProposalYear(financial_year=2023, requested_pence=100_000),
            ProposalYear(financial_year=2024, requested_pence=200_000),
        ],
        interventions=[intervention],
    )
    bid = ExternalBid(
        programme=programme,
        title="Safer Streets 5",
        funder_name="Home Office",
        amount_requested_pence=300_000,
        proposals=[proposal],
    )
    create(officer, bid)
    fire(decider, bid, "submit")
    if status == "awarded":
        for year in proposal.years:
            year.awarded_pence = year.requested_pence
        fire(officer, bid, "record_award", amount_awarded_pence=300_000)
    db.session.commit()
    return {"officer": officer, "decider": decider, "partner": partner, "bid": bid,
            "proposal": proposal, "intervention": intervention}  # fmt: skip


def test_partner_award_within_the_budget_is_offered_to_the_partner(ctx):
    world = a_bid()
    award = bids.issue_partner_award(
        world["officer"],
        world["intervention"].id,
        "Target hardening",
        {2023: 60_000, 2024: 200_000},
    )
    assert award.organisation_id == world["partner"].id
    assert award.intervention_id == world["intervention"].id
    assert award.status.value == "offered" and award.amount_pence == 260_000


def test_partner_award_beyond_the_intervention_budget_in_a_year_is_refused(ctx):
    world = a_bid()
    bids.issue_partner_award(world["officer"], world["intervention"].id, "First", {2023: 60_000})
    with pytest.raises(ServiceError, match="budget for 2023/24"):
        bids.issue_partner_award(
            world["officer"], world["intervention"].id, "Second", {2023: 40_001}
        )
    # The other year's budget is its own: no transfer between years.
    with pytest.raises(ServiceError, match="budget for 2024/25"):
        bids.issue_partner_award(
            world["officer"], world["intervention"].id, "Third", {2024: 200_001}
        )
    assert db.session.query(Award).count() == 1


def test_engine_refuses_an_award_beyond_the_intervention_budget(ctx):
    from grants.models import AwardYear

    world = a_bid()
    award = Award(
        reference="X-1", programme_id=world["bid"].programme_id,
        organisation_id=world["partner"].id, intervention=world["intervention"],
        title="Too much", amount_pence=100_001,
        years=[AwardYear(financial_year=2023, amount_pence=100_001)],
    )  # fmt: skip
    with pytest.raises(GuardFailed, match="budget"):
        create(world["officer"], award)


def test_engine_refuses_a_year_the_intervention_has_no_budget_for(ctx):
    world = a_bid()
    with pytest.raises(ServiceError, match="no budget in 2025/26"):
        bids.issue_partner_award(world["officer"], world["intervention"].id, "Later", {2025: 1})


def test_a_declined_award_releases_its_budget(ctx):
    world = a_bid()
    first = bids.issue_partner_award(
        world["officer"], world["intervention"].id, "A", {2023: 100_000}
    )
    owner = make_member(world["partner"], "lucy@melton.example.org", MembershipRole.OWNER)
    fire(owner, first, "decline", reason="Delivered by the county instead")
    db.session.commit()
    again = bids.issue_partner_award(
        world["officer"], world["intervention"].id, "B", {2023: 100_000}
    )
    assert again.amount_pence == 100_000


def test_recording_the_award_per_proposal_and_year(ctx):
    world = a_bid(status="submitted")
    proposal = world["proposal"]
    awarded = {year.id: year.requested_pence for year in proposal.years}
    bid = bids.record_award(world["officer"], world["bid"].id, world["bid"].version, awarded)
    assert bid.status.value == "awarded" and bid.amount_awarded_pence == 300_000


def test_recording_more_than_was_asked_for_or_nothing_is_refused(ctx):
    world = a_bid(status="submitted")
    years = world["proposal"].years
    with pytest.raises(ServiceError, match="more than was asked"):
        bids.record_award(world["officer"], world["bid"].id, None, {y.id: 999_999 for y in years})
    with pytest.raises(ServiceError, match="unsuccessful"):
        bids.record_award(world["officer"], world["bid"].id, None, {y.id: 0 for y in years})
    assert world["bid"].status.value == "submitted"


def test_a_lowered_cap_is_proposed_down_to_the_partner_awards_and_approval_applies_it(ctx):
    world = a_bid()
    officer, decider = world["officer"], world["decider"]
    big = bids.issue_partner_award(officer, world["intervention"].id, "Big", {2024: 150_000})
    small = bids.issue_partner_award(officer, world["intervention"].id, "Small", {2024: 50_000})
    variation = bids.record_funder_variation(
        officer, world["bid"].id, world["proposal"].id, 2024, 160_000, "Home Office cap lowered"
    )
    reductions = {r.award_id: r.reduction_pence for r in variation.reductions}
    assert reductions == {big.id: 30_000, small.id: 10_000}
    assert all(r.variation.status.value == "requested" for r in variation.reductions)
    bids.decide_funder_variation(decider, variation.id, True, "Agreed with both partners")
    assert variation.decision is FunderVariationStatus.APPROVED
    assert all(r.variation.status.value == "approved" for r in variation.reductions)
    assert world["intervention"].years[1].budget_pence == 160_000
    # Each partner award is reduced through the engine, its year and total alike.
    assert (big.amount_pence, big.years[0].amount_pence) == (120_000, 120_000)
    assert (small.amount_pence, small.years[0].amount_pence) == (40_000, 40_000)
    reduce_events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "award", AuditEvent.action == "reduce")
    ).all()
    assert sorted(e.object_id for e in reduce_events) == sorted([big.id, small.id])
    # The freed money cannot be awarded again: the intervention is at its new budget.
    with pytest.raises(ServiceError, match="budget"):
        bids.issue_partner_award(officer, world["intervention"].id, "Refill", {2024: 1})


def test_a_cap_that_is_not_lower_is_refused(ctx):
    world = a_bid()
    with pytest.raises(ServiceError, match="lowers the cap"):
        bids.record_funder_variation(
            world["officer"], world["bid"].id, world["proposal"].id, 2024, 200_000, "Same"
        )


def test_reductions_add_up_to_the_excess_to_the_penny(ctx):
    world = a_bid()
    for title in ("A", "B", "C"):
        bids.issue_partner_award(world["officer"], world["intervention"].id, title, {2024: 66_666})
    proposed = bids.proposed_reductions(world["proposal"], 2024, 100_000)
    assert sum(p.reduction_pence for p in proposed) == 3 * 66_666 - 100_000


def test_bids_are_not_found_for_community_users(ctx):
    world = a_bid()
    member = make_member(world["partner"], "lucy@melton.example.org")
    with pytest.raises(NotFound):
        bids.bid_for(member, world["bid"].id)


def test_a_partner_award_is_404_to_another_organisation(app, client, ctx):
    world = a_bid()
    award = bids.issue_partner_award(world["officer"], world["intervention"].id, "A", {2023: 1_000})
    other = make_organisation("Somewhere Else Trust")
    outsider = make_member(other, "owner@else.example.org", MembershipRole.OWNER)
    sign_in_as(client, outsider)
    checked = 0
    for rule in app.url_map.iter_rules():
        community_page = not rule.rule.startswith(("/staff", "/finance")) and "GET" in rule.methods
        if community_page and rule.arguments == {"award_id"}:
            response = client.get(rule.rule.replace("<int:award_id>", str(award.id)))
            assert response.status_code == 404, rule.rule
            checked += 1
    assert checked


# The pages -----------------------------------------------------------------------------------


def test_the_bid_page_runs_the_same_statements_however_many_interventions(app, client, ctx):
    from grants.jobs.outbox import dispatch_pending
    from tests.integration.test_queue import statements_run

    world = a_bid()
    officer, proposal_id = world["officer"], world["proposal"].id
    bids.issue_partner_award(officer, world["intervention"].id, "A", {2023: 1_000})
    sign_in_as(client, officer)
    url = f"/staff/bids/{world['bid'].id}"

    def statements() -> int:
        dispatch_pending()  # the awards' agreement jobs, so only the page is counted
        db.session.expunge_all()  # nothing already loaded in the test's shared session
        with statements_run(app) as seen:
            assert client.get(url).status_code == 200
        # Housekeeping around any request (the session's last-seen time, handing on jobs the
        # test's own moves recorded) is not the page's.
        return len([q for q in seen if "outbox_jobs" not in q and "web_sessions" not in q])

    one = statements()
    for number in range(3):
        partner = make_organisation(f"Partner {number}")
        intervention = Intervention(
            title=f"Intervention {number}",
            partner_id=partner.id,
            years=[InterventionYear(financial_year=2023, budget_pence=5_000)],
            outputs=[InterventionOutput(description="Homes visited", target=10)],
        )
        proposal = db.session.get(BidProposal, proposal_id)
        proposal.interventions.append(intervention)
        db.session.commit()
        bids.issue_partner_award(
            db.session.merge(officer), intervention.id, f"P{number}", {2023: 500}
        )
    assert statements() == one


def test_the_pages_record_an_outcome_issue_an_award_and_run_a_roll_up(client, ctx):
    from tests.conftest import post_form

    world = a_bid(status="submitted")
    bid, officer, decider = world["bid"], world["officer"], world["decider"]
    intervention = world["intervention"]
    sign_in_as(client, officer)
    page = f"/staff/bids/{bid.id}"
    assert client.get("/staff/bids").status_code == 200
    assert client.get(page).status_code == 200
    years = world["proposal"].years
    outcome = f"{page}/outcome"
    refused = post_form(client, outcome, {"version": bid.version, f"amount_{years[0].id}": "",
                                          f"amount_{years[1].id}": "2000"})  # fmt: skip
    assert refused.status_code == 400 and b"Enter the amount" in refused.data
    done = post_form(client, outcome, {"version": bid.version, f"amount_{years[0].id}": "1000",
                                       f"amount_{years[1].id}": "2000"})  # fmt: skip
    assert done.status_code == 302
    assert bid.status.value == "awarded" and bid.amount_awarded_pence == 300_000
    new_award = f"/staff/bids/interventions/{intervention.id}/awards/new"
    assert client.get(new_award).status_code == 200
    over = post_form(
        client, new_award, {"version": "0", "title": "Hardening", "amount_2023": "1000.01"}
    )
    assert over.status_code == 400 and b"budget for 2023/24" in over.data
    assert post_form(client, new_award, {"version": "0", "title": "Hardening",
                                         "amount_2023": "1000"}).status_code == 302  # fmt: skip
    drafted = post_form(
        client, f"{page}/returns", {"draft-financial_year": "2023", "draft-quarter": "3"}
    )
    assert drafted.status_code == 302
    return_page = drafted.headers["Location"]
    assert client.get(return_page).status_code == 200
    from grants.models.bids import FunderReturn

    funder_return = db.session.query(FunderReturn).one()
    not_yet = post_form(
        client, f"{return_page}/moves/review", {"review-version": funder_return.version}
    )
    assert not_yet.status_code == 400 and b"narrative" in not_yet.data
    edit = {"edit-version": funder_return.version, "edit-narrative": "On track", "edit-risks": ""}
    saved = post_form(client, return_page, edit)
    assert saved.status_code == 302
    db.session.refresh(funder_return)
    assert post_form(client, f"{return_page}/moves/review",
                     {"review-version": funder_return.version}).status_code == 302  # fmt: skip
    sign_in_as(client, decider)
    db.session.refresh(funder_return)
    assert post_form(client, f"{return_page}/moves/sign_off",
                     {"sign_off-version": funder_return.version}).status_code == 302  # fmt: skip
    sign_in_as(client, officer)
    db.session.refresh(funder_return)
    assert post_form(client, f"{return_page}/moves/submit",
                     {"submit-version": funder_return.version,
                      "submit-funder_reference": "HO-1"}).status_code == 302  # fmt: skip
    db.session.refresh(funder_return)
    assert funder_return.status.value == "submitted"
    download = client.get(f"{return_page}/spreadsheet")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_bid_pages_are_not_for_community_users_and_unknown_ids_are_404(client, ctx):
    world = a_bid()
    sign_in_as(client, world["officer"])
    assert client.get("/staff/bids/999").status_code == 404
    assert client.get("/staff/bids/returns/999").status_code == 404
    assert client.get("/staff/bids/interventions/999/awards/new").status_code == 404
    member = make_member(world["partner"], "lucy@melton.example.org")
    sign_in_as(client, member)
    assert client.get(f"/staff/bids/{world['bid'].id}").status_code in (403, 404)


def an_active_partner_award(world: dict, title: str, pence: int, instalments: int) -> Award:
    """A partner award for 2024/25, accepted and started, its conditions met, paid in advance
    in equal quarterly instalments (the last one final) scheduled through the engine."""
    award = bids.issue_partner_award(
        world["officer"], world["intervention"].id, title, {2024: pence}
    )
    owner = make_member(world["partner"], f"{title.lower()}@melton.example.org")
    fire(owner, award, "accept", signatory="Lucy Hale, community safety manager")
    fire(world["officer"], award, "activate")
    for condition in award.conditions:
        condition.met_at, condition.met_by_id = utcnow(), world["officer"].id
    share = pence // instalments
    for number in range(instalments):
        last = number == instalments - 1
        create(
            world["officer"],
            Payment(
                award=award, financial_year=2024, is_final=last,
                amount_pence=pence - share * number if last else share,
                due_date=dt.date(2024, 4 + 3 * number, 1),
            ),
        )  # fmt: skip
    db.session.commit()
    return award


def test_approving_a_lowered_cap_reprofiles_the_partners_scheduled_payments(ctx):
    world = a_bid()
    officer, decider = world["officer"], world["decider"]
    big = an_active_partner_award(world, "Big", 150_000, 2)
    small = an_active_partner_award(world, "Small", 50_000, 2)
    finance = make_staff(StaffRole.FINANCE, "fin@opcc.example.org")
    paid = small.payments[0]
    fire(decider, paid, "approve")
    fire(finance, paid, "pay", paid_on=dt.date(2024, 4, 2), payment_reference="BACS-1")
    db.session.commit()

    variation = bids.record_funder_variation(
        officer, world["bid"].id, world["proposal"].id, 2024, 160_000, "Home Office cap lowered"
    )
    bids.decide_funder_variation(decider, variation.id, True, "Agreed with both partners")

    # Big: £1,500 in two instalments of £750, cut by £300 from the later one.
    assert [(p.status.value, p.amount_pence) for p in big.payments] == [
        ("scheduled", 75_000), ("scheduled", 45_000),
    ]  # fmt: skip
    # Small: £250 already paid stays; the later instalment takes the £100 cut.
    assert [(p.status.value, p.amount_pence) for p in small.payments] == [
        ("paid", 25_000), ("scheduled", 15_000),
    ]  # fmt: skip
    for award in (big, small):
        assert sum(p.amount_pence for p in award.payments) == award.years[0].amount_pence
    assert [str(finding) for finding in reconcile()] == []


def test_a_partner_award_paid_in_arrears_closes_once_every_payment_is_made(ctx):
    """Partner awards are paid by claims and instalments in arrears, none of them "final":
    closing waits for all of them instead, and a claim still being drafted does not count."""
    world = a_bid()
    officer, decider = world["officer"], world["decider"]
    award = bids.issue_partner_award(officer, world["intervention"].id, "Arrears", {2024: 90_000})
    owner = make_member(world["partner"], "arrears@melton.example.org")
    fire(owner, award, "accept", signatory="Lucy Hale, community safety manager")
    fire(officer, award, "activate")
    for condition in award.conditions:
        condition.met_at, condition.met_by_id = utcnow(), officer.id
    payments = []
    for due in (dt.date(2024, 7, 1), dt.date(2024, 10, 1), None):  # None: a claim being drafted
        pence = 45_000 if due else 0
        payment = Payment(
            award=award, financial_year=2024, amount_pence=pence, is_final=False, due_date=due
        )
        create(officer, payment)
        payments.append(payment)
    first, second, _ = payments
    finance = make_staff(StaffRole.FINANCE, "fin@opcc.example.org")
    db.session.commit()

    with pytest.raises(GuardFailed, match="2 payments or claims are not yet paid"):
        fire(officer, award, "close")
    db.session.rollback()
    fire(decider, first, "approve")
    fire(finance, first, "pay", paid_on=dt.date(2024, 7, 2), payment_reference="BACS-7")
    fire(decider, second, "approve")
    db.session.commit()
    with pytest.raises(GuardFailed, match="1 payments or claims are not yet paid"):
        fire(officer, award, "close")
    db.session.rollback()
    fire(finance, second, "pay", paid_on=dt.date(2024, 10, 2), payment_reference="BACS-10")
    fire(officer, award, "close")
    db.session.commit()
    assert award.status is AwardStatus.CLOSED
    assert [str(finding) for finding in reconcile()] == []


def test_a_lowered_cap_below_what_a_partner_is_already_paid_is_refused(ctx):
    world = a_bid()
    officer, decider = world["officer"], world["decider"]
    award = an_active_partner_award(world, "Only", 200_000, 1)
    finance = make_staff(StaffRole.FINANCE, "fin@opcc.example.org")
    (payment,) = award.payments
    fire(decider, payment, "approve")
    fire(finance, payment, "pay", paid_on=dt.date(2024, 4, 2), payment_reference="BACS-1")
    db.session.commit()
    variation = bids.record_funder_variation(
        officer, world["bid"].id, world["proposal"].id, 2024, 150_000, "Home Office cap lowered"
    )
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    with pytest.raises(ServiceError) as refusal:
        bids.decide_funder_variation(decider, variation.id, True, "Agreed with the partner")

    assert refusal.value.message == (
        f"{award.reference} cannot be reduced by £500.00 in 2024/25: £2,000.00 of that year is "
        "already claimed, approved or paid, so it can be reduced by £0.00 at most"
    )
    assert variation.decision is FunderVariationStatus.PROPOSED
    assert (award.amount_pence, payment.amount_pence) == (200_000, 200_000)
    assert world["intervention"].years[1].budget_pence == 200_000
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert [str(finding) for finding in reconcile()] == []
