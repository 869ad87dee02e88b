"""Reading applications through the policy's scoped queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import Application, ApplicationStatus, Round, User
from grants.policy import visible_applications
from grants.services.errors import NotFound


def application_for(user: User, application_id: int) -> Application:
    """The application if this user may see it; otherwise NotFound (never a 403)."""
    application = db.session.scalar(
        visible_applications(user)
        .options(
            selectinload(Application.budget_lines),
            selectinload(Application.answers),
            selectinload(Application.round).selectinload(Round.programme),
            selectinload(Application.organisation),
        )
        .where(Application.id == application_id)
    )
    if application is None:
        raise NotFound
    return application


def applications_of_organisation(user: User, organisation_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            visible_applications(user)
            .options(selectinload(Application.round).selectinload(Round.programme))
            .where(Application.organisation_id == organisation_id)
            .order_by(Application.created_at.desc())
        )
    )


def recent_applications(user: User, limit: int = 20) -> list[Application]:
    return list(
        db.session.scalars(
            visible_applications(user)
            .options(
                selectinload(Application.organisation),
                selectinload(Application.round).selectinload(Round.programme),
            )
            .where(Application.status != ApplicationStatus.DRAFT)
            .order_by(Application.submitted_at.desc())
            .limit(limit)
        )
    )


def counts_by_status(user: User) -> list[tuple[ApplicationStatus, int]]:
    """Submitted applications per status, in lifecycle order; statuses with none are left out."""
    visible = visible_applications(user).subquery()
    rows = db.session.execute(
        select(visible.c.status, func.count()).group_by(visible.c.status)
    ).all()
    counts = {ApplicationStatus(status): n for status, n in rows}
    return [
        (status, counts[status])
        for status in ApplicationStatus
        if status in counts and status is not ApplicationStatus.DRAFT
    ]
