"""CSP underspend: flagged (forecast unspent above the threshold) → decided by rolling the
money over, reallocating it or clawing it back, with an amount and the reason."""

from __future__ import annotations

from grants.filters import pounds
from grants.models.csp import CspUnderspend, UnderspendStatus
from workflows.declaration import DECISION_MAKER, OFFICER, SYSTEM, Lifecycle, Move, Transition
from workflows.declaration import transition as t

S = UnderspendStatus
DECISIONS = {
    "roll_over": "Roll over to next year",
    "reallocate": "Reallocate",
    "claw_back": "Claw back",
}


def above_threshold(move: Move) -> str | None:
    underspend = move.obj
    if underspend.forecast_unspent_pence <= underspend.threshold_pence:
        return "The forecast unspent is not above the threshold, so there is nothing to flag"
    return None


def amount_within_forecast(move: Move) -> str | None:
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the amount in whole pence"
    if amount > move.obj.forecast_unspent_pence:
        forecast = move.obj.forecast_unspent_pence
        return f"The amount cannot be more than the forecast unspent of {pounds(forecast)}"
    return None


def record_decision(move: Move) -> None:
    underspend = move.obj
    underspend.decision = move.trigger
    underspend.decision_pence = move.payload["amount_pence"]
    underspend.decision_reason = move.payload["reason"].strip()
    underspend.decided_by_id = move.actor.id if move.actor else None
    underspend.decided_at = move.now


def _decision(trigger: str) -> Transition:
    return t(trigger, S.FLAGGED, S.DECIDED, [OFFICER, DECISION_MAKER], DECISIONS[trigger],
             guards=[amount_within_forecast], effect=record_decision,
             requires={"amount_pence": "Enter the amount",
                       "reason": "Enter the reason for the decision"})  # fmt: skip


LIFECYCLE = Lifecycle(
    name="underspend",
    model=CspUnderspend,
    states=UnderspendStatus,
    initial=S.FLAGGED,
    owner_organisation=lambda underspend: None,
    amounts=lambda underspend: {
        "forecast_unspent_pence": underspend.forecast_unspent_pence,
        "threshold_pence": underspend.threshold_pence,
        "decided_pence": underspend.decision_pence or 0,
    },
    creators=frozenset({OFFICER, DECISION_MAKER, SYSTEM}),
    creation_guards=(above_threshold,),
    transitions=[_decision(trigger) for trigger in DECISIONS],
)
