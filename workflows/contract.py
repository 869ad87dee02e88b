"""Contract: mobilising → active (once the mobilisation checklist is done) → review due →
extended (active again, new end date) | recommissioning | decommissioning → ended. Each decision
at a review acts on the options appraisal recorded for it."""

from __future__ import annotations

import datetime as dt

from grants.models.commissioning import Contract, ContractStatus
from workflows.declaration import DECISION_MAKER, OFFICER, SYSTEM, Lifecycle, Move, owner_id
from workflows.declaration import transition as t

S = ContractStatus


def extension_option_remains(move: Move) -> str | None:
    contract = move.obj
    if contract.extensions_used >= contract.extension_options:
        return "This contract has no extension options left"
    new_end = move.payload.get("new_end_date")
    if not isinstance(new_end, dt.date) or new_end <= contract.ends_on:
        return "The new end date must be after the current end date"
    return None


def mobilised(move: Move) -> str | None:
    waiting = [item.item for item in move.obj.checklist if item.done_at is None]
    if waiting:
        return f"Tick every mobilisation item first: {waiting[0]} is not done"
    return None


def appraisal_recorded(move: Move) -> str | None:
    if move.obj.pending_appraisal is None:
        return "Record the options appraisal before deciding"
    return None


def _decide(move: Move) -> None:
    appraisal = move.obj.pending_appraisal
    if appraisal is not None:
        appraisal.decision = move.trigger


def extend(move: Move) -> None:
    move.obj.extensions_used += 1
    move.obj.ends_on = move.payload["new_end_date"]
    _decide(move)


LIFECYCLE = Lifecycle(
    name="contract",
    model=Contract,
    states=ContractStatus,
    initial=S.MOBILISING,
    owner_organisation=lambda contract: owner_id(contract, "provider"),
    amounts=lambda contract: {"annual_value_pence": contract.annual_value_pence},
    creators=frozenset({OFFICER, DECISION_MAKER}),
    transitions=[
        t("go_live", S.MOBILISING, S.ACTIVE, [OFFICER], "Start the service",
          guards=[mobilised]),
        t("flag_review", S.ACTIVE, S.REVIEW_DUE, [SYSTEM, OFFICER], "Flag for review"),
        t("extend", S.REVIEW_DUE, S.ACTIVE, [OFFICER, DECISION_MAKER], "Extend the contract",
          guards=[appraisal_recorded, extension_option_remains], effect=extend,
          requires={"new_end_date": "Enter the new end date"}),
        t("recommission", S.REVIEW_DUE, S.RECOMMISSIONING, [OFFICER, DECISION_MAKER],
          "Recommission", guards=[appraisal_recorded], effect=_decide,
          requires={"reason": "Record the options appraisal"}),
        t("decommission", S.REVIEW_DUE, S.DECOMMISSIONING, [DECISION_MAKER],
          "Decommission", guards=[appraisal_recorded], effect=_decide,
          requires={"reason": "Record the options appraisal"}),
        t("end", [S.RECOMMISSIONING, S.DECOMMISSIONING], S.ENDED, [OFFICER, SYSTEM],
          "End the contract"),
    ],
)  # fmt: skip
