"""The office as bidder: a bid to an outside funder, its proposals and interventions, the
funder's decision per proposal and year, the funder's later changes (a cap lowered) proposed
down to the partner awards, and partner awards issued from an intervention.

Funder variations are recorded as the funder's decision: the proposal's cap for the year is
lowered at once, and the bid's awarded total with it (the bid's ``vary_award`` move, so the
ledger keeps the award as it was and as it is now). The reductions this makes necessary are
carried out as award variations through the engine: recording one creates a requested variation
on each partner award it reduces, and the decision approves or rejects them all. Approving
applies each with the award's ``reduce`` move and lowers the intervention's budget for the year
by it, so no new award can take the money back.

Writing the bid (its details, proposals and interventions) is ``bid_setup``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import financial_year as year_label
from grants.filters import pounds
from grants.models import (
    Award,
    AwardCondition,
    AwardStatus,
    AwardYear,
    ExternalBid,
    ExternalBidStatus,
    User,
    Variation,
    utcnow,
)
from grants.models.bids import (
    BidProposal,
    FunderVariation,
    FunderVariationStatus,
    Intervention,
    PartnerReduction,
)
from grants.policy import ANY_STAFF
from grants.services.awarding import OFFER_OPEN_FOR_DAYS, STANDARD_CONDITIONS
from grants.services.errors import NotFound, ServiceError
from workflows.engine import available_triggers, create, fire
from workflows.errors import WorkflowError
from workflows.registry import BY_NAME

TITLE_MAX = 200
TEXT_MAX = 2000
# Moves made on their own pages: the outcome (amounts per proposal and year), changes to the
# draft (the bid's details, proposals and interventions) and changes the funder made.
OWN_PAGES = frozenset({"record_award", "amend", "vary_award"})
# The funder's terms on moving money between years: the page offers the move that changes them.
TRANSFER_MOVES = {True: "forbid_year_transfers", False: "allow_year_transfers"}
AWARDED_BID = frozenset(
    {ExternalBidStatus.AWARDED, ExternalBidStatus.MOBILISING, ExternalBidStatus.DELIVERING}
)
RELEASED = {AwardStatus.DECLINED, AwardStatus.LAPSED}


@dataclass(frozen=True)
class BidMove:
    trigger: str
    label: str
    needs_reason: bool


def bids(user: User) -> list[ExternalBid]:
    staff_only(user)
    return list(db.session.scalars(select(ExternalBid).order_by(ExternalBid.id.desc())))


def bid_for(user: User, bid_id: int) -> ExternalBid:
    staff_only(user)
    bid = db.session.scalar(
        select(ExternalBid)
        .options(
            # Everything the bid's page shows, in a fixed number of statements.
            selectinload(ExternalBid.proposals)
            .selectinload(BidProposal.interventions)
            .selectinload(Intervention.awards),
            selectinload(ExternalBid.proposals)
            .selectinload(BidProposal.interventions)
            .selectinload(Intervention.years),
            selectinload(ExternalBid.proposals)
            .selectinload(BidProposal.interventions)
            .selectinload(Intervention.outputs),
            selectinload(ExternalBid.proposals)
            .selectinload(BidProposal.interventions)
            .selectinload(Intervention.partner),
            selectinload(ExternalBid.proposals).selectinload(BidProposal.years),
            selectinload(ExternalBid.funder_variations).selectinload(FunderVariation.proposal),
            selectinload(ExternalBid.funder_returns),
        )
        .where(ExternalBid.id == bid_id)
    )
    if bid is None:
        raise NotFound
    return bid


def intervention_for(user: User, intervention_id: int) -> Intervention:
    staff_only(user)
    intervention = db.session.get(Intervention, intervention_id)
    if intervention is None:
        raise NotFound
    return intervention


def bid_moves(user: User, bid: ExternalBid) -> list[BidMove]:
    """The moves the bid's page offers as buttons: of the two about moving money between
    years, only the one that changes the funder's terms as recorded."""
    kept_as_is = TRANSFER_MOVES[not bid.allows_transfer_between_years]
    return [
        BidMove(t.trigger, t.label, "reason" in t.requires)
        for t in available_triggers(user, bid)
        if t.trigger not in OWN_PAGES and t.trigger != kept_as_is
    ]


def may_issue_partner_awards(user: User, bid: ExternalBid) -> bool:
    """Partner awards come from what the funder awarded (the award's creation guards hold the
    rule); the page offers them once the outcome is recorded, to those who may make them."""
    role = user.staff_role.value if user.staff_role is not None else None
    return bid.status in AWARDED_BID and role in BY_NAME["award"].creators


def problems_before_submitting(bid: ExternalBid) -> list[str]:
    """What the draft still lacks: something to ask for, with who will deliver it."""
    if not bid.proposals:
        return ["Add at least one proposal before the bid is submitted"]
    problems = [
        f"{proposal.title} has no interventions: add one before the bid is submitted"
        for proposal in bid.proposals
        if not proposal.interventions
    ]
    if not problems and bid.amount_requested_pence <= 0:
        problems.append("The bid asks for nothing: give its interventions budgets")
    return problems


def may_record_outcome(user: User, bid: ExternalBid) -> bool:
    return any(t.trigger == "record_award" for t in available_triggers(user, bid))


def move_bid(
    user: User, bid_id: int, trigger: str, expected_version: int | None, reason: str | None
) -> ExternalBid:
    bid = bid_for(user, bid_id)
    if trigger in OWN_PAGES:
        raise ServiceError("Make that change on its own page")
    if trigger == "submit":
        problems = problems_before_submitting(bid)
        if problems:
            raise ServiceError(problems[0])
    payload = {"reason": reason.strip()} if reason and reason.strip() else {}
    fire_and_commit(user, bid, trigger, expected_version, **payload)
    return bid


def record_award(
    user: User, bid_id: int, expected_version: int | None, awarded: Mapping[int, int]
) -> ExternalBid:
    """The funder's award, per proposal year (by ProposalYear id, whole pence; 0 for a
    proposal or year it did not fund)."""
    bid = bid_for(user, bid_id)
    years = {year.id: year for proposal in bid.proposals for year in proposal.years}
    if set(awarded) != set(years):
        raise ServiceError("Enter the amount awarded for every proposal and year")
    for year_id, pence in awarded.items():
        if pence < 0:
            raise ServiceError("Amounts awarded cannot be negative")
        if pence > years[year_id].requested_pence:
            raise ServiceError(
                f"{years[year_id].proposal.title}: the award cannot be more than was asked for"
            )
    total = sum(awarded.values())
    if total == 0:
        raise ServiceError("Enter what the funder awarded, or record the bid as unsuccessful")
    for year_id, pence in awarded.items():
        years[year_id].awarded_pence = pence
    fire_and_commit(user, bid, "record_award", expected_version, amount_awarded_pence=total)
    return bid


def outcome_fields(bid: ExternalBid) -> list[tuple[str, str]]:
    """The outcome page's amounts: one per proposal and year, keyed by the proposal year."""
    return [
        (str(year.id), f"{proposal.title}: {year_label(year.financial_year)}, in pounds")
        for proposal in bid.proposals
        for year in proposal.years
    ]


# Funder variations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedReduction:
    award: Award
    current_pence: int
    reduction_pence: int


def committed_in_year(award: Award, financial_year: int) -> int:
    """What a partner award holds in a year (approved reductions have already lowered it:
    the award's ``reduce`` move)."""
    return sum(y.amount_pence for y in award.years if y.financial_year == financial_year)


def proposed_reductions(
    proposal: BidProposal, financial_year: int, new_cap_pence: int
) -> list[ProposedReduction]:
    """The partner awards of the proposal's interventions in that year, each reduced in
    proportion to its amount so that together they fit the new cap (largest remainder, so the
    reductions add up to the excess to the penny). Empty when they already fit."""
    held = [
        (award, committed_in_year(award, financial_year))
        for intervention in proposal.interventions
        for award in intervention.awards
        if award.status not in RELEASED
    ]
    held = [(award, pence) for award, pence in held if pence > 0]
    total = sum(pence for _, pence in held)
    excess = total - new_cap_pence
    if excess <= 0:
        return []
    shares = [
        (award, pence, excess * pence // total, excess * pence % total) for award, pence in held
    ]
    left = excess - sum(share for _, _, share, _ in shares)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][3], shares[i][0].id))
    extra = set(by_remainder[:left])
    return [
        ProposedReduction(award, pence, share + (1 if index in extra else 0))
        for index, (award, pence, share, _) in enumerate(shares)
    ]


def record_funder_variation(
    user: User,
    bid_id: int,
    proposal_id: int,
    financial_year: int,
    new_cap_pence: int,
    reason: str,
) -> FunderVariation:
    bid = bid_for(user, bid_id)
    proposal = next((p for p in bid.proposals if p.id == proposal_id), None)
    if proposal is None:
        raise ServiceError("Select one of the bid's proposals", field="proposal")
    year = next((y for y in proposal.years if y.financial_year == financial_year), None)
    if year is None or year.awarded_pence is None:
        raise ServiceError("The funder awarded nothing for that proposal and year", field="year")
    if not 0 <= new_cap_pence < year.awarded_pence:
        raise ServiceError(
            "A funder variation lowers the cap: enter less than the amount awarded", field="cap"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Enter what the funder changed and why", field="reason")
    variation = FunderVariation(
        bid=bid,
        proposal=proposal,
        financial_year=financial_year,
        previous_cap_pence=year.awarded_pence,
        new_cap_pence=new_cap_pence,
        reason=reason,
        recorded_by_id=user.id,
    )
    db.session.add(variation)
    label = year_label(financial_year)
    try:
        # The funder's decision stands whatever the office then does about its partners: the
        # proposal's cap and the bid's awarded total are lowered now, through the engine.
        year.awarded_pence = new_cap_pence
        fire(
            user,
            bid,
            "vary_award",
            proposal_id=proposal.id,
            financial_year=financial_year,
            new_cap_pence=new_cap_pence,
            reason=reason,
        )
        for proposed in proposed_reductions(proposal, financial_year, new_cap_pence):
            award_variation = Variation(
                award=proposed.award,
                kind="budget",
                summary=f"Reduce {label} by {pounds(proposed.reduction_pence)}: "
                f"the {bid.funder_name} lowered its cap for {proposal.title}",
                reason=reason,
                requested_by_id=user.id,
            )
            create(user, award_variation)
            variation.reductions.append(
                PartnerReduction(
                    award=proposed.award,
                    variation=award_variation,
                    financial_year=financial_year,
                    current_pence=proposed.current_pence,
                    reduction_pence=proposed.reduction_pence,
                )
            )
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return variation


def funder_variation_for(user: User, variation_id: int) -> FunderVariation:
    staff_only(user)
    variation = db.session.get(FunderVariation, variation_id)
    if variation is None:
        raise NotFound
    return variation


def decide_funder_variation(
    user: User, variation_id: int, approve: bool, reason: str
) -> FunderVariation:
    """Approve (or reject) the reductions proposed to the partner awards: each award's
    variation is decided through the engine; approving lowers the interventions' budgets."""
    variation = funder_variation_for(user, variation_id)
    if variation.decision is not FunderVariationStatus.PROPOSED:
        raise ServiceError("This funder variation has already been decided")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Enter the reasons for the decision", field="reason")
    trigger = "approve" if approve else "reject"
    try:
        for reduction in variation.reductions:
            if reduction.variation is not None:
                fire(user, reduction.variation, trigger, reason=reason)
            if approve:
                fire(
                    user,
                    reduction.award,
                    "reduce",
                    financial_year=reduction.financial_year,
                    reduction_pence=reduction.reduction_pence,
                    reason=reason,
                )
                intervention = reduction.award.intervention
                budget = next(
                    y for y in intervention.years if y.financial_year == reduction.financial_year
                )
                budget.budget_pence -= reduction.reduction_pence
        variation.decision = (
            FunderVariationStatus.APPROVED if approve else FunderVariationStatus.REJECTED
        )
        variation.decided_by_id = user.id
        variation.decided_at = utcnow()
        variation.decision_reason = reason
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return variation


# Partner awards ------------------------------------------------------------------------------


def issue_partner_award(
    user: User,
    intervention_id: int,
    title: str,
    amounts: Mapping[int, int],
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Award:
    """An award to the intervention's delivery partner, offered through the engine; its
    creation guard keeps it within the intervention's budget in every year."""
    intervention = intervention_for(user, intervention_id)
    bid = intervention.proposal.bid
    title = (title or "").strip()
    if not title:
        raise ServiceError("Enter a title for the partner award", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title must be {TITLE_MAX} characters or fewer", field="title")
    years = {fy: pence for fy, pence in amounts.items() if pence}
    if not years or any(pence < 0 for pence in years.values()):
        raise ServiceError("Enter an amount for at least one financial year")
    if starts_on and ends_on and ends_on < starts_on:
        raise ServiceError("The end date must be after the start date", field="ends_on")
    award = Award(
        programme_id=bid.programme_id,
        organisation_id=intervention.partner_id,
        intervention=intervention,
        reference=_reference(intervention),
        title=title,
        amount_pence=sum(years.values()),
        approved_by_id=user.id,
        starts_on=starts_on,
        ends_on=ends_on,
        offer_expires_at=dt.datetime.combine(
            london_today() + dt.timedelta(days=OFFER_OPEN_FOR_DAYS), dt.time(17), dt.UTC
        ),
        years=[
            AwardYear(financial_year=fy, amount_pence=pence) for fy, pence in sorted(years.items())
        ],
        conditions=[
            AwardCondition(position=number, text=text, before_first_payment=True)
            for number, text in enumerate(STANDARD_CONDITIONS, start=1)
        ],
    )
    try:
        create(user, award, reason=f"Issued from {intervention.title} ({bid.title})")
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return award


def _reference(intervention: Intervention) -> str:
    count = db.session.scalar(
        select(func.count()).select_from(Award).where(Award.intervention_id == intervention.id)
    )
    return f"XB{intervention.proposal.bid_id}-I{intervention.id}-{count + 1}"


def fire_and_commit(  # type: ignore[no-untyped-def]
    user: User, obj: object, trigger: str, expected_version: int | None, **payload
) -> None:
    """Make a move on a bid, a return to the funder or anything of theirs, and commit it; a
    refusal rolls back and becomes a message for the error summary."""
    try:
        fire(user, obj, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal


def staff_only(user: User) -> None:
    # The office's bids are its own business: to anyone else they do not exist.
    if not ANY_STAFF.check(user):
        raise NotFound
