"""Job handlers by name, and running one outbox job so that its effect happens at most once.

RQ delivers a job at least once: twice if it is retried or re-sent, and a worker can die in the
middle of one. ``run_outbox_job`` therefore claims the job before the work and marks it done
after:

- a delivery while another run holds the claim, or after the work is done, does nothing;
- if the handler raises, the claim is released, so RQ's retry runs it again;
- if the run dies (worker killed, machine lost) its claim stays. A claim is a lease: one older
  than ``CLAIM_LEASE`` was left by a run that died, so the next dispatch re-sends the job
  (``outbox.release_abandoned``) and a later delivery may take the claim over.

The one case where the effect can happen twice: a run that dies after the effect but before it
records completion (say between the mail server accepting an email and the commit) has its job
run again once the lease is up. Handlers keep that window to one commit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import or_, update

from grants.extensions import db
from grants.models import OutboxJob, utcnow

Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}

# Longer than any live run can take: RQ stops a job after outbox.JOB_TIMEOUT (5 minutes), so a
# claim three times that old was not left by a run still working.
CLAIM_LEASE = dt.timedelta(minutes=15)


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


def run_outbox_job(job_id: int) -> bool:
    """Run one outbox job unless it is done or another live run has it. Returns whether this
    run did the work. If the handler fails, the claim is released so a retry can run it."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id == job_id,
            OutboxJob.completed_at.is_(None),
            or_(OutboxJob.claimed_at.is_(None), OutboxJob.claimed_at < now - CLAIM_LEASE),
        )
        .values(claimed_at=now, attempts=OutboxJob.attempts + 1)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return False
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    claim = job.attempts  # counts claims, so it tells this run's claim from a later one
    try:
        handle = HANDLERS.get(job.job)
        if handle is None:
            raise LookupError(f"no handler for {job.job!r} (see grants/jobs/catalogue.py)")
        handle(json.loads(job.payload))
    except Exception:
        db.session.rollback()
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id, OutboxJob.attempts == claim)
            .values(claimed_at=None)
        )
        db.session.commit()
        raise
    done = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id, OutboxJob.completed_at.is_(None))
        .values(completed_at=utcnow())
    )
    db.session.commit()
    if done.rowcount != 1:
        current_app.logger.warning(
            "outbox job %s outlived its claim and was also run by another run", job_id
        )
    return True
