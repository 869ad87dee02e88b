"""Finding funding: the public list of open rounds, a round's page and its eligibility check.

Anyone may read these, signed in or not, so nothing here is scoped to a user. What is scoped is
which rounds are public at all: invitation-only rounds (CSP allocations) are never shown, and a
round is not shown before it opens, because until then its details may still be changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import EligibilityQuestion, Programme, Round, utcnow
from grants.services.errors import NotFound


@dataclass(frozen=True)
class Outcome:
    """What one answer means: eligible so far (then the next question's position, or None
    after the last), or not eligible, in which case the question's reason says why."""

    eligible: bool
    next_position: int | None = None


def open_rounds() -> list[Round]:
    """Rounds anyone may apply to now, the soonest closing first."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Round)
            .options(selectinload(Round.programme).selectinload(Programme.priorities))
            .where(
                Round.published_at.is_not(None),
                Round.invitation_only.is_(False),
                Round.opens_at <= now,
                Round.closes_at > now,
            )
            .order_by(Round.closes_at, Round.id)
        )
    )


def round_for_public(round_id: int) -> Round:
    """A round that has been advertised: open now, or closed (its page then says so).

    Raises NotFound for unknown, unpublished and invitation-only rounds and for rounds not yet
    open.
    """
    round_ = db.session.scalar(
        select(Round)
        .options(
            selectinload(Round.programme).selectinload(Programme.priorities),
            selectinload(Round.eligibility_questions),
        )
        .where(Round.id == round_id, Round.invitation_only.is_(False))
    )
    if round_ is None or round_.published_at is None or round_.opens_at > utcnow():
        raise NotFound
    return round_


def is_accepting(round_: Round) -> bool:
    """Whether applications may be started now; a closed round's pages offer no way in."""
    return round_.is_open_at(utcnow())


def first_position(round_: Round) -> int | None:
    """Where the check starts, or None when the round asks no eligibility questions."""
    questions = round_.eligibility_questions
    return questions[0].position if questions else None


def last_position(round_: Round) -> int | None:
    questions = round_.eligibility_questions
    return questions[-1].position if questions else None


def question_at(round_: Round, position: int) -> EligibilityQuestion:
    for question in round_.eligibility_questions:
        if question.position == position:
            return question
    raise NotFound


def previous_position(round_: Round, position: int) -> int | None:
    """The question before this one, for the back link; None for the first."""
    earlier = [q.position for q in round_.eligibility_questions if q.position < position]
    return earlier[-1] if earlier else None


def answer(round_: Round, position: int, said_yes: bool) -> Outcome:
    """Judge one answer. Earlier answers need not be remembered, because the first ineligible
    one ends the check. The check guides people; it does not gate applying (anyone can open
    the next page's address), so the application must not rely on it having been passed."""
    question = question_at(round_, position)
    if said_yes != question.eligible_answer:
        return Outcome(eligible=False)
    later = [q.position for q in round_.eligibility_questions if q.position > position]
    return Outcome(eligible=True, next_position=later[0] if later else None)


def needs_accounts(round_: Round) -> Literal["always", "above", "never"]:
    """When the round asks for annual accounts: 'always', 'above' (above the short-form
    threshold, for the larger grants only) or 'never' (every grant uses the short form)."""
    if round_.short_form_threshold_pence <= 0:
        return "always"
    if round_.short_form_threshold_pence >= round_.max_award_pence:
        return "never"
    return "above"
