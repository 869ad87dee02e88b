"""Reminders about monitoring returns, counted in working days (England and Wales).

One reminder shortly before the due date and one once the return is overdue, each queued at
most once per return and due date (the outbox's unique key), and never sent to anyone who has
already submitted: the job checks the return again when it runs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from grants.extensions import db
from grants.filters import LONDON
from grants.jobs.registry import handler
from grants.mail import send_email
from grants.models import Membership, MonitoringReturn, OutboxJob, ReturnStatus, User, utcnow
from grants.working_days import add_working_days

DAYS_BEFORE = 5
DAYS_AFTER = 1
WAITING = (ReturnStatus.OPEN, ReturnStatus.RETURNED)


def queue_return_reminders(now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Queue the reminders that are due today; returns (return id, kind) for each new one."""
    today = (now or utcnow()).astimezone(LONDON).date()
    soon_limit = add_working_days(today, DAYS_BEFORE)
    queued = []
    waiting = db.session.scalars(
        select(MonitoringReturn)
        .where(MonitoringReturn.status.in_(WAITING), MonitoringReturn.due_date <= soon_limit)
        .order_by(MonitoringReturn.id)
    ).all()
    for monitoring_return in waiting:
        due = monitoring_return.due_date
        if add_working_days(due, DAYS_AFTER) <= today:
            kind = "overdue"
        elif due >= today:
            kind = "due_soon"
        else:
            continue  # just past due, not yet a full working day late
        if _queue(monitoring_return, kind):
            queued.append((monitoring_return.id, kind))
    return queued


def _queue(monitoring_return: MonitoringReturn, kind: str) -> bool:
    key = f"email.return_reminder:{kind}:{monitoring_return.id}:{monitoring_return.due_date}"
    if db.session.scalar(select(OutboxJob.id).where(OutboxJob.dedupe_key == key)) is not None:
        return False
    payload = {"object_id": monitoring_return.id, "kind": kind}
    db.session.add(
        OutboxJob(job="email.return_reminder", payload=json.dumps(payload), dedupe_key=key)
    )
    try:
        db.session.commit()
    except IntegrityError:  # another sweep queued it a moment ago
        db.session.rollback()
        return False
    return True


@handler("email.return_reminder")
def return_reminder(payload: dict[str, Any]) -> None:
    monitoring_return = db.session.get(MonitoringReturn, payload["object_id"])
    if monitoring_return is None or monitoring_return.status not in WAITING:
        return  # submitted (or waived) since it was queued: nobody needs reminding
    award = monitoring_return.award
    overdue = payload["kind"] == "overdue"
    members = db.session.scalars(
        select(User)
        .join(Membership)
        .where(Membership.organisation_id == award.organisation_id, User.is_active.is_(True))
        .order_by(User.id)
    )
    link = url_for("dashboards.organisation_dashboard", organisation_id=award.organisation_id,
                   _external=True)  # fmt: skip
    subject = (
        f"Your monitoring return for {award.reference} is overdue"
        if overdue
        else f"Your monitoring return for {award.reference} is due soon"
    )
    for member in members:
        send_email(
            member.email, subject, "return_reminder", name=member.full_name, award=award,
            monitoring_return=monitoring_return, overdue=overdue, link=link,
        )  # fmt: skip
