"""The engine's rules for money the office won from an outside funder: a partner award is
issued only from what the funder actually awarded.

``within_funder_award`` is a creation guard of the award lifecycle (``workflows/award.py``),
beside ``within_intervention_budget``: the intervention's budget is what the office asked
for; this is what the funder gave, per proposal and financial year, which a lowered cap (a
funder variation) may since have cut."""

from __future__ import annotations

from grants.filters import financial_year, pounds
from grants.models import Award, AwardStatus, ExternalBidStatus
from grants.models.bids import BidProposal
from workflows.declaration import Move

# The bid's outcome is recorded as awarded from then on, until the programme is closed.
AWARDED_BID = frozenset(
    {ExternalBidStatus.AWARDED, ExternalBidStatus.MOBILISING, ExternalBidStatus.DELIVERING}
)
# Awards that no longer hold any of the funder's money (the same as the intervention budget's).
RELEASED = frozenset({AwardStatus.DECLINED, AwardStatus.LAPSED})


def partner_awards_in_year(proposal: BidProposal, year: int, leaving_out: Award) -> int:
    """What the partner awards of all the proposal's interventions hold in a financial year,
    apart from ``leaving_out`` (the award being checked)."""
    return sum(
        award_year.amount_pence
        for intervention in proposal.interventions
        for award in intervention.awards
        if award is not leaving_out and award.status not in RELEASED
        for award_year in award.years
        if award_year.financial_year == year
    )


def within_funder_award(move: Move) -> str | None:
    """A partner award issued from an intervention of a bid: only once the funder's award is
    recorded (awarded, mobilising or delivering), only in years the funder awarded the
    intervention's proposal money for, and, with the proposal's other partner awards, never
    beyond what the funder awarded for that proposal in any financial year."""
    award: Award = move.obj
    intervention = award.intervention
    if intervention is None:
        return None  # not a partner award: an application's award has its own rules
    proposal = intervention.proposal
    bid = proposal.bid
    if bid.status not in AWARDED_BID:
        return (
            f"Partner awards are issued only from what the funder awarded: {bid.title} is "
            f"{bid.status.label.lower()}"
        )
    awarded = {year.financial_year: year.awarded_pence or 0 for year in proposal.years}
    for award_year in award.years:
        year, label = award_year.financial_year, financial_year(award_year.financial_year)
        cap = awarded.get(year, 0)
        if cap <= 0:
            return f"The funder awarded nothing for {proposal.title} in {label}"
        held = partner_awards_in_year(proposal, year, leaving_out=award)
        if held + award_year.amount_pence > cap:
            return (
                f"This would award partners more than the funder awarded for {proposal.title} "
                f"in {label}: {pounds(cap)}, of which {pounds(held)} is already awarded"
            )
    return None
