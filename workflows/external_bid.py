"""External bid by the office: drafting → submitted → awarded | unsuccessful | withdrawn;
awarded → mobilising → delivering → closed. While drafting, each change to the bid (its
details, proposals and interventions) is an ``amend`` that records what is now asked for; once
awarded, a change the funder makes to its award (a cap lowered) is a ``vary_award`` that
records the new total. Whether the funder allows moving money between financial years is set
by its own two moves, from drafting until the programme closes."""

from __future__ import annotations

from sqlalchemy.orm.attributes import flag_modified

from grants.filters import pounds
from grants.models import ExternalBid, ExternalBidStatus
from workflows.declaration import DECISION_MAKER, OFFICER, STAYS, Lifecycle, Move
from workflows.declaration import transition as t

S = ExternalBidStatus
# From the first draft until the programme closes (or the bid ends without money).
OPEN_BID = (S.DRAFTING, S.SUBMITTED, S.AWARDED, S.MOBILISING, S.DELIVERING)
AWARDED_BID = (S.AWARDED, S.MOBILISING, S.DELIVERING)


def awarded_amount_given(move: Move) -> str | None:
    amount = move.payload.get("amount_awarded_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the amount awarded by the funder in whole pence"
    return None


def record_amount(move: Move) -> None:
    move.obj.amount_awarded_pence = move.payload["amount_awarded_pence"]


def asked_for(bid: ExternalBid) -> int:
    """What the bid asks for: its proposals' amounts for every year."""
    return sum(year.requested_pence for proposal in bid.proposals for year in proposal.years)


def awarded_now(bid: ExternalBid) -> int:
    """What the funder's award is now: its amounts per proposal and year, as lowered since."""
    return sum(year.awarded_pence or 0 for proposal in bid.proposals for year in proposal.years)


def record_what_is_asked_for(move: Move) -> None:
    move.obj.amount_requested_pence = asked_for(move.obj)
    # Every change to the draft is a new version of the bid, even one that leaves the amount
    # as it was (a proposal's title, say), so a page drawn before it is refused as stale.
    flag_modified(move.obj, "amount_requested_pence")


def award_only_lowered(move: Move) -> str | None:
    """A change the funder makes later lowers its award; anything more is a new award."""
    bid = move.obj
    if bid.amount_awarded_pence is not None and awarded_now(bid) > bid.amount_awarded_pence:
        return (
            f"A change by the funder lowers its award: {pounds(awarded_now(bid))} is more than "
            f"the {pounds(bid.amount_awarded_pence)} it awarded"
        )
    return None


def record_award_as_varied(move: Move) -> None:
    move.obj.amount_awarded_pence = awarded_now(move.obj)


def allow_transfers(move: Move) -> None:
    move.obj.allows_transfer_between_years = True


def forbid_transfers(move: Move) -> None:
    move.obj.allows_transfer_between_years = False


LIFECYCLE = Lifecycle(
    name="external_bid",
    model=ExternalBid,
    states=ExternalBidStatus,
    initial=S.DRAFTING,
    owner_organisation=lambda bid: None,
    amounts=lambda bid: {
        "requested_pence": bid.amount_requested_pence,
        "awarded_pence": bid.amount_awarded_pence or 0,
    },
    creators=frozenset({OFFICER}),
    transitions=[
        # The bid's details, proposals and interventions change only while it is a draft.
        t("amend", S.DRAFTING, STAYS, [OFFICER], "Change the bid",
          effect=record_what_is_asked_for),
        t("submit", S.DRAFTING, S.SUBMITTED, [DECISION_MAKER], "Approve and submit the bid"),
        t("record_award", S.SUBMITTED, S.AWARDED, [OFFICER], "Record the funder's award",
          guards=[awarded_amount_given], effect=record_amount,
          requires={"amount_awarded_pence": "Enter the amount awarded"}),
        t("record_unsuccessful", S.SUBMITTED, S.UNSUCCESSFUL, [OFFICER],
          "Record that the bid was unsuccessful"),
        t("withdraw", [S.DRAFTING, S.SUBMITTED], S.WITHDRAWN, [OFFICER, DECISION_MAKER],
          "Withdraw the bid", requires={"reason": "Enter why the bid is withdrawn"}),
        t("mobilise", S.AWARDED, S.MOBILISING, [OFFICER], "Start mobilising"),
        t("start_delivery", S.MOBILISING, S.DELIVERING, [OFFICER], "Start delivery"),
        t("close", S.DELIVERING, S.CLOSED, [OFFICER], "Close the programme"),
        t("vary_award", AWARDED_BID, STAYS, [OFFICER], "Record a change the funder made",
          guards=[award_only_lowered], effect=record_award_as_varied,
          requires={"reason": "Enter what the funder changed and why"}),
        t("allow_year_transfers", OPEN_BID, STAYS, [OFFICER, DECISION_MAKER],
          "Record that the funder allows moving money between years", effect=allow_transfers,
          requires={"reason": "Enter where the funder's terms say so"}),
        t("forbid_year_transfers", OPEN_BID, STAYS, [OFFICER, DECISION_MAKER],
          "Record that the funder does not allow moving money between years",
          effect=forbid_transfers, requires={"reason": "Enter where the funder's terms say so"}),
    ],
)  # fmt: skip
