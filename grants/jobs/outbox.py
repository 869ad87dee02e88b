"""Handing recorded jobs over once their transaction has committed.

Without REDIS_URL (the embedded default) jobs run in this process straight away. With it they
go to RQ; if Redis cannot be reached they stay undelivered in the outbox, the change the user
made still stands, and the next dispatch (after the next change, `flask jobs dispatch`, or the
periodic job) sends them. A job whose run died with it (a worker killed mid-job) keeps its
claim until the claim's lease is up (registry.CLAIM_LEASE); each dispatch first releases such
claims, so the job is sent again. Work is delayed by an outage or a lost worker, never lost.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from grants.extensions import db
from grants.jobs import registry
from grants.models import OutboxJob, utcnow

QUEUE = "grants"
RETRY_INTERVALS = [10, 60, 300]
# RQ stops a run that takes longer; registry.CLAIM_LEASE must stay well above it.
JOB_TIMEOUT = 5 * 60


def note_pending() -> None:
    """Called when a request records outbox jobs: dispatch them when the request is done."""
    if has_request_context():
        g.outbox_pending = True


def dispatch_if_pending() -> None:
    if g.pop("outbox_pending", False):
        dispatch_pending()


def dispatch_pending(limit: int = 200) -> int:
    """Send undelivered jobs on, and any whose run died; returns how many were handed over."""
    release_abandoned()
    pending = db.session.execute(
        select(OutboxJob.id, OutboxJob.attempts)
        .where(OutboxJob.dispatched_at.is_(None), OutboxJob.completed_at.is_(None))
        .order_by(OutboxJob.id)
        .limit(limit)
    ).all()
    redis_url = current_app.config.get("REDIS_URL")
    handed = 0
    for job_id, attempts in pending:
        if redis_url:
            if not _enqueue(redis_url, job_id, attempts):
                break  # Redis is down: leave the rest for the next dispatch
            _mark_dispatched(job_id)
        else:
            _mark_dispatched(job_id)
            _run_here(job_id)
        handed += 1
    return handed


def release_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Release the claims of jobs whose run died before finishing (its claim is older than the
    lease) and mark them undelivered, so this dispatch sends them again. Returns their ids."""
    cutoff = (now or utcnow()) - registry.CLAIM_LEASE
    abandoned = (OutboxJob.completed_at.is_(None), OutboxJob.claimed_at < cutoff)
    job_ids = list(db.session.scalars(select(OutboxJob.id).where(*abandoned)))
    if job_ids:
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(job_ids), *abandoned)
            .values(claimed_at=None, dispatched_at=None)
        )
        db.session.commit()
        current_app.logger.warning(
            "outbox jobs %s were claimed by runs that stopped before finishing: sending again",
            job_ids,
        )
    return job_ids


def _mark_dispatched(job_id: int) -> None:
    db.session.get(OutboxJob, job_id).dispatched_at = utcnow()  # type: ignore[union-attr]
    db.session.commit()


def _run_here(job_id: int) -> None:
    try:
        registry.run_outbox_job(job_id)
    except Exception:
        # The job stays claimable; `flask jobs dispatch` or the sweep runs it again.
        current_app.logger.exception("outbox job %s failed", job_id)
        db.session.rollback()
        db.session.get(OutboxJob, job_id).dispatched_at = None  # type: ignore[union-attr]
        db.session.commit()


def _enqueue(redis_url: str, job_id: int, attempts: int) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    # A job sent again after a run died gets an id of its own: RQ still holds the dead run's
    # job under the first one until its own clean-up moves it on.
    rq_id = f"outbox-{job_id}" if attempts == 0 else f"outbox-{job_id}-{attempts}"
    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        Queue(QUEUE, connection=connection).enqueue(
            "grants.jobs.worker.run_job",
            job_id,
            job_id=rq_id,
            job_timeout=JOB_TIMEOUT,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            failure_ttl=30 * 24 * 3600,
        )
    except RedisError as failure:
        current_app.logger.warning(
            "Redis unavailable, job %s stays in the outbox: %s", job_id, failure
        )
        return False
    finally:
        connection.close()
    return True
