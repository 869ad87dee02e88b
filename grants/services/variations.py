"""Asking to change a grant: move money between budget lines, change the end date, or change
what the project will deliver. The request always carries the organisation's reasons; officers
decide it (with their own reasons) through the variation's lifecycle.

A request changes nothing on the award: the original amounts, dates and outputs stay as they
were, and the summary says in words what would change if it is approved.

Refusals name the form field they belong to (``kind``, ``reason``, ``summary``, ``from_line``,
``to_line``, ``amount``, ``new_end_date``), so the page puts them next to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import financial_year, london_date, pounds
from grants.models import Award, AwardStatus, BudgetLine, User, Variation
from grants.policy import visible_awards, visible_variations
from grants.services.errors import NotFound, ServiceError
from workflows.engine import create
from workflows.errors import WorkflowError

BUDGET, END_DATE, OUTPUTS = "budget", "end_date", "outputs"
KINDS = {
    BUDGET: "Move money between budget lines",
    END_DATE: "Change the end date",
    OUTPUTS: "Change what the project will deliver",
}
TEXT_MAX = 2000
# A grant that is running: an offer is accepted or declined, not varied.
VARIABLE = {AwardStatus.ACCEPTED, AwardStatus.ACTIVE, AwardStatus.SUSPENDED}


@dataclass(frozen=True)
class BudgetMove:
    """Money to move from one of the award's budget lines to another."""

    from_line_id: int
    to_line_id: int
    amount_pence: int


@dataclass(frozen=True)
class LineChoice:
    id: int
    label: str
    amount_pence: int


def award_to_vary(user: User, award_id: int) -> Award:
    """An award the user may see; NotFound otherwise."""
    award = db.session.scalar(
        visible_awards(user).options(selectinload(Award.application)).where(Award.id == award_id)
    )
    if award is None:
        raise NotFound
    return award


def can_vary(award: Award) -> bool:
    return award.status in VARIABLE


def kinds_for(award: Award) -> dict[str, str]:
    """What can be asked for on this award: moving money needs two budget lines."""
    lines = award.application.budget_lines if award.application else []
    return {kind: label for kind, label in KINDS.items() if kind != BUDGET or len(lines) >= 2}


def budget_lines(award: Award) -> list[LineChoice]:
    lines = award.application.budget_lines if award.application else []
    return [LineChoice(line.id, _label(line, lines), line.amount_pence) for line in lines]


def _label(line: BudgetLine, lines: Sequence[BudgetLine]) -> str:
    """The line's category, with its year when the budget spans years and its details when
    another line has the same category in the same year."""
    label = line.category
    if len({other.financial_year for other in lines}) > 1:
        label = f"{label} ({financial_year(line.financial_year)})"
    twins = [
        other
        for other in lines
        if other.category == line.category and other.financial_year == line.financial_year
    ]
    if len(twins) > 1 and line.description:
        label = f"{label}: {line.description[:60]}"
    return label


def request_variation(
    user: User,
    award_id: int,
    kind: str,
    summary: str | None,
    reason: str | None,
    new_end_date: dt.date | None = None,
    moves: Sequence[BudgetMove] = (),
) -> Variation:
    """Record a request to change the award, through the workflow engine (its creation is in
    the ledger, with the reasons), and commit."""
    award = award_to_vary(user, award_id)
    if not can_vary(award):
        raise ServiceError(
            f"You can only ask to change a grant that is running; this one is {award.status.value}",
            field="kind",
        )
    if kind not in kinds_for(award):
        raise ServiceError("Select what you want to change", field="kind")
    reason = _text(reason, "reason", "Enter why you need this change", "The reason")
    if kind == BUDGET:
        summary = _budget_summary(award, moves)
    elif kind == END_DATE:
        summary = _end_date_summary(award, new_end_date)
    else:
        summary = _text(summary, "summary", "Describe the change to your outputs", "The change")
        new_end_date = None
    variation = Variation(
        award=award,
        kind=kind,
        summary=summary,
        reason=reason,
        new_end_date=new_end_date if kind == END_DATE else None,
        requested_by_id=user.id,
    )
    try:
        create(user, variation, reason=reason)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message, field="kind") from refusal
    return variation


def _text(value: str | None, field: str, missing: str, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(missing, field=field)
    if len(text) > TEXT_MAX:
        raise ServiceError(f"{name} must be {TEXT_MAX:,} characters or fewer", field=field)
    return text


def _budget_summary(award: Award, moves: Sequence[BudgetMove]) -> str:
    if not moves:
        raise ServiceError("Select the budget line to move money from", field="from_line")
    lines = award.application.budget_lines if award.application else []
    by_id = {line.id: line for line in lines}
    taken: dict[int, int] = defaultdict(int)
    sentences = []
    for move in moves:
        source, target = by_id.get(move.from_line_id), by_id.get(move.to_line_id)
        if source is None:
            raise ServiceError("Select the budget line to move money from", field="from_line")
        if target is None:
            raise ServiceError("Select the budget line to move money to", field="to_line")
        if source.id == target.id:
            raise ServiceError(
                "Select a different budget line to move the money to", field="to_line"
            )
        if move.amount_pence <= 0:
            raise ServiceError("The amount to move must be more than £0", field="amount")
        taken[source.id] += move.amount_pence
        if taken[source.id] > source.amount_pence:
            raise ServiceError(
                f"You cannot move more than {_label(source, lines)} holds "
                f"({pounds(source.amount_pence)})",
                field="amount",
            )
        sentences.append(
            f"Move {pounds(move.amount_pence)} from {_label(source, lines)} "
            f"to {_label(target, lines)}"
        )
    return "; ".join(sentences)


def _end_date_summary(award: Award, new_end_date: dt.date | None) -> str:
    if new_end_date is None:
        raise ServiceError("Enter the new end date", field="new_end_date")
    if award.starts_on is not None and new_end_date <= award.starts_on:
        raise ServiceError(
            f"The new end date must be after the project starts on {london_date(award.starts_on)}",
            field="new_end_date",
        )
    if new_end_date < london_today():
        raise ServiceError("The new end date must be today or in the future", field="new_end_date")
    if new_end_date == award.ends_on:
        raise ServiceError(
            "The new end date must be different from the current end date", field="new_end_date"
        )
    if award.ends_on is None:
        return f"End the project on {london_date(new_end_date)}"
    return f"Change the end date from {london_date(award.ends_on)} to {london_date(new_end_date)}"


def variations_of_award(user: User, award_id: int) -> list[Variation]:
    """Every variation asked for on the award, newest first; NotFound if the award is not the
    user's to see."""
    award = award_to_vary(user, award_id)
    return list(
        db.session.scalars(
            visible_variations(user)
            .where(Variation.award_id == award.id)
            .order_by(Variation.created_at.desc(), Variation.id.desc())
        )
    )


def variation_for(user: User, variation_id: int) -> Variation:
    variation = db.session.scalar(visible_variations(user).where(Variation.id == variation_id))
    if variation is None:
        raise NotFound
    return variation
