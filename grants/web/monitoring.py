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
    url_for,
)
from werkzeug.wrappers import Response

from forms.monitoring import REVIEW_FORMS, VersionedForm
from grants.policy import ANY_STAFF, allow
from grants.services import monitoring
from grants.services.errors import NotFound
from grants.web.staff_forms import filtered_page, move_forms, move_made

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
    return filtered_page("monitoring/overview.html", monitoring.overview)


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
    if form.validate_on_submit() and move_made(
        form,
        trigger,
        lambda reason: monitoring.move_return(
            g.user, return_id, trigger, form.expected_version(), reason
        ),
    ):
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
    moves = found.moves if monitoring.REVIEWERS.allows(g.user) else []
    forms = move_forms(moves, REVIEW_FORMS, failed, found.monitoring_return.version)
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "monitoring/review.html",
        review=found,
        details=found.details,
        move_forms=forms,
        notices=get_flashed_messages(category_filter=[REVIEWED]),
        **context,
    )
