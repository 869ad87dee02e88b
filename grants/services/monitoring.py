"""Monitoring returns across every award, as the commissioning team watches them: what waits for
review, what is overdue, what falls due soon and what is back with the organisation; and the
review of one return, with the moves the reviewer may make through the workflow engine.

"Overdue" is derived here from the due date and today in Leicester, never stored. The overview
costs the same statements however many returns there are: the programmes for the filter, and
one statement for the returns with their awards and organisations joined in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    MonitoringReturn,
    Organisation,
    Programme,
    ReturnStatus,
    User,
)
from grants.policy import MANAGING_STAFF, Rule, visible_returns
from grants.services import returns
from grants.services.errors import NotFound, ServiceError
from workflows.engine import available_triggers, fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

DUE_SOON_DAYS = 30
# Those who may review returns; the engine checks each move's roles again.
REVIEWERS: Rule = MANAGING_STAFF
REVIEW_MOVES = ("accept", "send_back", "waive")
# Not yet sent by the organisation: these can be late.
WAITING = frozenset({ReturnStatus.SCHEDULED, ReturnStatus.OPEN})
CHANGED = ChangedBySomeoneElse().message


def programme_choices() -> list[tuple[str, str]]:
    """Every programme as (id, name), for the programme filter."""
    rows = db.session.execute(select(Programme.id, Programme.name).order_by(Programme.name))
    return [(str(programme_id), name) for programme_id, name in rows]


@dataclass(frozen=True)
class MonitoringRow:
    id: int
    award_reference: str
    organisation: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    return_status: ReturnStatus  # not `status`: that name is kept for the workflow engine
    submitted_at: dt.datetime | None
    days_overdue: int | None  # None: not late, or no longer the organisation's to send


@dataclass(frozen=True)
class MonitoringGroup:
    key: str
    title: str
    description: str
    rows: list[MonitoringRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class MonitoringOverview:
    today: dt.date
    groups: list[MonitoringGroup]


def days_overdue(monitoring_return: MonitoringReturn, today: dt.date) -> int | None:
    """How late a return the organisation still has to send (or send again) is."""
    if monitoring_return.status not in WAITING | {ReturnStatus.RETURNED}:
        return None
    late = (today - monitoring_return.due_date).days
    return late if late > 0 else None


def overview(
    user: User, programme_id: int | None = None, today: dt.date | None = None
) -> MonitoringOverview:
    """Returns across every award in four groups: submitted (oldest first), overdue, due in the
    next 30 days, and returned to the organisation."""
    today = today or london_today()
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    query = (
        visible_returns(user)
        .join(Award, MonitoringReturn.award_id == Award.id)
        .join(Organisation, Award.organisation_id == Organisation.id)
        .options(contains_eager(MonitoringReturn.award).contains_eager(Award.organisation))
        .where(
            or_(
                MonitoringReturn.status.in_([ReturnStatus.SUBMITTED, ReturnStatus.RETURNED]),
                and_(
                    MonitoringReturn.status.in_(WAITING),
                    MonitoringReturn.due_date <= horizon,
                ),
            )
        )
        .order_by(MonitoringReturn.due_date, MonitoringReturn.id)
    )
    if programme_id is not None:
        query = query.where(Award.programme_id == programme_id)
    groups = {
        "submitted": MonitoringGroup(
            "submitted", "Waiting for review", "Submitted by the organisation, oldest first"
        ),
        "overdue": MonitoringGroup(
            "overdue", "Overdue", "Not sent by the organisation, and past the due date"
        ),
        "due": MonitoringGroup(
            "due", "Due in the next 30 days", f"Due by {horizon.day} {horizon:%B %Y}"
        ),
        "returned": MonitoringGroup(
            "returned", "Returned to the organisation", "Sent back for changes"
        ),
    }
    for found in db.session.scalars(query).unique():
        groups[_group_of(found, today)].rows.append(_row(found, today))
    # Oldest first: the longest waiting is reviewed first (every submitted return is stamped).
    groups["submitted"].rows.sort(
        key=lambda row: (row.submitted_at.timestamp() if row.submitted_at else 0.0, row.id)
    )
    return MonitoringOverview(today=today, groups=list(groups.values()))


def _group_of(monitoring_return: MonitoringReturn, today: dt.date) -> str:
    status = monitoring_return.status
    if status is ReturnStatus.SUBMITTED:
        return "submitted"
    if status is ReturnStatus.RETURNED:
        return "returned"
    return "overdue" if monitoring_return.due_date < today else "due"


def _row(monitoring_return: MonitoringReturn, today: dt.date) -> MonitoringRow:
    award = monitoring_return.award
    return MonitoringRow(
        id=monitoring_return.id,
        award_reference=award.reference,
        organisation=award.organisation.name,
        period_start=monitoring_return.period_start,
        period_end=monitoring_return.period_end,
        due_date=monitoring_return.due_date,
        return_status=monitoring_return.status,
        submitted_at=monitoring_return.submitted_at,
        days_overdue=days_overdue(monitoring_return, today),
    )


# Reviewing one return ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewNote:
    """A reviewer's earlier comments (a send-back) or reason (a waiver), from the ledger."""

    action: str
    reason: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Review:
    details: returns.ReturnDetails
    moves: list[str]  # the review moves this user may make from the return's state
    history: list[ReviewNote]
    days_overdue: int | None

    @property
    def monitoring_return(self) -> MonitoringReturn:
        return self.details.monitoring_return

    @property
    def needs_sign_off(self) -> bool:
        return returns.needs_sign_off(self.monitoring_return)


def review(user: User, return_id: int, today: dt.date | None = None) -> Review:
    """Everything the organisation sent in a return, the comments made on it before, and the
    moves this user may make; NotFound if there is no such return."""
    today = today or london_today()
    details = returns.return_details(user, return_id, today)
    moves = [
        t.trigger
        for t in available_triggers(user, details.monitoring_return)
        if t.trigger in REVIEW_MOVES
    ]
    return Review(
        details=details,
        moves=moves,
        history=_history(return_id),
        days_overdue=days_overdue(details.monitoring_return, today),
    )


def _history(return_id: int) -> list[ReviewNote]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.reason, AuditEvent.occurred_at, User.full_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == "monitoring_return",
            AuditEvent.object_id == return_id,
            AuditEvent.reason.is_not(None),
        )
        .order_by(AuditEvent.seq)
    )
    return [
        ReviewNote(action=action, reason=reason, by=name or "The system", at=at)
        for action, reason, at, name in rows
    ]


def move_return(
    user: User,
    return_id: int,
    trigger: str,
    expected_version: int | None,
    reason: str | None = None,
) -> MonitoringReturn:
    """Accept a submitted return, send it back with comments, or waive one not yet sent,
    through the engine (which checks the role, the version the reviewer saw, the state and the
    comments or reason the move needs). NotFound for anything else."""
    if trigger not in REVIEW_MOVES:
        raise NotFound
    monitoring_return = returns.return_for(user, return_id)
    if expected_version is None:
        raise ServiceError(CHANGED)
    payload = {"reason": reason.strip()} if reason and reason.strip() else {}
    try:
        fire(user, monitoring_return, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return monitoring_return
