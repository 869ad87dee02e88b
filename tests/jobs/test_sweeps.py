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


def test_a_draft_sent_back_for_changes_outlives_its_round_without_a_refusal_each_night(ctx):
    world = build_world()
    start_history(world)
    now = utcnow()
    application = world.objects["application"]
    # What a submission followed by the officer's "request changes" leaves behind.
    application.reference = "PF-APP-77"
    application.round.closes_at = now - dt.timedelta(days=3)
    db.session.commit()

    report = run_sweeps(now)

    assert report.drafts_lapsed == [] and report.refused == []
    assert application.status is ApplicationStatus.DRAFT


def test_sweep_command(app):
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0
    assert "0 returns opened" in result.output


def test_orphaned_objects_are_removed_after_the_grace_period(app, ctx):
    import hashlib
    import io
    import os
    import time

    from grants.jobs.sweeps import sweep_orphans
    from grants.models import Document, ScanStatus
    from tests.conftest import make_member, make_organisation

    store = app.extensions["document_store"]
    data = b"%PDF-1.7\n%%EOF\n"
    digest = hashlib.sha256(data).hexdigest()
    for key in ("documents/aa/orphan-old", "documents/aa/orphan-new", "documents/aa/kept"):
        store.put(key, io.BytesIO(data), size=len(data), sha256_hex=digest,
                  content_type="application/pdf")  # fmt: skip
    member = make_member(make_organisation(), "coach@example.org")
    db.session.add(
        Document(
            storage_key="documents/aa/kept", organisation_id=None, uploaded_by_id=member.id,
            purpose="other", filename="kept.pdf", file_type="pdf",
            content_type="application/pdf", size_bytes=len(data), sha256=digest,
            scan_status=ScanStatus.NOT_SCANNED,
        )
    )  # fmt: skip
    db.session.commit()
    old = time.time() - 7 * 3600
    os.utime(store._path("documents/aa/orphan-old"), (old, old))
    os.utime(store._path("documents/aa/kept"), (old, old))

    assert sweep_orphans() == ["documents/aa/orphan-old"]
    assert {stored.key for stored in store.list("documents/")} == {
        "documents/aa/orphan-new",
        "documents/aa/kept",
    }
