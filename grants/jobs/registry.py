"""Job handlers by name. A handler takes the job's payload; it may run more than once if a
worker dies, so ``run_outbox_job`` claims the job first: its effect happens at most once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from grants.extensions import db
from grants.models import OutboxJob, utcnow

Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


def run_outbox_job(job_id: int) -> bool:
    """Run one outbox job unless another run already has. Returns whether this run did it.
    If the handler fails, the claim is released so a retry can run it."""
    claimed = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id, OutboxJob.completed_at.is_(None))
        .values(completed_at=utcnow(), attempts=OutboxJob.attempts + 1)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return False
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    from grants.jobs import agreements, emails, reminders, scanning  # noqa: F401  (their handlers)

    try:
        HANDLERS[job.job](json.loads(job.payload))
    except Exception:
        db.session.rollback()
        db.session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id).values(completed_at=None)
        )
        db.session.commit()
        raise
    return True
