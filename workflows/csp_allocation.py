"""CSP allocation: proposed (revised while the method or its inputs change) → confirmed, once
the year's allocations fit the programme's budget; a confirmed allocation can give money back
to the programme's unallocated pot for the year (an underspend reallocated)."""

from __future__ import annotations

from grants.filters import pounds
from grants.models.csp import AllocationMethod, CspAllocation, CspAllocationStatus
from workflows import csp_rules
from workflows.declaration import DECISION_MAKER, OFFICER, STAYS, Lifecycle, Move
from workflows.declaration import transition as t

S = CspAllocationStatus


def record_revision(move: Move) -> None:
    allocation = move.obj
    allocation.amount_pence = move.payload["amount_pence"]
    method = move.payload.get("method")
    if method:
        allocation.method = AllocationMethod(method)
    for field in ("population", "recorded_crime"):
        if field in move.payload:
            setattr(allocation, field, move.payload[field])


def amount_releasable(move: Move) -> str | None:
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the amount to give back in whole pence, more than 0"
    if amount > move.obj.amount_pence:
        return (
            f"The allocation is {pounds(move.obj.amount_pence)}, so it cannot give back "
            f"{pounds(amount)}"
        )
    return None


def record_release(move: Move) -> None:
    move.obj.amount_pence -= move.payload["amount_pence"]


def record_confirmation(move: Move) -> None:
    move.obj.confirmed_by_id = move.actor.id if move.actor else None
    move.obj.confirmed_at = move.now


LIFECYCLE = Lifecycle(
    name="csp_allocation",
    model=CspAllocation,
    states=CspAllocationStatus,
    initial=S.PROPOSED,
    # Staff business: the partnerships see what they are given through their offers.
    owner_organisation=lambda allocation: None,
    amounts=lambda allocation: {"allocation_pence": allocation.amount_pence},
    creators=frozenset({OFFICER, DECISION_MAKER}),
    transitions=[
        t("revise", S.PROPOSED, STAYS, [OFFICER, DECISION_MAKER],
          "Recalculate the allocation", guards=[csp_rules.amount_given],
          effect=record_revision, requires={"amount_pence": "Enter the allocation"}),
        t("confirm", S.PROPOSED, S.CONFIRMED, [OFFICER, DECISION_MAKER],
          "Confirm the allocation", guards=[csp_rules.within_programme_budget],
          effect=record_confirmation),
        # An underspend reallocated: the partnership's confirmed allocation goes down by the
        # amount, which the year's budget then has unallocated.
        t("release", S.CONFIRMED, STAYS, [OFFICER, DECISION_MAKER],
          "Give money back to the unallocated pot", guards=[amount_releasable],
          effect=record_release, requires={"amount_pence": "Enter the amount to give back",
                                           "reason": "Enter why the money is given back"}),
    ],
)  # fmt: skip
