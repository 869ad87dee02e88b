"""External bid by the office: drafting → submitted → awarded | unsuccessful | withdrawn;
awarded → mobilising → delivering → closed."""

from __future__ import annotations

from grants.models import ExternalBid, ExternalBidStatus
from workflows.declaration import DECISION_MAKER, OFFICER, Lifecycle, Move
from workflows.declaration import transition as t

S = ExternalBidStatus


def awarded_amount_given(move: Move) -> str | None:
    amount = move.payload.get("amount_awarded_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the amount awarded by the funder in whole pence"
    return None


def record_amount(move: Move) -> None:
    move.obj.amount_awarded_pence = move.payload["amount_awarded_pence"]


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
    ],
)  # fmt: skip
