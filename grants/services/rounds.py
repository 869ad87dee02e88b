"""Setting up a funding round: its dates, money, thresholds and scoring criteria, then
publishing it. A round is a draft until published, and it cannot be published (so cannot
open) without a budget and, when it is competitive, scoring criteria whose weights add to 100."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.models import Criterion, Programme, Round, User, utcnow
from grants.services.errors import NotFound, ServiceError
from workflows.application_form import DocumentSlot, optional_items, sections_for_kind


@dataclass(frozen=True)
class RoundDetails:
    name: str
    reference_prefix: str
    financial_year: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    budget_pence: int
    min_award_pence: int
    max_award_pence: int
    short_form_threshold_pence: int
    funding_threshold_percent: int | None
    approval_limit_pence: int | None
    who_can_apply: str


def current_financial_year() -> int:
    return financial_year_of(london_today())


def programme_for_rounds(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound
    return programme


def round_for_staff(round_id: int) -> Round:
    round_ = db.session.scalar(
        select(Round)
        .options(selectinload(Round.programme), selectinload(Round.criteria))
        .where(Round.id == round_id)
    )
    if round_ is None:
        raise NotFound
    return round_


def _check(details: RoundDetails) -> None:
    if details.closes_at <= details.opens_at:
        raise ServiceError("The round must close after it opens", "closes_on")
    if details.min_award_pence > details.max_award_pence:
        raise ServiceError("The smallest award cannot be more than the largest", "min_award")
    if details.max_award_pence > details.budget_pence:
        raise ServiceError("The largest award cannot be more than the round's budget", "max_award")


def create_round(user: User, programme_id: int, details: RoundDetails) -> Round:
    programme = programme_for_rounds(programme_id)
    _check(details)
    round_ = Round(programme=programme, **details.__dict__)
    db.session.add(round_)
    db.session.commit()
    return round_


def add_criterion(
    user: User, round_id: int, name: str, guidance: str, weight: int, max_score: int
) -> Round:
    round_ = round_for_staff(round_id)
    if round_.published_at is not None:
        raise ServiceError("The round is published, so its criteria can no longer change")
    if sum(c.weight for c in round_.criteria) + weight > 100:
        left = 100 - sum(c.weight for c in round_.criteria)
        raise ServiceError(f"The weights would add up to more than 100: {left} is left", "weight")
    position = max((c.position for c in round_.criteria), default=0) + 1
    round_.criteria.append(
        Criterion(
            position=position,
            name=name.strip(),
            guidance=guidance.strip(),
            weight=weight,
            max_score=max_score,
        )
    )
    db.session.commit()
    return round_


def remove_criterion(user: User, round_id: int, criterion_id: int) -> Round:
    round_ = round_for_staff(round_id)
    if round_.published_at is not None:
        raise ServiceError("The round is published, so its criteria can no longer change")
    criterion = next((c for c in round_.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound
    round_.criteria.remove(criterion)
    db.session.commit()
    return round_


@dataclass(frozen=True)
class FormItem:
    """An optional question or document of the round's form, and whether the round asks it."""

    key: str
    kind: str  # "Question" or "Document"
    label: str
    full_form_only: bool
    asked: bool


def form_items(round_: Round) -> list[FormItem]:
    """The questions and documents a round may leave out of its programme's form."""
    left_out = round_.left_out_keys
    return [
        FormItem(
            key=item.key,
            kind="Document" if isinstance(item, DocumentSlot) else "Question",
            label=item.label,
            full_form_only=item.full_form_only,
            asked=item.key not in left_out,
        )
        for item in optional_items(sections_for_kind(round_.programme.kind.value))
    ]


def set_form_items(user: User, round_id: int, asked: list[str]) -> Round:
    """Choose which optional questions and documents the round asks for; fixed once published,
    because applications may already be made on the form."""
    round_ = round_for_staff(round_id)
    if round_.published_at is not None:
        raise ServiceError("The round is published, so its form can no longer change")
    optional = {item.key for item in form_items(round_)}
    if not set(asked) <= optional:
        raise ServiceError("Choose questions and documents from the list", "asked")
    round_.left_out = " ".join(sorted(optional - set(asked)))
    db.session.commit()
    return round_


def problems_before_publishing(round_: Round) -> list[str]:
    """What stops the round from opening; empty when it can be published."""
    problems = []
    if round_.budget_pence <= 0:
        problems.append("Give the round a budget")
    if not round_.invitation_only:
        if not round_.criteria:
            problems.append("Add the scoring criteria")
        elif sum(c.weight for c in round_.criteria) != 100:
            total = sum(c.weight for c in round_.criteria)
            problems.append(f"The criteria's weights add up to {total}: they must add up to 100")
    if round_.closes_at <= utcnow():
        problems.append("The closing date has passed")
    return problems


def publish(user: User, round_id: int) -> Round:
    round_ = round_for_staff(round_id)
    if round_.published_at is not None:
        raise ServiceError("The round is already published")
    problems = problems_before_publishing(round_)
    if problems:
        raise ServiceError(problems[0])
    round_.published_at = utcnow()
    db.session.commit()
    return round_
