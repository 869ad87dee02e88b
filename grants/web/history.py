"""Award history from the ledger: per award, organisation and programme, an 'as at' view of what
was committed and paid on any date, and the award dossier for the audit panel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from forms.history import AsAtFilterForm, AsAtForm, DossierForm
from grants.policy import FINANCE_READERS, allow
from grants.services import dossier, history
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import pagination, show_error

bp = Blueprint("history", __name__, url_prefix="/finance")

CHUNK = 1 << 16


# One award -------------------------------------------------------------------------------------


@bp.get("/awards/<int:award_id>/history")
@allow(FINANCE_READERS)
def award(award_id: int) -> str:
    return _award_page(award_id, DossierForm())


def _award_page(award_id: int, form: DossierForm) -> str:
    try:
        found = history.award_history(g.user, award_id)
    except NotFound:
        abort(404)
    return render_template(
        "history/award.html",
        history=found,
        award=found.award,
        form=form,
        dossiers=dossier.dossiers_of(g.user, award_id),
    )


@bp.post("/awards/<int:award_id>/dossier")
@allow(FINANCE_READERS)
def start_dossier(award_id: int) -> BaseResponse | tuple[str, int]:
    form = DossierForm()
    if not form.validate_on_submit():
        return _award_page(award_id, form), 400
    try:
        task = dossier.start_dossier(g.user, award_id)
    except NotFound:
        abort(404)
    return redirect(url_for("history.dossier_progress", task_id=task.id))


@bp.get("/dossiers/<int:task_id>")
@allow(FINANCE_READERS)
def dossier_progress(task_id: int) -> str:
    try:
        found = dossier.dossier_task(g.user, task_id)
    except NotFound:
        abort(404)
    return render_template("history/dossier.html", found=found, task=found.task)


@bp.get("/dossiers/<int:task_id>/download")
@allow(FINANCE_READERS)
def dossier_download(task_id: int) -> BaseResponse:
    try:
        found = dossier.dossier_task(g.user, task_id)
    except NotFound:
        abort(404)
    task = found.task
    if task.result_key is None:
        abort(404)
    if found.download_url is not None:
        return redirect(found.download_url)
    try:
        source = dossier.open_dossier(task)
    except NotFound:
        abort(404)

    def chunks() -> Iterator[bytes]:
        try:
            yield from iter(lambda: source.read(CHUNK), b"")
        finally:
            source.close()

    response = Response(stream_with_context(chunks()), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{task.result_filename or "dossier.zip"}"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if task.result_size_bytes is not None:
        response.headers["Content-Length"] = str(task.result_size_bytes)
    return response


# Organisations and programmes ------------------------------------------------------------------


@bp.get("/organisations/<int:organisation_id>/history")
@allow(FINANCE_READERS)
def organisation(organisation_id: int) -> str:
    page = _page_number()
    try:
        found = history.organisation_history(g.user, organisation_id, page)
    except NotFound:
        abort(404)
    pagination = _pagination(
        found,
        lambda number: url_for(
            "history.organisation", organisation_id=organisation_id, **_page_arg(number)
        ),
    )
    return _merged(found.name, found, pagination, None, None)


@bp.get("/programmes/<int:programme_id>/history")
@allow(FINANCE_READERS)
def programme(programme_id: int) -> tuple[str, int]:
    page = _page_number()
    form = AsAtFilterForm(formdata=request.args)
    # An empty date is no date: the whole history.
    given = any(value.strip() for value in request.args.getlist("as_at"))
    if not given or form.validate():
        as_at = form.as_at.data if given else None
        try:
            found = history.programme_history(g.user, programme_id, page, as_at)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error, default_field="as_at")
        else:
            kept = {"as_at": as_at.isoformat()} if as_at else {}
            pagination = _pagination(
                found,
                lambda number: url_for(
                    "history.programme", programme_id=programme_id, **kept, **_page_arg(number)
                ),
            )
            return _merged(found.name, found, pagination, form, programme_id), 200
    return _merged(_programme_name(programme_id), None, None, form, programme_id), 400


def _merged(
    name: str,
    found: history.HistoryPage | None,
    pagination: dict[str, Any] | None,
    form: AsAtFilterForm | None,
    programme_id: int | None,
) -> str:
    # Only a page with a form passes it as ``form``: the page title marks its errors.
    extra = {"form": form} if form is not None else {}
    return render_template(
        "history/merged.html",
        name=name,
        found=found,
        heading="Programme history" if programme_id else "Organisation history",
        pagination=pagination,
        as_at_form=form,
        programme_id=programme_id,
        **extra,
    )


def _programme_name(programme_id: int) -> str:
    try:
        return history.programme_name(g.user, programme_id)
    except NotFound:
        abort(404)


@bp.get("/programmes/<int:programme_id>/as-at")
@allow(FINANCE_READERS)
def programme_as_at(programme_id: int) -> tuple[str, int]:
    form = AsAtForm(formdata=request.args)
    if not any(value.strip() for value in request.args.getlist("date")):
        # Asked with no date yet: the form alone, not an error.
        name = _programme_name(programme_id)
        return render_template(
            "history/as_at.html", found=None, name=name, form=AsAtForm(formdata=None),
            programme_id=programme_id,
        ), 200  # fmt: skip
    if form.validate():
        try:
            found = history.programme_as_at(g.user, programme_id, form.date.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error, default_field="date")
        else:
            return render_template(
                "history/as_at.html", found=found, name=found.programme.name, form=form,
                programme_id=programme_id,
            ), 200  # fmt: skip
    name = _programme_name(programme_id)
    return render_template(
        "history/as_at.html", found=None, name=name, form=form, programme_id=programme_id
    ), 400


# Paging ----------------------------------------------------------------------------------------


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1:
        abort(404)
    return int(raw)


def _page_arg(number: int) -> dict[str, int]:
    return {"page": number} if number > 1 else {}


def _pagination(found: history.HistoryPage, url: Callable[[int], str]) -> dict[str, Any] | None:
    return pagination(found.page, found.pages, url, "Pages of the history")
