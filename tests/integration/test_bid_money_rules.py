"""The office's money from an outside funder: partner awards are issued only from what the
funder awarded (its outcome recorded, per proposal and financial year, never beyond it across
the proposal's interventions); a cap the funder lowers lowers the bid's awarded total at once,
with the award as it was kept on the ledger; and deciding the reductions it proposes works from
its page.

The engine's refusals of partner awards come from ``workflows.bid_rules.within_funder_award``,
a creation guard of the award lifecycle (``workflows/award.py``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    AwardYear,
    ExternalBidStatus,
    MembershipRole,
    StaffRole,
    utcnow,
)
from grants.models.bids import (
    FunderVariation,
    FunderVariationStatus,
    Intervention,
    InterventionOutput,
    InterventionYear,
)
from grants.services import bids
from grants.services.errors import ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as
from tests.integration.test_bids import a_bid
from workflows.bid_rules import within_funder_award
from workflows.declaration import OFFICER, Move
from workflows.engine import create, fire
from workflows.errors import GuardFailed, NotAllowedFromState

# a_bid: one proposal (ASB in Melton) asking £1,000 in 2023/24 and £2,000 in 2024/25, with one
# intervention (Target hardening) budgeted the same.
ASKED = {2023: 100_000, 2024: 200_000}


def awarded_bid(awarded: dict[int, int]) -> dict:
    """The bid with the funder's award recorded per year (less than asked, where it says)."""
    world = a_bid(status="submitted")
    years = world["proposal"].years
    bids.record_award(
        world["officer"], world["bid"].id, None, {y.id: awarded[y.financial_year] for y in years}
    )
    return world


def second_intervention(world: dict, budget_2024: int) -> Intervention:
    """Another intervention of the same proposal, with its own partner and budget."""
    partner = make_organisation("Melton Borough Council")
    intervention = Intervention(
        title="Youth outreach", partner_id=partner.id, position=2,
        years=[InterventionYear(financial_year=2024, budget_pence=budget_2024)],
        outputs=[InterventionOutput(description="Young people reached", target=300)],
    )  # fmt: skip
    world["proposal"].interventions.append(intervention)
    db.session.commit()
    return intervention


def partner_award(world: dict, intervention: Intervention, years: dict[int, int]) -> Award:
    """A partner award as the engine sees it before creating it."""
    return Award(
        reference=f"XB-{intervention.id}-{len(intervention.awards) + 1}",
        programme_id=world["bid"].programme_id,
        organisation_id=intervention.partner_id,
        intervention=intervention,
        title="Partner award",
        amount_pence=sum(years.values()),
        years=[AwardYear(financial_year=fy, amount_pence=p) for fy, p in years.items()],
    )


def award_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Award))


# The rule itself --------------------------------------------------------------------------------


def rule_says(world: dict, award: Award) -> str | None:
    """The rule's answer for an award that is then put away again (never created)."""
    move = Move(world["officer"], OFFICER, award, "create", {}, utcnow())
    with db.session.no_autoflush:
        answer = within_funder_award(move)
        if award.intervention is not None:
            award.intervention.awards.remove(award)
        if award in db.session:
            db.session.expunge(award)
    return answer


def test_the_rule_allows_up_to_what_the_funder_awarded_for_the_proposal_and_year(ctx):
    world = awarded_bid({2023: 100_000, 2024: 150_000})
    intervention = world["intervention"]
    assert rule_says(world, partner_award(world, intervention, {2024: 150_000})) is None
    refusal = rule_says(world, partner_award(world, intervention, {2024: 150_001}))
    assert refusal == (
        "This would award partners more than the funder awarded for ASB in Melton in 2024/25: "
        "£1,500.00, of which £0.00 is already awarded"
    )


def test_the_rule_refuses_a_bid_whose_outcome_is_not_awarded(ctx):
    world = a_bid(status="submitted")
    refusal = rule_says(world, partner_award(world, world["intervention"], {2024: 1}))
    assert refusal == (
        "Partner awards are issued only from what the funder awarded: Safer Streets 5 is submitted"
    )
    db.session.rollback()


def test_the_rule_leaves_awards_that_are_not_from_an_intervention_alone(ctx):
    world = a_bid()
    award = Award(reference="PF-1", programme_id=world["bid"].programme_id, title="Grant",
                  organisation_id=world["partner"].id, amount_pence=1)  # fmt: skip
    assert rule_says(world, award) is None


# Through the engine (refused once the award lifecycle's creation guards include the rule) ------


def test_engine_refuses_a_partner_award_from_a_bid_only_submitted(ctx):
    world = a_bid(status="submitted")
    with pytest.raises(GuardFailed, match="only from what the funder awarded"):
        create(world["officer"], partner_award(world, world["intervention"], {2024: 1_000}))
    assert award_count() == 0


def test_engine_refuses_a_partner_award_from_an_unsuccessful_bid(ctx):
    world = a_bid(status="submitted")
    fire(world["officer"], world["bid"], "record_unsuccessful")
    db.session.commit()
    with pytest.raises(GuardFailed, match="Safer Streets 5 is unsuccessful"):
        create(world["officer"], partner_award(world, world["intervention"], {2024: 1_000}))
    with pytest.raises(ServiceError, match="Safer Streets 5 is unsuccessful"):
        bids.issue_partner_award(world["officer"], world["intervention"].id, "A", {2024: 1_000})
    assert award_count() == 0


def test_engine_refuses_partner_awards_beyond_the_funders_award_for_the_year(ctx):
    # The Home Office gave £1,500 of the £2,000 asked for 2024/25: the intervention's budget
    # (what was asked) is no longer the limit.
    world = awarded_bid({2023: 100_000, 2024: 150_000})
    officer, intervention = world["officer"], world["intervention"]
    with pytest.raises(GuardFailed, match="more than the funder awarded for ASB in Melton"):
        create(officer, partner_award(world, intervention, {2024: 150_001}))
    first = bids.issue_partner_award(officer, intervention.id, "First", {2024: 100_000})
    with pytest.raises(ServiceError, match=r"£1,500\.00, of which £1,000\.00 is already awarded"):
        bids.issue_partner_award(officer, intervention.id, "Second", {2024: 50_001})
    second = bids.issue_partner_award(officer, intervention.id, "Second", {2024: 50_000})
    assert (first.amount_pence, second.amount_pence) == (100_000, 50_000)
    assert award_count() == 2


def test_engine_counts_every_intervention_of_the_proposal_against_its_award(ctx):
    world = awarded_bid({2023: 100_000, 2024: 150_000})
    outreach = second_intervention(world, budget_2024=100_000)
    bids.issue_partner_award(world["officer"], world["intervention"].id, "Hardening", {
        2024: 120_000})  # fmt: skip
    # Within Youth outreach's own budget (£1,000), but the proposal has only £300 left.
    with pytest.raises(GuardFailed, match=r"of which £1,200\.00 is already awarded"):
        create(world["officer"], partner_award(world, outreach, {2024: 30_001}))
    create(world["officer"], partner_award(world, outreach, {2024: 30_000}))


def test_engine_refuses_a_year_the_funder_awarded_nothing_for(ctx):
    world = awarded_bid({2023: 0, 2024: 200_000})
    with pytest.raises(GuardFailed, match="awarded nothing for ASB in Melton in 2023/24"):
        create(world["officer"], partner_award(world, world["intervention"], {2023: 1}))


def test_engine_holds_partner_awards_to_a_cap_the_funder_has_lowered(ctx):
    world = awarded_bid(ASKED)
    officer = world["officer"]
    bids.issue_partner_award(officer, world["intervention"].id, "A", {2024: 100_000})
    bids.record_funder_variation(
        officer, world["bid"].id, world["proposal"].id, 2024, 120_000, "Cap lowered"
    )
    # The intervention's budget still shows £2,000 until the reductions are decided; the
    # funder's cap (£1,200) already holds.
    with pytest.raises(GuardFailed, match=r"£1,200\.00, of which £1,000\.00 is already awarded"):
        create(officer, partner_award(world, world["intervention"], {2024: 20_001}))


def test_a_declined_partner_award_gives_back_its_share_of_the_funders_award(ctx):
    world = awarded_bid({2023: 100_000, 2024: 150_000})
    officer = world["officer"]
    first = bids.issue_partner_award(officer, world["intervention"].id, "A", {2024: 150_000})
    owner = make_member(world["partner"], "lucy@melton.example.org", MembershipRole.OWNER)
    fire(owner, first, "decline", reason="Delivered by the county instead")
    db.session.commit()
    again = bids.issue_partner_award(officer, world["intervention"].id, "B", {2024: 150_000})
    assert again.amount_pence == 150_000


def test_the_partner_award_page_shows_the_funders_limit_in_the_error_summary(client, ctx):
    world = awarded_bid({2023: 100_000, 2024: 150_000})
    sign_in_as(client, world["officer"])
    url = f"/staff/bids/interventions/{world['intervention'].id}/awards/new"
    refused = post_form(client, url, {"version": "0", "title": "Hardening", "amount_2024": "1600"})
    assert refused.status_code == 400 and "govuk-error-summary" in refused.text
    assert "more than the funder awarded for ASB in Melton in 2024/25" in refused.text
    assert award_count() == 0


def test_the_bid_page_offers_partner_awards_only_once_the_funder_has_awarded(client, ctx):
    world = a_bid(status="submitted")
    sign_in_as(client, world["officer"])
    page = f"/staff/bids/{world['bid'].id}"
    assert "Issue a partner award" not in client.get(page).text
    years = world["proposal"].years
    bids.record_award(world["officer"], world["bid"].id, None, {y.id: 1 for y in years})
    assert "Issue a partner award for Target hardening" in client.get(page).text


# A cap the funder lowers ------------------------------------------------------------------------


def test_a_lowered_cap_lowers_the_bids_awarded_total_with_the_history_on_the_ledger(client, ctx):
    world = awarded_bid(ASKED)
    officer, bid = world["officer"], world["bid"]
    bids.issue_partner_award(officer, world["intervention"].id, "Big", {2024: 150_000})
    bids.issue_partner_award(officer, world["intervention"].id, "Small", {2024: 50_000})
    variation = bids.record_funder_variation(
        officer, bid.id, world["proposal"].id, 2024, 160_000, "Home Office cap lowered"
    )
    year = next(y for y in world["proposal"].years if y.financial_year == 2024)
    assert (year.awarded_pence, bid.amount_awarded_pence) == (160_000, 260_000)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "external_bid", AuditEvent.object_id == bid.id)
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, json.loads(e.amounts)["awarded_pence"]) for e in events[-2:]] == [
        ("record_award", "300000"), ("vary_award", "260000"),
    ]  # fmt: skip
    changes = json.loads(events[-1].changes)
    assert changes == {"financial_year": 2024, "new_cap_pence": "160000",
                       "proposal_id": world["proposal"].id}  # fmt: skip
    assert events[-1].reason == "Home Office cap lowered"

    # Approving the reductions leaves the totals where the funder put them.
    bids.decide_funder_variation(world["decider"], variation.id, True, "Agreed with partners")
    assert (year.awarded_pence, bid.amount_awarded_pence) == (160_000, 260_000)
    sign_in_as(client, officer)
    listing = client.get("/staff/bids").text
    assert "£2,600.00" in listing and "£3,000.00</td>" in listing  # requested stays as asked
    assert [str(finding) for finding in reconcile()] == []


def test_a_second_lowering_lowers_the_total_again(ctx):
    world = awarded_bid(ASKED)
    officer, bid, proposal = world["officer"], world["bid"], world["proposal"]
    bids.record_funder_variation(officer, bid.id, proposal.id, 2024, 180_000, "First cut")
    bids.record_funder_variation(officer, bid.id, proposal.id, 2023, 90_000, "Second cut")
    assert bid.amount_awarded_pence == 270_000
    assert [str(finding) for finding in reconcile()] == []


def test_the_engine_refuses_to_record_a_funders_change_that_raises_its_award(ctx):
    world = awarded_bid(ASKED)
    year = world["proposal"].years[0]
    year.awarded_pence += 1
    with pytest.raises(GuardFailed, match=r"lowers its award: £3,000\.01 is more than"):
        fire(world["officer"], world["bid"], "vary_award", reason="More money")
    db.session.rollback()


def test_a_funders_change_is_refused_once_the_programme_is_closed(ctx):
    world = awarded_bid(ASKED)
    officer, bid = world["officer"], world["bid"]
    for trigger in ("mobilise", "start_delivery", "close"):
        fire(officer, bid, trigger)
    db.session.commit()
    with pytest.raises(NotAllowedFromState, match="because the external bid is closed"):
        fire(officer, bid, "vary_award", reason="Late change")
    with pytest.raises(ServiceError, match="because the external bid is closed"):
        bids.record_funder_variation(officer, bid.id, world["proposal"].id, 2024, 1, "Late")
    db.session.expire_all()
    assert bid.amount_awarded_pence == 300_000
    assert db.session.scalar(select(func.count()).select_from(FunderVariation)) == 0
    assert bid.status is ExternalBidStatus.CLOSED


# Deciding a funder variation on its page -------------------------------------------------------


@pytest.mark.parametrize(("decision", "shown"), [("approve", "approved"), ("reject", "rejected")])
def test_deciding_a_funder_variation_on_its_page(client, ctx, decision, shown):
    world = awarded_bid(ASKED)
    officer = world["officer"]
    award = bids.issue_partner_award(officer, world["intervention"].id, "A", {2024: 200_000})
    variation = bids.record_funder_variation(
        officer, world["bid"].id, world["proposal"].id, 2024, 150_000, "Cap lowered"
    )
    url = f"/staff/bids/funder-variations/{variation.id}"
    sign_in_as(client, world["decider"])
    assert client.get(url).status_code == 200

    # No decision and no reasons: the error summary, and nothing is decided.
    refused = post_form(client, url, {"decision": "", "reason": ""})
    assert refused.status_code == 400 and "govuk-error-summary" in refused.text
    assert "Choose whether to approve or reject" in refused.text
    db.session.refresh(variation)
    assert variation.decision is FunderVariationStatus.PROPOSED

    decided = post_form(client, url, {"decision": decision, "reason": "Agreed with Melton"})
    assert decided.status_code == 302
    assert decided.headers["Location"] == f"/staff/bids/{world['bid'].id}"
    bid_page = client.get(decided.headers["Location"])
    assert bid_page.status_code == 200
    assert f"The reductions are {shown}" in bid_page.text
    db.session.refresh(variation)
    db.session.refresh(award)
    assert variation.decision.value == shown
    assert award.amount_pence == (150_000 if decision == "approve" else 200_000)
    # Decided once: the page shows the decision and no longer offers the form.
    again = client.get(url)
    assert again.status_code == 200 and 'id="decide-button"' not in again.text


def test_a_funder_variation_is_decided_only_by_managing_staff(client, ctx):
    world = awarded_bid(ASKED)
    variation = bids.record_funder_variation(
        world["officer"], world["bid"].id, world["proposal"].id, 2024, 150_000, "Cap lowered"
    )
    url = f"/staff/bids/funder-variations/{variation.id}"
    sign_in_as(client, make_staff(StaffRole.FINANCE, "fin@opcc.example.org"))
    assert client.get(url).status_code == 200
    refused = post_form(client, url, {"decision": "approve", "reason": "Fine"})
    assert refused.status_code == 403
    db.session.refresh(variation)
    assert variation.decision is FunderVariationStatus.PROPOSED
