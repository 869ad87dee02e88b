"""Procurement: planning → published → evaluating → awarded → contracted, or abandoned.
Contracting waits out the standstill period (8 working days, Procurement Act 2023)."""

from __future__ import annotations

from grants.filters import LONDON
from grants.models.commissioning import Procurement, ProcurementStatus
from grants.working_days import add_working_days
from workflows.declaration import DECISION_MAKER, OFFICER, Lifecycle, Move
from workflows.declaration import transition as t

S = ProcurementStatus
STANDSTILL_WORKING_DAYS = 8


def award_within_authority(move: Move) -> str | None:
    value = move.payload.get("awarded_value_pence")
    if not isinstance(value, int) or value <= 0:
        return "Enter the value of the contract awarded in whole pence"
    if value > move.obj.estimated_value_pence and move.role != DECISION_MAKER:
        return "An award above the estimated value needs the decision maker"
    if not isinstance(move.payload.get("awarded_to_id"), int):
        return "Choose the winning bidder"
    return None


def winner_bid(move: Move) -> str | None:
    """The award goes to a bid received, at its price: the evaluation is what justifies it."""
    bids = move.obj.bids
    if not bids:
        return "No bids have been recorded: there is nothing to award"
    winner = next((b for b in bids if b.bidder_id == move.payload.get("awarded_to_id")), None)
    if winner is None:
        return "Choose one of the bidders"
    if winner.price_pence != move.payload.get("awarded_value_pence"):
        return "The award is made at the winning bid's price"
    return None


def every_bid_scored(move: Move) -> str | None:
    if any(bid.quality_score is None for bid in move.obj.bids):
        return "Score every bid's quality before the award"
    return None


def bids_received(move: Move) -> str | None:
    if not move.obj.bids:
        return "No bids have been recorded"
    return None


def specified(move: Move) -> str | None:
    """A tender is published with its specification and its dates."""
    procurement = move.obj
    if procurement.specification_document_id is None:
        return "Upload the specification before publishing"
    if procurement.published_on is None or procurement.closes_on is None:
        return "Enter the publication date and the closing date"
    if procurement.closes_on <= procurement.published_on:
        return "The closing date must be after the publication date"
    return None


def standstill_over(move: Move) -> str | None:
    ends = move.obj.standstill_ends_on
    if ends is None or move.now.astimezone(LONDON).date() <= ends:
        return f"The standstill period runs until {ends:%d %B %Y}" if ends else "Not awarded"
    return None


def record_award(move: Move) -> None:
    procurement = move.obj
    procurement.awarded_value_pence = move.payload["awarded_value_pence"]
    procurement.awarded_to_id = move.payload["awarded_to_id"]
    procurement.awarded_at = move.now
    decided_on = move.now.astimezone(LONDON).date()  # working days run on the London calendar
    procurement.standstill_ends_on = add_working_days(decided_on, STANDSTILL_WORKING_DAYS)


LIFECYCLE = Lifecycle(
    name="procurement",
    model=Procurement,
    states=ProcurementStatus,
    initial=S.PLANNING,
    owner_organisation=lambda procurement: None,
    amounts=lambda procurement: {
        "estimated_value_pence": procurement.estimated_value_pence,
        "awarded_value_pence": procurement.awarded_value_pence or 0,
    },
    creators=frozenset({OFFICER}),
    transitions=[
        t("publish", S.PLANNING, S.PUBLISHED, [OFFICER], "Publish the tender",
          guards=[specified]),
        t("close_bidding", S.PUBLISHED, S.EVALUATING, [OFFICER], "Close bidding and evaluate",
          guards=[bids_received]),
        t("award", S.EVALUATING, S.AWARDED, [OFFICER, DECISION_MAKER], "Award the contract",
          guards=[award_within_authority, winner_bid, every_bid_scored], effect=record_award,
          requires={"awarded_value_pence": "Enter the value of the contract awarded",
                    "awarded_to_id": "Choose the winning bidder"}),
        t("sign_contract", S.AWARDED, S.CONTRACTED, [OFFICER], "Sign the contract",
          guards=[standstill_over]),
        t("abandon", [S.PLANNING, S.PUBLISHED, S.EVALUATING, S.AWARDED], S.ABANDONED,
          [OFFICER, DECISION_MAKER], "Abandon the procurement",
          requires={"reason": "Enter why the procurement is abandoned"}),
    ],
)  # fmt: skip
