"""Long work done in the background for a person (a large export, an audit run), with its
progress for the page that waits on it and the file it produced."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from grants.models.base import Base, TimestampMixin, UTCDateTime, enum_column


class TaskStage(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class BackgroundTask(TimestampMixin, Base):
    __tablename__ = "background_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What to do, e.g. "export.awards.xlsx" or "audit.verify": a name in grants.jobs.tasks.
    kind: Mapped[str] = mapped_column(String(60))
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Not a lifecycle: a technical record of a run, so "stage" rather than a workflow status.
    stage: Mapped[TaskStage] = mapped_column(
        enum_column(TaskStage, "task_stage"), default=TaskStage.QUEUED
    )
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    # The outcome in words (a summary, or what went wrong), and the file made, if any.
    message: Mapped[str | None] = mapped_column(Text)
    result_key: Mapped[str | None] = mapped_column(String(300))
    result_filename: Mapped[str | None] = mapped_column(String(200))
    result_content_type: Mapped[str | None] = mapped_column(String(120))
    result_size_bytes: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def percent(self) -> int:
        if self.stage is TaskStage.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
