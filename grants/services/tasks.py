"""Starting background tasks for a person and reading them back: only the person who asked
(and staff of the same role, for finance's shared exports) sees a task and its file."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.outbox import note_pending
from grants.models import BackgroundTask, OutboxJob, User
from grants.services.errors import NotFound


def start_task(user: User, kind: str, **parameters: Any) -> BackgroundTask:
    """Record the task and its outbox job in one transaction; it runs after commit (in-process
    without Redis, on a worker with it)."""
    task = BackgroundTask(
        kind=kind, parameters=json.dumps(parameters, sort_keys=True), requested_by_id=user.id
    )
    db.session.add(task)
    db.session.flush()
    db.session.add(
        OutboxJob(
            job="task.run",
            payload=json.dumps({"task_id": task.id}),
            dedupe_key=f"task.run:{task.id}",
        )
    )
    db.session.commit()
    note_pending()
    return task


def task_for(user: User, task_id: int) -> BackgroundTask:
    """The task if this user asked for it; NotFound otherwise (never someone else's file)."""
    task = db.session.scalar(
        select(BackgroundTask).where(
            BackgroundTask.id == task_id, BackgroundTask.requested_by_id == user.id
        )
    )
    if task is None:
        raise NotFound
    return task


def recent_tasks(user: User, kinds: tuple[str, ...], limit: int = 10) -> list[BackgroundTask]:
    return list(
        db.session.scalars(
            select(BackgroundTask)
            .where(BackgroundTask.requested_by_id == user.id, BackgroundTask.kind.in_(kinds))
            .order_by(BackgroundTask.id.desc())
            .limit(limit)
        )
    )


def result_download_url(task: BackgroundTask) -> str | None:
    """A short-lived link to the task's file when the store can give one (S3), else None:
    the view then streams it."""
    if task.result_key is None:
        return None
    store = current_app.extensions["document_store"]
    return store.download_url(
        task.result_key,
        task.result_filename or "download",
        task.result_content_type or "application/octet-stream",
        300,
    )


def open_result(task: BackgroundTask):  # type: ignore[no-untyped-def]
    if task.result_key is None:
        raise NotFound
    return current_app.extensions["document_store"].open(task.result_key)
