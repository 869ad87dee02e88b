"""Audit pages: finance runs verify and reconcile from the web as background tasks, sees the latest
signed checkpoint, and downloads the auditor's export."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from forms.admin import ConfirmForm
from grants.policy import FINANCE_STAFF, allow
from grants.services import audit_runs, tasks
from grants.services.errors import NotFound

bp = Blueprint("audit_pages", __name__, url_prefix="/finance/audit")

# The URL word for each kind of run.
RUNS = {"verify": audit_runs.VERIFY, "reconcile": audit_runs.RECONCILE, "export": audit_runs.EXPORT}
CHUNK = 1 << 16


@bp.get("")
@allow(FINANCE_STAFF)
def overview() -> str:
    return render_template(
        "audit/overview.html",
        ledger=audit_runs.ledger_state(),
        verify=audit_runs.latest_run(g.user, audit_runs.VERIFY),
        reconcile=audit_runs.latest_run(g.user, audit_runs.RECONCILE),
        exports=audit_runs.my_exports(g.user),
        confirm=ConfirmForm(formdata=None),
    )


@bp.post("/<any(verify, reconcile, export):run>")
@allow(FINANCE_STAFF)
def start(run: str) -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        # Only a missing or stale CSRF token fails a bare button: nothing to show but the page.
        abort(400)
    task = audit_runs.start(g.user, RUNS[run])
    return redirect(url_for("audit_pages.task", task_id=task.id))


@bp.get("/tasks/<int:task_id>")
@allow(FINANCE_STAFF)
def task(task_id: int) -> str:
    try:
        run = audit_runs.run_for(g.user, task_id)
    except NotFound:
        abort(404)
    return render_template("audit/task.html", run=run, ledger=audit_runs.ledger_state())


@bp.get("/tasks/<int:task_id>/download")
@allow(FINANCE_STAFF)
def download(task_id: int) -> BaseResponse:
    try:
        export = audit_runs.export_for_download(g.user, task_id)
        url = tasks.result_download_url(export)
        if url:
            return redirect(url)
        stored = tasks.open_result(export)
    except NotFound:
        abort(404)

    def chunks() -> Iterator[bytes]:
        try:
            yield from iter(lambda: stored.read(CHUNK), b"")
        finally:
            stored.close()

    filename = export.result_filename or "ledger-export.zip"
    response = Response(
        chunks(),
        mimetype=export.result_content_type or "application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    if export.result_size_bytes is not None:
        response.content_length = export.result_size_bytes
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
