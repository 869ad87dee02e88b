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


def _worker_app() -> Flask:
    global _app
    if _app is None:
        from grants import create_app

        _app = create_app()
    return _app
