"""Starting and following the award dossier for the audit panel: a zip built by the background
task ``dossier.award`` (``grants.jobs.dossier_tasks`` builds it) for the person who asked; only
they can see the task and download the file (``grants.services.tasks.task_for``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO

from grants.extensions import db
from grants.jobs.dossier_tasks import KIND
from grants.models import Award, BackgroundTask, User
from grants.policy import visible_awards
from grants.services import tasks
from grants.services.errors import NotFound

__all__ = ["KIND", "DossierTask", "dossier_task", "dossiers_of", "open_dossier", "start_dossier"]


@dataclass(frozen=True)
class DossierTask:
    task: BackgroundTask
    award: Award | None
    download_url: str | None


def start_dossier(user: User, award_id: int) -> BackgroundTask:
    award = db.session.scalar(visible_awards(user).where(Award.id == award_id))
    if award is None:
        raise NotFound
    return tasks.start_task(user, KIND, award_id=award.id)


def dossier_task(user: User, task_id: int) -> DossierTask:
    """The dossier task if this user asked for it; NotFound for anyone else's task (or a task
    of another kind)."""
    task = tasks.task_for(user, task_id)
    if task.kind != KIND:
        raise NotFound
    award_id = _award_id(task)
    award = (
        db.session.scalar(visible_awards(user).where(Award.id == award_id)) if award_id else None
    )
    return DossierTask(task, award, tasks.result_download_url(task))


def dossiers_of(user: User, award_id: int) -> list[BackgroundTask]:
    """This user's recent dossiers of this award, newest first."""
    return [t for t in tasks.recent_tasks(user, (KIND,), 20) if _award_id(t) == award_id]


def open_dossier(task: BackgroundTask) -> IO[bytes]:
    return tasks.open_result(task)


def _award_id(task: BackgroundTask) -> int | None:
    value = json.loads(task.parameters or "{}").get("award_id")
    return value if isinstance(value, int) else None
