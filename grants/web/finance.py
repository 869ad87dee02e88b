"""Finance pages: the financial-year ledger per programme, and exports of awards, payments, returns
and the ledger (CSV and XLSX, large ones as background tasks).

Small exports stream straight to the browser from a GET. One over ``exports.STREAM_LIMIT`` rows
is started with a POST (a button, with its CSRF token: a GET never starts work, so a prefetch or
a crawler cannot) and runs as a task whose page shows its progress and, once ready, the
download. Only the person who started a task sees it; anyone else gets a 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from forms.finance import LedgerFilterForm, StartExportForm
from grants.policy import FINANCE_READERS, allow
from grants.services import exports, fy_ledger
from grants.services import tasks as background
from grants.services.errors import NotFound

bp = Blueprint("finance", __name__, url_prefix="/finance")

TOO_LARGE = "too-large"
FORMAT = "<any(csv, xlsx):extension>"


def _attachment(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


@bp.get("/ledger")
@allow(FINANCE_READERS)
def ledger() -> tuple[str, int]:
    options = fy_ledger.ledger_options(g.user)
    filters = LedgerFilterForm(formdata=request.args)
    filters.offer(options.programme_choices(), options.year_choices())
    if not filters.validate():
        return render_template(
            "finance/ledger.html", filters=filters, form=filters, ledger=None
        ), 400
    found = fy_ledger.ledger(g.user, options, filters.programme_id(), filters.financial_year())
    return render_template("finance/ledger.html", filters=filters, ledger=found), 200


@bp.get("/exports")
@allow(FINANCE_READERS)
def exports_page() -> str:
    return render_template(
        "finance/exports.html",
        available=exports.available(g.user),
        limit=exports.STREAM_LIMIT,
        formats=tuple(exports.FORMATS),
        recent=exports.recent_export_tasks(g.user),
        too_large=get_flashed_messages(category_filter=[TOO_LARGE]),
        start_form=StartExportForm(),
    )


@bp.get(f"/exports/<name>.{FORMAT}")
@allow(FINANCE_READERS)
def download(name: str, extension: str) -> BaseResponse:
    try:
        export = exports.export_for(g.user, name, extension)
    except NotFound:
        abort(404)
    if export.count(g.user) > exports.STREAM_LIMIT:
        flash(export.title, TOO_LARGE)
        return redirect(url_for("finance.exports_page", _anchor=f"export-{name}"), 303)
    chunks = exports.stream(g.user, name, extension)
    return Response(
        stream_with_context(chunks),
        mimetype=exports.FORMATS[extension],
        headers=_attachment(export.filename(extension)),
    )


@bp.post(f"/exports/<name>.{FORMAT}")
@allow(FINANCE_READERS)
def start(name: str, extension: str) -> BaseResponse:
    try:
        exports.export_for(g.user, name, extension)
    except NotFound:
        abort(404)
    if not StartExportForm().validate_on_submit():
        abort(400)  # only the CSRF token can be wrong, and that has its own page
    task = background.start_task(g.user, exports.task_kind(name, extension))
    return redirect(url_for("finance.task", task_id=task.id), 303)


@bp.get("/exports/tasks/<int:task_id>")
@allow(FINANCE_READERS)
def task(task_id: int) -> str:
    try:
        found = exports.export_task(g.user, task_id)
    except NotFound:
        abort(404)
    return render_template("finance/task.html", task=found)


@bp.get("/exports/tasks/<int:task_id>/download")
@allow(FINANCE_READERS)
def task_download(task_id: int) -> BaseResponse:
    try:
        found = exports.export_task(g.user, task_id)
    except NotFound:
        abort(404)
    if not found.ready:
        abort(404)
    url = background.result_download_url(found.task)
    if url is not None:
        return redirect(url, 303)
    stored = background.open_result(found.task)

    def chunks():  # type: ignore[no-untyped-def]
        with stored:
            yield from iter(lambda: stored.read(exports.CHUNK_BYTES), b"")

    return Response(
        chunks(),
        mimetype=found.task.result_content_type or "application/octet-stream",
        headers=_attachment(found.task.result_filename or "export"),
    )
