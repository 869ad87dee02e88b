"""Making a workflow move from a page: load what the user may see, fire, commit, and turn a
refusal into a message for the error summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grants.extensions import db
from grants.models import Application, User
from grants.services.applications import application_for
from grants.services.errors import ServiceError
from workflows.declaration import Transition
from workflows.engine import available_triggers, fire
from workflows.errors import WorkflowError


@dataclass(frozen=True)
class MoveOption:
    trigger: str
    label: str
    needs_reason: bool
    needs_amount: bool
    decides: bool  # a decision: it goes on the public register unless withheld


DECISIONS = frozenset({"approve", "reject"})
# Moves made on their own pages, with the inputs they need: scoring and recommending
# (grants/web/assessment.py), and approving, which makes the offer (grants/services/awarding.py).
OWN_PAGES = frozenset({"score", "recommend", "approve"})


def options(user: User, application: Application) -> list[MoveOption]:
    return [_option(t) for t in available_triggers(user, application) if t.trigger not in OWN_PAGES]


def may_approve(user: User, application: Application) -> bool:
    """Whether to offer the link to the approval page (its guards are checked there)."""
    return any(t.trigger == "approve" for t in available_triggers(user, application))


def _option(transition: Transition) -> MoveOption:
    return MoveOption(
        trigger=transition.trigger,
        label=transition.label,
        needs_reason="reason" in transition.requires,
        needs_amount="amount_pence" in transition.requires,
        decides=transition.trigger in DECISIONS,
    )


def move_application(
    user: User,
    application_id: int,
    trigger: str,
    expected_version: int | None,
    reason: str | None = None,
    amount_pence: int | None = None,
    exemption: str | None = None,
) -> Application:
    """Fire ``trigger`` on an application the user can see; NotFound if they cannot."""
    application = application_for(user, application_id)
    if trigger in OWN_PAGES:
        # Approving here would make no offer; scores and recommendations need their inputs.
        raise ServiceError("Use this move's own page: it asks for what the move needs")
    payload: dict[str, Any] = {}
    if reason:
        payload["reason"] = reason.strip()
    if amount_pence is not None:
        payload["amount_pence"] = amount_pence
    if exemption and exemption.strip() and trigger in DECISIONS:
        payload["withheld_exemption"] = exemption.strip()
    try:
        fire(user, application, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return application
