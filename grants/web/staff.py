"""Staff views of programmes and applications."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.moves import MoveForm
from grants.policy import ANY_STAFF, allow
from grants.services import applications, apply, moves, programmes
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/programmes")
@allow(ANY_STAFF)
def programme_list() -> str:
    return render_template("staff/programmes.html", programmes=programmes.all_programmes())


@bp.get("/programmes/<int:programme_id>")
@allow(ANY_STAFF)
def programme(programme_id: int) -> str:
    try:
        found = programmes.programme_for_staff(programme_id)
    except NotFound:
        abort(404)
    return render_template("staff/programme.html", programme=found)


@bp.get("/applications/<int:application_id>")
@allow(ANY_STAFF)
def application(application_id: int) -> str:
    return _application_page(application_id, None)


@bp.post("/applications/<int:application_id>/moves/<trigger>")
@allow(ANY_STAFF)
def move(application_id: int, trigger: str) -> str | Response | tuple[str, int]:
    form = MoveForm(prefix=trigger)
    if form.validate_on_submit():
        amount = getattr(form.amount, "pence", None) if form.amount.data else None
        try:
            moves.move_application(
                g.user,
                application_id,
                trigger,
                form.expected_version(),
                form.reason.data,
                amount,
                form.exemption.data,
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            # Point the error at what this move's form shows: its amount, its reason, or
            # (for a move with no inputs) its button.
            shown = "amount" if form.amount.raw_data else "reason" if form.reason.raw_data else None
            form.error_anchor = f"#{trigger}-{shown}" if shown else f"#{trigger}-button"  # type: ignore[attr-defined]
        else:
            return redirect(url_for("staff.application", application_id=application_id))
    return _application_page(application_id, form), 400


def _application_page(application_id: int, failed: MoveForm | None) -> str:
    """The application with a button (and any inputs) for each move this user may make.
    After a refused move, that move's form keeps what was typed and shows why."""
    try:
        found = applications.application_for(g.user, application_id)
    except NotFound:
        abort(404)
    options = moves.options(g.user, found)
    forms = {}
    for option in options:
        move_form = (
            failed if failed is not None and failed._prefix == f"{option.trigger}-" else None
        )
        forms[option.trigger] = move_form or MoveForm(prefix=option.trigger, formdata=None)
        # Every form carries the version on screen now, so a retry is judged against it.
        forms[option.trigger].version.data = str(found.version)
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "applications/summary.html",
        application=found,
        staff_view=True,
        sections=apply.sections_for(found),
        can_respond=False,
        **apply.answer_labels(found),
        moves=options,
        move_forms=forms,
        **context,
    )
