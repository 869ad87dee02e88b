"""The programme dashboard: per programme and financial year, the money, the returns and the
outputs, as charts with their figures beside them.

The year is in the query string (``?year=2025`` for 2025/26), so each year has its own URL and
the year selector works without JavaScript. No year means the current financial year; a year
that is not a plausible year is a 400 with the error summary and no figures; a year the
programme has nothing in shows zeroes and says so.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from grants.policy import ANY_STAFF, allow
from grants.services import programme_dashboard
from grants.services.errors import NotFound, ServiceError

bp = Blueprint("programme_dashboard", __name__, url_prefix="/staff")


@bp.get("/programmes/<int:programme_id>/dashboard")
@allow(ANY_STAFF)
def dashboard(programme_id: int) -> tuple[str, int]:
    try:
        chosen = programme_dashboard.programme_years(g.user, programme_id)
    except NotFound:
        abort(404)
    try:
        year = programme_dashboard.parse_year(request.args.get("year"), chosen.current_year)
    except ServiceError as error:
        return (
            render_template(
                "programme_dashboard/dashboard.html",
                chosen=chosen,
                options=chosen.options(None),
                figures=None,
                error=error.message,
            ),
            400,
        )
    figures = programme_dashboard.dashboard(g.user, chosen, year)
    return (
        render_template(
            "programme_dashboard/dashboard.html",
            chosen=chosen,
            options=chosen.options(year),
            figures=figures,
            error=None,
        ),
        200,
    )
