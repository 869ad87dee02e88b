"""The office's quarterly return to an outside funder: draft → reviewed → signed off →
submitted; a reviewed return may be sent back to draft. While it is a draft the officer may
claim less than the partners spent on an intervention (``set_claims``). Signing off and
submitting never claim more from the funder than it awarded a proposal for the year, or, when
the funder allows moving money between years, than it awarded the proposal across its years."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy.orm.attributes import flag_modified

from grants.filters import financial_year as financial_year_label
from grants.filters import pounds
from grants.models.bids import FunderReturn, FunderReturnStatus
from workflows.declaration import DECISION_MAKER, OFFICER, STAYS, Lifecycle, Move
from workflows.declaration import transition as t

S = FunderReturnStatus
# Returns whose claims count against the funder's award (drafts and reviewed ones claim nothing).
CLAIMING = {S.SIGNED_OFF, S.SUBMITTED}


def has_a_narrative(move: Move) -> str | None:
    if not (move.obj.narrative or "").strip():
        return "Write the narrative for the funder before the return is reviewed"
    return None


def claims_within_award_per_year(move: Move) -> str | None:
    """This return's claims, with those of the bid's other signed-off or submitted returns,
    fit each proposal's award: for the return's financial year (the funder's award per year),
    or across all the years when the funder allows moving money between them."""
    funder_return: FunderReturn = move.obj
    bid = funder_return.bid
    year = funder_return.financial_year
    across_years = bid.allows_transfer_between_years
    claimed: dict[int, int] = defaultdict(int)
    others = [
        r
        for r in bid.funder_returns
        if r is not funder_return
        and r.status in CLAIMING
        and (across_years or r.financial_year == year)
    ]
    for each in [funder_return, *others]:
        for line in each.lines:
            claimed[line.intervention.proposal_id] += line.claimed_pence
    for proposal in bid.proposals:
        if not claimed.get(proposal.id):
            continue
        awarded = sum(
            y.awarded_pence or 0 for y in proposal.years if across_years or y.financial_year == year
        )
        if claimed[proposal.id] > awarded:
            if across_years:
                return (
                    f"{proposal.title}: this would claim more from the funder than it awarded "
                    f"across all its years ({pounds(awarded)})"
                )
            return (
                f"{proposal.title}: this would claim more from the funder than it awarded for "
                f"{financial_year_label(year)} ({pounds(awarded)}), and the funder does not "
                "allow moving money between years"
            )
    return None


# What a draft claims for an intervention, in the payload of ``set_claims`` (whole pence).
CLAIM_KEY = re.compile(r"intervention_(\d+)_claimed_pence")


def claims_asked(move: Move) -> dict[int, object]:
    """The new claims the move carries, by intervention id."""
    return {
        int(match.group(1)): value
        for key, value in move.payload.items()
        if (match := CLAIM_KEY.fullmatch(key))
    }


def claims_within_spend(move: Move) -> str | None:
    """Each claim is for an intervention on the return, in whole pence, from nothing up to what
    its partners spent in the quarter: the office claims what was spent, or less."""
    lines = {line.intervention_id: line for line in move.obj.lines}
    for intervention_id, pence in claims_asked(move).items():
        line = lines.get(intervention_id)
        if line is None:
            return "Claim only for the interventions on the return"
        if not isinstance(pence, int) or isinstance(pence, bool) or pence < 0:
            return f"{line.intervention.title}: enter the claim in whole pence, 0 or more"
        if pence > line.spent_pence:
            return (
                f"{line.intervention.title}: the claim cannot be more than its partners spent "
                f"in the quarter ({pounds(line.spent_pence)})"
            )
    return None


def record_claims(move: Move) -> None:
    lines = {line.intervention_id: line for line in move.obj.lines}
    for intervention_id, pence in claims_asked(move).items():
        lines[intervention_id].claimed_pence = pence
    # The claims are the return's lines, not its row: the return still gets a new version, so
    # a page drawn before the change is refused as stale.
    flag_modified(move.obj, "narrative")


def not_the_reviewer(move: Move) -> str | None:
    if move.actor is not None and move.actor.id == move.obj.reviewed_by_id:
        return "Someone who reviewed the return cannot also sign it off"
    return None


def record_reviewer(move: Move) -> None:
    move.obj.reviewed_by_id = move.actor.id if move.actor else None


def record_signatory(move: Move) -> None:
    move.obj.signed_off_by_id = move.actor.id if move.actor else None


def clear_review(move: Move) -> None:
    move.obj.reviewed_by_id = None


def record_submission(move: Move) -> None:
    move.obj.submitted_at = move.now
    reference = move.payload.get("funder_reference")
    if isinstance(reference, str) and reference.strip():
        move.obj.funder_reference = reference.strip()


LIFECYCLE = Lifecycle(
    name="funder_return",
    model=FunderReturn,
    states=FunderReturnStatus,
    initial=S.DRAFT,
    owner_organisation=lambda funder_return: None,
    amounts=lambda funder_return: {
        "claimed_pence": funder_return.claim_pence,
        "spent_pence": sum(line.spent_pence for line in funder_return.lines),
    },
    creators=frozenset({OFFICER}),
    transitions=[
        t("set_claims", S.DRAFT, STAYS, [OFFICER], "Change what is claimed from the funder",
          guards=[claims_within_spend], effect=record_claims),
        t("review", S.DRAFT, S.REVIEWED, [OFFICER], "Mark the return as reviewed",
          guards=[has_a_narrative], effect=record_reviewer),
        t("send_back", S.REVIEWED, S.DRAFT, [OFFICER, DECISION_MAKER], "Send it back to draft",
          effect=clear_review, requires={"reason": "Enter what needs to change"}),
        t("sign_off", S.REVIEWED, S.SIGNED_OFF, [DECISION_MAKER], "Sign off the return",
          guards=[not_the_reviewer, claims_within_award_per_year], effect=record_signatory),
        t("submit", S.SIGNED_OFF, S.SUBMITTED, [OFFICER],
          "Record the return as submitted to the funder",
          guards=[claims_within_award_per_year], effect=record_submission),
    ],
)  # fmt: skip
