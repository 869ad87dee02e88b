"""The award ledger: append-only, hash-chained audit events, and the outbox of follow-up jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from grants.models.base import Base, TimestampMixin, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One state change or money movement. Rows are never updated or deleted: the database's
    own triggers refuse it (see the migration), and each row's hash covers the previous one."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    object_version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    # Canonical JSON: amounts as strings of whole pence, changed fields, free-form details.
    amounts: Mapped[str] = mapped_column(Text, default="{}")
    changes: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the last sequence number and hash. Appends lock it, so the chain stays linear."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class OutboxJob(TimestampMixin, Base):
    """Follow-up work recorded in the same transaction as the change that needs it, and handed
    to the job queue only after that transaction commits."""

    __tablename__ = "outbox_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    # Jobs keyed by object and event run at most once, even if dispatched twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Claimed by the run doing the work, so a second run of the same job finds it taken. The
    # claim is a lease: one older than that was left by a run that died, and is released.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set once the work is done: no run does it again.
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
