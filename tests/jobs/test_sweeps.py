"""Time moves things on: the sweep opens due returns, lapses expired offers and stale drafts,
each as a system move in the ledger, and does nothing twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from grants.audit.reconcile import reconcile
from grants.audit.verify import verify_ledger
from grants.extensions import db
from grants.jobs.sweeps import run_sweeps
from grants.models import (
    ApplicationStatus,
    AuditEvent,
    AwardStatus,
    MonitoringReturn,
    ReturnStatus,
    utcnow,
)
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import OFFICER
from workflows.engine import create


def test_sweep_moves_only_what_is_due(ctx):
    world = build_world()
    start_history(world)
    now = utcnow()
    award = world.objects["award"]
    today = now.date()
    due = world.objects["monitoring_return"]
    due.period_end = today - dt.timedelta(days=1)
    later = MonitoringReturn(
        award=award, period_start=today, period_end=today + dt.timedelta(days=90),
        due_date=today + dt.timedelta(days=110),
    )  # fmt: skip
    create(world.actors[OFFICER], later)
    award.offer_expires_at = now - dt.timedelta(minutes=5)
    application = world.objects["application"]
    application.round.closes_at = now - dt.timedelta(minutes=5)
    db.session.commit()

    report = run_sweeps(now)
    assert report.returns_opened == [due.id]
    assert report.offers_lapsed == [award.id]
    assert report.drafts_lapsed == [application.id]
    assert report.refused == []
    assert due.status is ReturnStatus.OPEN and later.status is ReturnStatus.SCHEDULED
    assert award.status is AwardStatus.LAPSED
    assert application.status is ApplicationStatus.LAPSED
    system_moves = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_role == "system")
    ).all()
    assert sorted(system_moves) == ["lapse", "lapse", "open"]
    assert verify_ledger().ok and reconcile() == []

    again = run_sweeps(now)
    assert again.summary() == "0 returns opened, 0 offers lapsed, 0 drafts lapsed, 0 moves refused"


def test_sweep_command(app):
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0
    assert "0 returns opened" in result.output
