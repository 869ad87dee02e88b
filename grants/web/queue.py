"""A round's application queue for staff, and assigning assessors from it.

Filters, search, sorting and the page number are in the query string, so a filtered list has
its own URL and works without JavaScript. Pages hold 50 applications; a page past the end
shows the last page, and a page number that is not a whole number from 1 up is a 404. A filter
value the page does not offer is a 400 with the error summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from forms.queue import AssignForm, QueueFilterForm
from grants.policy import ANY_STAFF, allow
from grants.services import queue
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import pagination, show_error

bp = Blueprint("queue", __name__, url_prefix="/staff")

ASSIGNED = "assigned"


@bp.get("/rounds/<int:round_id>/applications")
@allow(ANY_STAFF)
def applications(round_id: int) -> tuple[str, int]:
    return _queue(_options(round_id), None)


@bp.post("/rounds/<int:round_id>/applications")
@allow(queue.ASSIGNERS)
def assign(round_id: int) -> Response | tuple[str, int]:
    options = _options(round_id)
    form = AssignForm(prefix="assign")
    form.offer(options.assessor_choices())
    if form.validate_on_submit():
        try:
            result = queue.assign_assessor(
                g.user, round_id, form.applications.data, form.assessor_id()
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(result.message, ASSIGNED)
            # Back to the same filters and page, read from the query string as the page does.
            page = request.args.get("page", "")
            return redirect(_queue_url(round_id)(page=int(page) if _whole(page) else None))
    html, _ = _queue(options, form)
    return html, 400


def _queue(options: queue.QueueOptions, assign_form: AssignForm | None) -> tuple[str, int]:
    """The page, and 400 when a filter (or the assignment) has an error."""
    page_number = _page_number()
    filters_form = QueueFilterForm(formdata=request.args)
    filters_form.offer(options.choices(), queue.DEFAULT_SORT)
    can_assign = queue.ASSIGNERS.allows(g.user)
    if can_assign and assign_form is None:
        assign_form = AssignForm(prefix="assign", formdata=None)
        assign_form.offer(options.assessor_choices())
    context: dict[str, Any] = {
        "options": options,
        "filters_form": filters_form,
        "assign_form": assign_form if can_assign else None,
        "notices": get_flashed_messages(category_filter=[ASSIGNED]),
        "queue_url": _queue_url(options.round.id),
    }
    if filters_form.validate():
        try:
            result = queue.queue_page(g.user, options, _filters(filters_form), page_number)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(filters_form, error)
        else:
            if assign_form is not None and assign_form.errors:
                context["form"] = assign_form  # the layout's error summary shows this form's
            context["pagination"] = _pagination(result, context["queue_url"])
            return render_template("queue/applications.html", result=result, **context), 200
    return render_template(
        "queue/applications.html", result=None, form=filters_form, **context
    ), 400


def _options(round_id: int) -> queue.QueueOptions:
    try:
        return queue.queue_options(round_id)
    except NotFound:
        abort(404)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not _whole(raw) or int(raw) < 1:
        abort(404)
    return int(raw)


def _whole(text: str) -> bool:
    # ASCII only: "²" is a digit to str.isdigit but not to int().
    return text.isascii() and text.isdigit() and len(text) <= 9


def _filters(form: QueueFilterForm) -> queue.QueueFilters:
    return queue.QueueFilters(
        in_status=form.status.data or None,
        priority=form.priority.data or None,
        place=form.place.data or None,
        assessor=form.assessor.data or None,
        band=form.band.data or None,
        search=form.q.data or "",
        sort=form.sort.data or queue.DEFAULT_SORT,
    )


FILTER_NAMES = ("q", "status", "priority", "place", "assessor", "band", "sort")


def _queue_url(round_id: int) -> Callable[..., str]:
    """Builds links to this queue that keep the filters in use, with some changed (a None
    removes one). Any change of filter starts again at page 1."""
    kept = {name: request.args[name] for name in FILTER_NAMES if request.args.get(name)}

    def build(page: int | None = None, **changes: str | None) -> str:
        args: dict[str, Any] = {**kept, **changes}
        if page is not None and page > 1:
            args["page"] = page
        return url_for(
            "queue.applications",
            round_id=round_id,
            **{name: value for name, value in args.items() if value},
        )

    return build


def _pagination(result: queue.QueuePage, queue_url: Callable[..., str]) -> dict[str, Any] | None:
    return pagination(
        result.page, result.pages, lambda n: queue_url(page=n), "Pages of applications"
    )
