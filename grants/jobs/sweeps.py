"""Periodic sweeps that move things on as time passes, each move by the system through the
engine (so each is checked by its guards and recorded in the ledger):
open monitoring returns whose period has ended, lapse offers past their expiry, and lapse drafts
whose round has closed; ask again for virus scans left pending or failed; and remove stored
documents that no row points at. Safe to run at any time and as often as wanted: a sweep finds
only what is due now, and a move that is no longer allowed is simply not made."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from grants.extensions import db
from grants.filters import LONDON
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    Document,
    MonitoringReturn,
    ReturnStatus,
    Round,
    utcnow,
)
from grants.services import contracts, scanning
from workflows.engine import fire
from workflows.errors import WorkflowError


@dataclass
class SweepReport:
    returns_opened: list[int] = field(default_factory=list)
    offers_lapsed: list[int] = field(default_factory=list)
    drafts_lapsed: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # None when no virus scanner is configured: there is nothing to ask again.
    scans_requeued: list[int] | None = None
    contracts_flagged: int = 0  # commissioned services now due for review

    def summary(self) -> str:
        text = (
            f"{len(self.returns_opened)} returns opened, {len(self.offers_lapsed)} offers lapsed, "
            f"{len(self.drafts_lapsed)} drafts lapsed, {len(self.refused)} moves refused"
        )
        if self.contracts_flagged:
            text += f", {self.contracts_flagged} contracts flagged for review"
        if self.scans_requeued is not None:
            text += f", {len(self.scans_requeued)} virus scans asked for again"
        return text


def run_sweeps(now: dt.datetime | None = None) -> SweepReport:
    now = now or utcnow()
    today = now.astimezone(LONDON).date()
    report = SweepReport()
    due_returns = (
        select(MonitoringReturn)
        .where(
            MonitoringReturn.status == ReturnStatus.SCHEDULED,
            MonitoringReturn.period_end <= today,
        )
        .order_by(MonitoringReturn.id)
    )
    expired_offers = (
        select(Award)
        .where(Award.status == AwardStatus.OFFERED, Award.offer_expires_at <= now)
        .order_by(Award.id)
    )
    # A draft with a reference was submitted and sent back for changes: it waits for them
    # after the round closes (the engine refuses to lapse it), so the sweep leaves it alone
    # rather than reporting the same refusal every night.
    stale_drafts = (
        select(Application)
        .join(Round)
        .where(
            Application.status == ApplicationStatus.DRAFT,
            Application.reference.is_(None),
            Round.closes_at <= now,
        )
        .order_by(Application.id)
    )
    for query, trigger, done in (
        (due_returns, "open", report.returns_opened),
        (expired_offers, "lapse", report.offers_lapsed),
        (stale_drafts, "lapse", report.drafts_lapsed),
    ):
        for obj in db.session.scalars(query).all():
            try:
                fire(None, obj, trigger, now=now)
                db.session.commit()
            except WorkflowError as refusal:
                db.session.rollback()
                report.refused.append(f"{type(obj).__name__} {obj.id}: {refusal.message}")
            else:
                done.append(obj.id)
    # The scans are handed to the queue by the dispatch that follows every sweep.
    report.scans_requeued = scanning.requeue_unsettled(now)
    # Contracts coming up to their end are flagged for review; ended KPI quarters open.
    report.contracts_flagged = contracts.flag_contracts_due(today)
    return report


ORPHAN_GRACE = dt.timedelta(hours=6)


def sweep_orphans(now: dt.datetime | None = None, grace: dt.timedelta = ORPHAN_GRACE) -> list[str]:
    """Delete stored objects that no document row points at, once they are older than the
    grace period (an upload writes its object just before its row commits). Returns the keys
    removed, so the run can be reported."""
    from flask import current_app

    now = now or utcnow()
    store = current_app.extensions["document_store"]
    known = set(db.session.scalars(select(Document.storage_key)))
    removed = []
    for stored in store.list("documents/"):
        if stored.key not in known and now - stored.last_modified > grace:
            store.delete(stored.key)
            removed.append(stored.key)
    return removed
