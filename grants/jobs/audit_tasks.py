"""Background tasks that verify the ledger, reconcile it with the current state, and build the
auditor's export."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from grants.audit import outcomes
from grants.audit.export import export_ledger
from grants.audit.reconcile import reconcile
from grants.audit.verify import verify_ledger
from grants.calendar import london_today
from grants.extensions import db
from grants.jobs.tasks import progress, result_file, task_kind
from grants.models import AuditHead, BackgroundTask

VERIFY = "audit.verify"
RECONCILE = "audit.reconcile"
EXPORT = "audit.export"


def _head_seq() -> int:
    head = db.session.get(AuditHead, 1)
    return head.seq if head else 0


@task_kind(VERIFY)
def verify(task: BackgroundTask) -> str:
    # Progress is recorded before and after only: a commit while the events stream would end
    # the transaction their server-side cursor lives in.
    progress(task, 0, _head_seq())
    report = verify_ledger()
    progress(task, report.events)
    return outcomes.of_verify(report)


@task_kind(RECONCILE)
def reconcile_ledger(task: BackgroundTask) -> str:
    return outcomes.of_reconcile(reconcile())


@task_kind(EXPORT)
def export(task: BackgroundTask) -> str:
    """The same folder ``flask audit export`` writes, zipped under one top-level folder so that
    extracting it puts nothing loose beside the auditor's other files."""
    progress(task, 0, _head_seq())
    name = f"ledger-export-{london_today().isoformat()}"
    with tempfile.TemporaryDirectory(prefix="ledger-export-") as folder:
        counts = export_ledger(folder)
        progress(task, counts["events"])
        root = Path(folder)
        # The zip closes (writing its directory) before the spooled file is stored.
        with (
            result_file(task, f"{name}.zip", "application/zip") as out,
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                archive.write(path, f"{name}/{path.relative_to(root).as_posix()}")
    return outcomes.of_export(counts)
