"""The rules of assessment the engine enforces on applications: interests declared before
anyone scores, recommends or decides; nobody conflicted takes part; scores complete and
justified; a recommendation before a decision, by someone else; officers approve only up to
the round's limit; approvals stay within the round's budget and its tolerance."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.extensions import db
from grants.filters import pounds
from grants.models import (
    Application,
    ApplicationStatus,
    DecisionRecord,
    RegisteredInterest,
    User,
)
from workflows.declaration import DECISION_MAKER, Move

RECOMMENDATIONS = ("approve", "reject")


def is_conflicted(user: User, application: Application) -> bool:
    declared = any(d.user_id == user.id and d.conflicted for d in application.interest_declarations)
    if declared:
        return True
    registered = db.session.scalar(
        select(func.count(RegisteredInterest.id)).where(
            RegisteredInterest.user_id == user.id,
            RegisteredInterest.organisation_id == application.organisation_id,
            RegisteredInterest.ended_at.is_(None),
        )
    )
    return bool(registered)


def has_declared(user: User, application: Application) -> bool:
    return any(d.user_id == user.id for d in application.interest_declarations)


def declared_and_not_conflicted(move: Move) -> str | None:
    """Whoever scores, recommends or decides has declared their interests and has none."""
    if move.actor is None:
        return None
    if not has_declared(move.actor, move.obj):
        return "Declare any interests in this application first"
    if is_conflicted(move.actor, move.obj):
        return "You have a conflict of interest in this application, so you cannot take part"
    return None


def weighted_percent(application: Application, assessor_id: int) -> int | None:
    """One assessor's score as a weighted percentage (None until every criterion is scored)."""
    criteria = application.round.criteria
    mine = {s.criterion_id: s for s in application.scores if s.assessor_id == assessor_id}
    if not criteria or any(c.id not in mine for c in criteria):
        return None
    total = sum(c.weight * mine[c.id].score / c.max_score for c in criteria)
    weights = sum(c.weight for c in criteria) or 1
    return round(total * 100 / weights)


def scores_complete(move: Move) -> str | None:
    application, actor = move.obj, move.actor
    if actor is None:
        return "Scores are given by a person"
    criteria = application.round.criteria
    if not criteria:
        return "This round has no scoring criteria"
    mine = {s.criterion_id: s for s in application.scores if s.assessor_id == actor.id}
    for criterion in criteria:
        score = mine.get(criterion.id)
        if score is None:
            return f"Score '{criterion.name}'"
        if not 0 <= score.score <= criterion.max_score:
            return f"The score for '{criterion.name}' must be between 0 and {criterion.max_score}"
        if not score.justification.strip():
            return f"Give the reasons for your score for '{criterion.name}'"
    if move.payload.get("weighted_percent") != weighted_percent(application, actor.id):
        return "The scores have changed since the page was loaded: check them and try again"
    return None


def valid_recommendation(move: Move) -> str | None:
    recommendation = move.payload.get("recommendation")
    if recommendation not in RECOMMENDATIONS:
        return "Choose whether to recommend approval or rejection"
    if recommendation == "approve":
        amount = move.payload.get("amount_pence")
        if not isinstance(amount, int) or amount <= 0:
            return "Enter the amount recommended"
        if amount > move.obj.amount_requested_pence:
            return "The amount recommended cannot be more than the amount requested"
    return None


def record_recommendation(move: Move) -> None:
    application = move.obj
    application.recommendation = move.payload["recommendation"]
    application.recommended_amount_pence = move.payload.get("amount_pence")
    application.recommended_by_id = move.actor.id if move.actor else None


def recommended_by_someone_else(move: Move) -> str | None:
    application = move.obj
    if application.recommendation is None:
        return "The application needs a recommendation before a decision"
    if move.actor is not None and move.actor.id == application.recommended_by_id:
        return "The decision must be made by someone other than whoever recommended it"
    return None


def within_authority(move: Move) -> str | None:
    limit = move.obj.round.approval_limit_pence
    amount = move.payload.get("amount_pence")
    over_limit = limit is not None and isinstance(amount, int) and amount > limit
    if over_limit and move.role != DECISION_MAKER:
        return f"Only a decision maker can approve more than {pounds(limit, whole=True)}"
    return None


def within_remaining_budget(move: Move) -> str | None:
    application = move.obj
    round_ = application.round
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int):
        return None
    # PostgreSQL's SUM is a numeric (Decimal): money is whole pence, so make it an int.
    committed = int(
        db.session.scalar(
            select(func.coalesce(func.sum(Application.amount_approved_pence), 0)).where(
                Application.round_id == round_.id,
                Application.status == ApplicationStatus.APPROVED,
                Application.id != application.id,
            )
        )
    )
    if committed + amount > round_.budget_pence + round_.budget_tolerance_pence:
        left = max(round_.budget_pence + round_.budget_tolerance_pence - committed, 0)
        return f"This is more than the round has left: {pounds(left)}"
    return None


def record_decision(move: Move) -> None:
    """The decision's public record, with the interests declared by everyone involved."""
    application = move.obj
    approved = move.trigger == "approve"
    declared = [
        f"{d.details.strip()}" for d in application.interest_declarations if d.details.strip()
    ]
    application.decision_record = DecisionRecord(
        reference=f"DEC-{application.reference or application.id}",
        decision="approved" if approved else "rejected",
        title=application.project_title,
        summary=(move.payload.get("reason") or "").strip()
        or ("Approved" if approved else "Rejected"),
        amount_pence=move.payload.get("amount_pence", 0) if approved else 0,
        decision_maker_id=move.actor.id if move.actor else None,
        decided_at=move.now,
        interests_declared="; ".join(declared) or "None declared",
        # Published on the register unless the decider named an exemption to withhold it.
        published=not move.payload.get("withheld_exemption"),
        exemption=move.payload.get("withheld_exemption"),
    )
