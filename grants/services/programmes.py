"""Reading programmes, budgets and rounds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import Programme, Round, utcnow
from grants.services.errors import NotFound


def open_rounds_summary() -> list[Round]:
    """Rounds open for applications now (invitation-only rounds are not advertised)."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Round)
            .options(selectinload(Round.programme))
            .where(
                Round.published_at.is_not(None),
                Round.opens_at <= now,
                Round.closes_at > now,
                Round.invitation_only.is_(False),
            )
            .order_by(Round.closes_at)
        )
    )


def all_programmes() -> list[Programme]:
    return list(
        db.session.scalars(
            select(Programme)
            .options(selectinload(Programme.budgets), selectinload(Programme.rounds))
            .order_by(Programme.name)
        )
    )


def programme_for_staff(programme_id: int) -> Programme:
    programme = db.session.scalar(
        select(Programme)
        .options(
            selectinload(Programme.budgets),
            selectinload(Programme.rounds),
            selectinload(Programme.priorities),
        )
        .where(Programme.id == programme_id)
    )
    if programme is None:
        raise NotFound
    return programme
