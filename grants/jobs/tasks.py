"""Running a background task (a large export, an audit run) for the person who asked for it.

Each kind of task is a function registered here by name. It receives the task and reports
progress through ``progress``; it may write a file through ``result_file``, which spools to a
temporary file on disk (constant memory whatever the size), then stores it in the document store
with its SHA-256 and records it on the task. A task that raises is marked failed with a message
the page can show; the outbox does not retry it (the person can start it again), so a failing
export never runs in a loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from flask import current_app

from grants.extensions import db
from grants.jobs.registry import handler
from grants.models import BackgroundTask, TaskStage, utcnow

TaskRunner = Callable[[BackgroundTask], str]  # returns the outcome in words
TASK_KINDS: dict[str, TaskRunner] = {}
# Progress is written at most this often (in items), so a 100,000-row export does not commit
# 100,000 times.
PROGRESS_EVERY = 500
_KEY = "tasks/{task_id}/{token}/{filename}"


def task_kind(name: str) -> Callable[[TaskRunner], TaskRunner]:
    def register(function: TaskRunner) -> TaskRunner:
        TASK_KINDS[name] = function
        return function

    return register


def parameters(task: BackgroundTask) -> dict[str, Any]:
    return json.loads(task.parameters or "{}")


def progress(task: BackgroundTask, done: int, total: int | None = None) -> None:
    """Record how far the task has got, committing only every PROGRESS_EVERY items."""
    if total is not None:
        task.total = total
    previous = task.done
    task.done = done
    if done == 0 or done // PROGRESS_EVERY != previous // PROGRESS_EVERY or done == task.total:
        db.session.commit()


@contextlib.contextmanager
def result_file(task: BackgroundTask, filename: str, content_type: str) -> Iterator[IO[bytes]]:
    """A binary file to write the task's result into; stored when the block ends."""
    with tempfile.TemporaryFile() as spool:
        yield spool
        size = spool.tell()
        spool.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(1 << 20), b""):
            digest.update(chunk)
        spool.seek(0)
        key = _KEY.format(task_id=task.id, token=secrets.token_hex(12), filename=filename)
        store = current_app.extensions["document_store"]
        store.put(key, spool, size=size, sha256_hex=digest.hexdigest(), content_type=content_type)
    task.result_key = key
    task.result_filename = filename
    task.result_content_type = content_type
    task.result_size_bytes = size


@handler("task.run")
def run_task(payload: dict[str, Any]) -> None:
    task = db.session.get(BackgroundTask, payload["task_id"])
    if task is None or task.stage in (TaskStage.DONE, TaskStage.FAILED):
        return  # gone, or already run by an earlier delivery
    runner = TASK_KINDS.get(task.kind)
    task.stage, task.started_at = TaskStage.RUNNING, utcnow()
    db.session.commit()
    try:
        if runner is None:
            raise LookupError(f"no task called {task.kind!r}")
        message = runner(task)
    except Exception as failure:  # recorded for the person waiting; not retried
        db.session.rollback()
        task = db.session.get(BackgroundTask, payload["task_id"])
        assert task is not None
        task.stage, task.finished_at = TaskStage.FAILED, utcnow()
        task.message = f"It did not finish: {failure}"
        current_app.logger.exception("task %s (%s) failed", task.id, task.kind)
    else:
        task.stage, task.finished_at, task.message = TaskStage.DONE, utcnow(), message
    db.session.commit()
