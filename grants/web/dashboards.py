"""The dashboard each user lands on: one per organisation, one per staff role."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from grants.policy import ANY_STAFF, COMMUNITY_USER, SIGNED_IN, allow
from grants.services import dashboards
from grants.services.errors import NotFound

bp = Blueprint("dashboards", __name__)


@bp.get("/dashboard")
@allow(SIGNED_IN)
def dashboard() -> str | Response:
    if g.user.is_staff:
        return redirect(url_for("dashboards.staff_dashboard"))
    organisations = dashboards.organisations_of(g.user)
    if len(organisations) == 1:
        return redirect(
            url_for("dashboards.organisation_dashboard", organisation_id=organisations[0].id)
        )
    return render_template("dashboards/choose_organisation.html", organisations=organisations)


@bp.get("/organisations/<int:organisation_id>")
@allow(COMMUNITY_USER)
def organisation_dashboard(organisation_id: int) -> str:
    try:
        dashboard = dashboards.organisation_dashboard(g.user, organisation_id)
    except NotFound:
        abort(404)
    return render_template("dashboards/organisation.html", dashboard=dashboard)


@bp.get("/staff")
@allow(ANY_STAFF)
def staff_dashboard() -> str:
    dashboard = dashboards.staff_dashboard(g.user)
    return render_template(f"dashboards/staff_{dashboard.role.value}.html", dashboard=dashboard)
