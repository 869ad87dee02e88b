"""What RQ workers run. Jobs take ids, never objects, and run inside an app context."""

from __future__ import annotations

from flask import Flask, has_app_context

_app: Flask | None = None


def run_job(job_id: int) -> bool:
    from grants.jobs.registry import run_outbox_job

    if has_app_context():
        return run_outbox_job(job_id)
    with _worker_app().app_context():
        return run_outbox_job(job_id)


def run_periodic() -> str:
    """The periodic work, as one job: moves time has made due, reminders, resending anything
    left undelivered in the outbox or claimed by a run that died, and the orphan sweep."""
    if has_app_context():
        return _periodic()
    with _worker_app().app_context():
        return _periodic()


def _periodic() -> str:
    from grants.jobs.outbox import dispatch_pending, release_abandoned
    from grants.jobs.reminders import queue_return_reminders
    from grants.jobs.sweeps import run_sweeps, sweep_orphans

    moves = run_sweeps()
    reminders = queue_return_reminders()
    abandoned = release_abandoned()  # dispatch_pending would too, but not count them
    dispatched = dispatch_pending()
    orphans = sweep_orphans()
    return (
        f"{moves.summary()}; {len(reminders)} reminders queued; {len(abandoned)} jobs whose run "
        f"died sent again; {dispatched} jobs dispatched; "
        f"{len(orphans)} orphaned documents removed"
    )


def _worker_app() -> Flask:
    global _app
    if _app is None:
        from grants import create_app

        _app = create_app()
    return _app
