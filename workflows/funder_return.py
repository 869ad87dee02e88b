"""The office's quarterly return to an outside funder: draft → reviewed → signed off →
submitted; a reviewed return may be sent back to draft. Signing off and submitting never claim
more from the funder than it awarded a proposal for the year: no transfer between years."""

from __future__ import annotations

from collections import defaultdict

from grants.filters import financial_year as financial_year_label
from grants.models.bids import FunderReturn, FunderReturnStatus
from workflows.declaration import DECISION_MAKER, OFFICER, Lifecycle, Move
from workflows.declaration import transition as t

S = FunderReturnStatus
# Returns whose claims count against the funder's award (drafts and reviewed ones claim nothing).
CLAIMING = {S.SIGNED_OFF, S.SUBMITTED}


def has_a_narrative(move: Move) -> str | None:
    if not (move.obj.narrative or "").strip():
        return "Write the narrative for the funder before the return is reviewed"
    return None


def claims_within_award_per_year(move: Move) -> str | None:
    """This return's claims, with those of the bid's other signed-off or submitted returns of
    the same financial year, fit each proposal's award for that year."""
    funder_return: FunderReturn = move.obj
    year = funder_return.financial_year
    claimed: dict[int, int] = defaultdict(int)
    others = [
        r
        for r in funder_return.bid.funder_returns
        if r is not funder_return and r.financial_year == year and r.status in CLAIMING
    ]
    for each in [funder_return, *others]:
        for line in each.lines:
            claimed[line.intervention.proposal_id] += line.claimed_pence
    for proposal in funder_return.bid.proposals:
        if not claimed.get(proposal.id):
            continue
        awarded = next(
            (y.awarded_pence or 0 for y in proposal.years if y.financial_year == year), 0
        )
        if claimed[proposal.id] > awarded:
            return (
                f"{proposal.title}: this would claim more from the funder than it awarded for "
                f"{financial_year_label(year)}"
            )
    return None


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
