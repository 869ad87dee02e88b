"""Staff views of programmes and applications."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from grants.policy import ANY_STAFF, allow
from grants.services import applications, programmes
from grants.services.errors import NotFound

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
    try:
        found = applications.application_for(g.user, application_id)
    except NotFound:
        abort(404)
    return render_template("applications/summary.html", application=found, staff_view=True)
