"""Staff pages for monitoring returns across every award: what is due, overdue, submitted or
returned, and the review of each."""

from __future__ import annotations

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

from forms.monitoring import REVIEW_FORMS, ProgrammeFilterForm, VersionedForm
from grants.policy import ANY_STAFF, allow
from grants.services import monitoring
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("monitoring", __name__, url_prefix="/staff")

REVIEWED = "return-reviewed"
DONE = {
    "accept": "Return accepted",
    "send_back": "Return sent back to the organisation with your comments",
    "waive": "Return waived",
}


@bp.get("/monitoring")
@allow(ANY_STAFF)
def overview() -> tuple[str, int]:
    filters = ProgrammeFilterForm(formdata=request.args)
    filters.offer(monitoring.programme_choices())
    if not filters.validate():
        return render_template(
            "monitoring/overview.html", filters=filters, result=None, form=filters
        ), 400
    result = monitoring.overview(g.user, filters.programme_id())
    return render_template("monitoring/overview.html", filters=filters, result=result), 200


@bp.get("/returns/<int:return_id>")
@allow(ANY_STAFF)
def review(return_id: int) -> str:
    return _review_page(return_id, None)


@bp.post("/returns/<int:return_id>/<trigger>")
@allow(monitoring.REVIEWERS)
def move(return_id: int, trigger: str) -> Response | tuple[str, int]:
    form_class = REVIEW_FORMS.get(trigger)
    if form_class is None:
        abort(404)
    form = form_class(prefix=trigger)
    if form.validate_on_submit():
        reason = form.reason.data if hasattr(form, "reason") else None
        try:
            monitoring.move_return(g.user, return_id, trigger, form.expected_version(), reason)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            shown = "reason" if hasattr(form, "reason") else "button"
            form.error_anchor = f"#{trigger}-{shown}"  # type: ignore[attr-defined]
        else:
            flash(DONE[trigger], REVIEWED)
            return redirect(url_for("monitoring.review", return_id=return_id))
    return _review_page(return_id, form), 400


def _review_page(return_id: int, failed: VersionedForm | None) -> str:
    """The return as sent, with a form for each move this user may make. After a refused move
    that move's form keeps what was typed and the error summary says why."""
    try:
        found = monitoring.review(g.user, return_id)
    except NotFound:
        abort(404)
    forms: dict[str, VersionedForm] = {}
    may_act = monitoring.REVIEWERS.allows(g.user)
    for trigger in found.moves if may_act else []:
        kept = failed if failed is not None and failed._prefix == f"{trigger}-" else None
        forms[trigger] = kept or REVIEW_FORMS[trigger](prefix=trigger, formdata=None)
        # The version on screen now, so a retry is judged against what the reviewer sees.
        forms[trigger].version.data = str(found.monitoring_return.version)
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "monitoring/review.html",
        review=found,
        details=found.details,
        move_forms=forms,
        notices=get_flashed_messages(category_filter=[REVIEWED]),
        **context,
    )
