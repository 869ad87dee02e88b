"""Finance's audit runs: the ledger's head and latest signed checkpoint, verify, reconcile and the
auditor's export started as background tasks, and their results read back.

A verify or reconcile run says something about the ledger, not about the person who asked, so
every member of finance sees every run. An export is a copy of the whole ledger: only the
person who asked for it sees it and downloads it.

A run's outcome is kept as the task's message, in the words of grants.audit.outcomes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from grants.audit import outcomes
from grants.audit.checkpoints import all_checkpoints, fingerprint, load_or_create_key
from grants.audit.checkpoints import signature_valid as checkpoint_signature_valid
from grants.extensions import db
from grants.jobs.audit_tasks import EXPORT, RECONCILE, VERIFY
from grants.models import GENESIS_HASH, AuditHead, BackgroundTask, TaskStage, User, utcnow
from grants.services import tasks
from grants.services.errors import NotFound, ServiceError

KINDS = (VERIFY, RECONCILE, EXPORT)
NAMES = {
    VERIFY: "Verify the ledger",
    RECONCILE: "Reconcile the ledger",
    EXPORT: "Auditor's export",
}
SHARED_KINDS = (VERIFY, RECONCILE)
# A run unfinished for longer than this was left by a worker that died (the job queue stops a
# job after 5 minutes); a new request starts afresh instead of waiting on it for ever.
STILL_RUNNING = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class SignedCheckpoint:
    seq: int
    hash: str
    signed_at: dt.datetime
    signature_valid: bool


@dataclass(frozen=True)
class LedgerState:
    head_seq: int
    head_hash: str
    checkpoint: SignedCheckpoint | None
    checkpoint_count: int
    key_fingerprint: str | None


@dataclass(frozen=True)
class AuditRun:
    task: BackgroundTask
    name: str
    requested_by: str
    summary: str | None
    details: tuple[str, ...]
    # True or False once a verify or reconcile run has finished; None otherwise.
    sound: bool | None
    mine: bool

    @property
    def finished(self) -> bool:
        return self.task.stage in (TaskStage.DONE, TaskStage.FAILED)

    @property
    def downloadable(self) -> bool:
        return (
            self.mine
            and self.task.kind == EXPORT
            and self.task.stage is TaskStage.DONE
            and self.task.result_key is not None
        )


# Reading ----------------------------------------------------------------------------------


def ledger_state() -> LedgerState:
    """The ledger's head as the database has it, and the latest checkpoint as signed then."""
    head = db.session.get(AuditHead, 1)
    key_file = current_app.config["AUDIT_SIGNING_KEY_FILE"]
    # Looking must not create a signing key: only signing does.
    public_key = load_or_create_key(key_file).public_key() if Path(key_file).exists() else None
    checkpoints = all_checkpoints(current_app.config["AUDIT_CHECKPOINT_DIR"])
    latest = None
    if checkpoints:
        last = checkpoints[-1]
        latest = SignedCheckpoint(
            seq=last.seq,
            hash=last.hash,
            signed_at=dt.datetime.strptime(last.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=dt.UTC
            ),
            signature_valid=public_key is not None and checkpoint_signature_valid(public_key, last),
        )
    return LedgerState(
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else GENESIS_HASH,
        checkpoint=latest,
        checkpoint_count=len(checkpoints),
        key_fingerprint=fingerprint(public_key) if public_key else None,
    )


def latest_run(user: User, kind: str) -> AuditRun | None:
    """The latest verify or reconcile run, whoever asked for it."""
    if kind not in SHARED_KINDS:
        raise ValueError(f"{kind} runs are not shared")
    task = db.session.scalar(
        select(BackgroundTask)
        .where(BackgroundTask.kind == kind)
        .order_by(BackgroundTask.id.desc())
        .limit(1)
    )
    return _run(user, task) if task else None


def my_exports(user: User, limit: int = 5) -> list[AuditRun]:
    return [_run(user, task) for task in tasks.recent_tasks(user, (EXPORT,), limit)]


def run_for(user: User, task_id: int) -> AuditRun:
    """A verify or reconcile run, or the user's own export; NotFound for anything else."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.kind not in KINDS:
        raise NotFound
    if task.kind not in SHARED_KINDS and task.requested_by_id != user.id:
        raise NotFound
    return _run(user, task)


def export_for_download(user: User, task_id: int) -> BackgroundTask:
    """The user's own finished export; NotFound otherwise, so nobody else learns it exists."""
    task = tasks.task_for(user, task_id)
    if task.kind != EXPORT or task.stage is not TaskStage.DONE or task.result_key is None:
        raise NotFound
    return task


def _run(user: User, task: BackgroundTask) -> AuditRun:
    requested_by = db.session.scalar(select(User.full_name).where(User.id == task.requested_by_id))
    summary, details = outcomes.split(task.message)
    sound = None
    if task.kind in SHARED_KINDS and task.stage is TaskStage.DONE and summary:
        sound = outcomes.is_sound(summary)
    return AuditRun(
        task=task,
        name=NAMES[task.kind],
        requested_by=requested_by or "Unknown",
        summary=summary,
        details=details,
        sound=sound,
        mine=task.requested_by_id == user.id,
    )


# Starting ---------------------------------------------------------------------------------


def start(user: User, kind: str) -> BackgroundTask:
    """Start a run, or return the one of the same kind already under way, so a second click
    (or a colleague's) does not read the whole ledger twice at once."""
    if kind not in KINDS:
        raise ServiceError("Choose verify, reconcile or the auditor's export")
    under_way = select(BackgroundTask).where(
        BackgroundTask.kind == kind,
        BackgroundTask.stage.in_((TaskStage.QUEUED, TaskStage.RUNNING)),
        BackgroundTask.created_at > utcnow() - STILL_RUNNING,
    )
    if kind not in SHARED_KINDS:
        under_way = under_way.where(BackgroundTask.requested_by_id == user.id)
    existing = db.session.scalar(under_way.order_by(BackgroundTask.id.desc()).limit(1))
    if existing is not None:
        return existing
    return tasks.start_task(user, kind)
