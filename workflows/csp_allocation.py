"""CSP allocation: proposed (revised while the method or its inputs change) → confirmed, once
the year's allocations fit the programme's budget."""

from __future__ import annotations

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
    ],
)  # fmt: skip
