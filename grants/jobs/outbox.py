"""Handing recorded jobs over once their transaction has committed.

Without REDIS_URL (the embedded default) jobs run in this process straight away. With it they
go to RQ; if Redis cannot be reached they stay undelivered in the outbox, the change the user
made still stands, and the next dispatch (after the next change, or `flask jobs dispatch`)
sends them. Work is delayed by an outage, never lost.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context
from sqlalchemy import select

from grants.extensions import db
from grants.models import OutboxJob, utcnow

QUEUE = "grants"
RETRY_INTERVALS = [10, 60, 300]


def note_pending() -> None:
    """Called when a request records outbox jobs: dispatch them when the request is done."""
    if has_request_context():
        g.outbox_pending = True


def dispatch_if_pending() -> None:
    if g.pop("outbox_pending", False):
        dispatch_pending()


def dispatch_pending(limit: int = 200) -> int:
    """Send undelivered jobs on; returns how many were handed over."""
    pending = list(
        db.session.scalars(
            select(OutboxJob.id)
            .where(OutboxJob.dispatched_at.is_(None), OutboxJob.completed_at.is_(None))
            .order_by(OutboxJob.id)
            .limit(limit)
        )
    )
    redis_url = current_app.config.get("REDIS_URL")
    handed = 0
    for job_id in pending:
        if redis_url:
            if not _enqueue(redis_url, job_id):
                break  # Redis is down: leave the rest for the next dispatch
            _mark_dispatched(job_id)
        else:
            _mark_dispatched(job_id)
            _run_here(job_id)
        handed += 1
    return handed


def _mark_dispatched(job_id: int) -> None:
    db.session.get(OutboxJob, job_id).dispatched_at = utcnow()  # type: ignore[union-attr]
    db.session.commit()


def _run_here(job_id: int) -> None:
    from grants.jobs.registry import run_outbox_job

    try:
        run_outbox_job(job_id)
    except Exception:
        # The job stays claimable; `flask jobs dispatch` or the sweep runs it again.
        current_app.logger.exception("outbox job %s failed", job_id)
        db.session.rollback()
        db.session.get(OutboxJob, job_id).dispatched_at = None  # type: ignore[union-attr]
        db.session.commit()


def _enqueue(redis_url: str, job_id: int) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        Queue(QUEUE, connection=connection).enqueue(
            "grants.jobs.worker.run_job",
            job_id,
            job_id=f"outbox-{job_id}",
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
