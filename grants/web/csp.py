"""Community Safety Partnership funding: allocations per CSP and financial year, plans and
releases, underspend warnings and decisions, and a page per CSP for the Police and Crime Panel.

The financial year is in the query string (``?year=2026`` for 2026/27), as on the programme
dashboard. A programme, organisation or return that exists but is not CSP funding sends a GET
back to the CSP overview and makes a POST a 404: nothing of it is shown either way."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from forms.csp import (
    ConfirmForm,
    DecisionForm,
    ForecastForm,
    InviteForm,
    ThresholdForm,
    method_form,
)
from grants.policy import ANY_STAFF, MANAGING_STAFF, allow
from grants.services import csp
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("csp", __name__, url_prefix="/staff/csp")

Page = str | tuple[str, int] | Response


@bp.get("")
@allow(ANY_STAFF)
def index() -> str:
    return render_template(
        "csp/index.html",
        programmes=csp.overview(g.user),
        waiting=csp.underspends_waiting(g.user),
        plan_rounds=csp.plan_rounds(g.user),
        partnerships=csp.partnerships(),
        can_set_threshold=MANAGING_STAFF.allows(g.user),
    )


def _render_threshold(programme, form: ThresholdForm, status: int = 200) -> Page:  # type: ignore[no-untyped-def]
    return render_template("csp/threshold.html", programme=programme, form=form), status


@bp.route("/<int:programme_id>/underspend-threshold", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def threshold(programme_id: int) -> Page:
    try:
        programme = csp.threshold_programme(g.user, programme_id)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        if request.method == "POST":
            abort(404)
        return redirect(url_for("csp.index"))
    form = ThresholdForm()
    if request.method == "GET":
        form.threshold.data = f"{programme.underspend_threshold_pence // 100:,}"
        return _render_threshold(programme, form)
    if not form.validate_on_submit():
        return _render_threshold(programme, form, 400)
    try:
        csp.set_underspend_threshold(g.user, programme_id, form.threshold.pence)  # type: ignore[attr-defined]
    except ServiceError as error:
        show_error(form, error, default_field="threshold")
        return _render_threshold(programme, form, 400)
    flash(f"Underspend threshold for {programme.name} saved.")
    return redirect(url_for("csp.index", _anchor="thresholds"))


def _year() -> int:
    try:
        return csp.parse_year(request.args.get("year"))
    except ServiceError:
        abort(400)


def _method_form(page: csp.AllocationsPage, formdata: object = None):  # type: ignore[no-untyped-def]
    names = [(row.organisation.id, row.organisation.name) for row in page.rows]
    form = method_form(names, formdata=formdata) if formdata is not None else method_form(names)
    if formdata is None:
        _fill_method_form(form, page)
    return form


def _fill_method_form(form, page: csp.AllocationsPage) -> None:  # type: ignore[no-untyped-def]
    """Start from the method and inputs recorded last, so a change is an edit of them."""
    basis = page.basis
    if basis is not None:
        form.method.data = basis.method.value
        if basis.flat_amount_pence is not None:
            form.flat_amount.data = f"{basis.flat_amount_pence / 100:.2f}"
        if basis.pot_pence is not None:
            form.pot.data = f"{basis.pot_pence / 100:.2f}"
        if basis.population_weight is not None:
            form.population_weight.data = str(basis.population_weight)
            form.crime_weight.data = str(basis.crime_weight)
    elif page.budget_pence is not None:
        form.pot.data = f"{page.budget_pence / 100:.2f}"
    for row in page.rows:
        if row.allocation is not None:
            if row.allocation.population is not None:
                form.population_field(row.organisation.id).data = str(row.allocation.population)
            if row.allocation.recorded_crime is not None:
                form.crime_field(row.organisation.id).data = str(row.allocation.recorded_crime)


def _allocations(programme_id: int, year: int) -> csp.AllocationsPage:
    try:
        return csp.allocations_page(g.user, programme_id, year)
    except NotFound:
        abort(404)


def _render_allocations(page: csp.AllocationsPage, form, confirm_form, status: int = 200) -> Page:  # type: ignore[no-untyped-def]
    return (
        render_template(
            "csp/allocations.html",
            page=page,
            form=form,
            confirm_form=confirm_form,
            describe=csp.describe,
        ),
        status,
    )


@bp.get("/<int:programme_id>/allocations")
@allow(ANY_STAFF)
def allocations(programme_id: int) -> Page:
    year = _year()
    try:
        page = csp.allocations_page(g.user, programme_id, year)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        return redirect(url_for("csp.index"))
    return _render_allocations(page, _method_form(page), ConfirmForm())


@bp.post("/<int:programme_id>/allocations")
@allow(MANAGING_STAFF)
def set_method(programme_id: int) -> Page:
    year = _year()
    try:
        page = csp.allocations_page(g.user, programme_id, year)
    except (NotFound, csp.NotCsp):
        abort(404)
    form = _method_form(page, formdata=request.form)
    if not form.validate():
        return _render_allocations(page, form, ConfirmForm(), 400)
    if form.method.data == "flat":
        choice = csp.MethodChoice(csp.FLAT, flat_pence=form.flat_amount.pence)
    else:
        choice = csp.MethodChoice(
            csp.FORMULA,
            pot_pence=form.pot.pence,
            population_weight=form.population_weight.number,
            crime_weight=form.crime_weight.number,
            inputs=form.inputs(),
        )
    try:
        csp.set_method(g.user, programme_id, year, choice)
    except ServiceError as error:
        show_error(form, error, default_field="method")
        return _render_allocations(page, form, ConfirmForm(), 400)
    flash("Allocations worked out. Check them, then confirm them.")
    return redirect(url_for("csp.allocations", programme_id=programme_id, year=year))


@bp.post("/<int:programme_id>/allocations/confirm")
@allow(MANAGING_STAFF)
def confirm(programme_id: int) -> Page:
    year = _year()
    try:
        page = csp.allocations_page(g.user, programme_id, year)
    except (NotFound, csp.NotCsp):
        abort(404)
    confirm_form = ConfirmForm()
    if not confirm_form.validate_on_submit():
        return _render_allocations(page, _method_form(page), confirm_form, 400)
    try:
        csp.confirm_allocations(g.user, programme_id, year)
    except ServiceError as error:
        show_error(confirm_form, error)
        return _render_allocations(page, _method_form(page), confirm_form, 400)
    flash("Allocations confirmed and recorded in the ledger.")
    return redirect(url_for("csp.allocations", programme_id=programme_id, year=year))


def _render_forecast(page: csp.ForecastPage, form: ForecastForm, status: int = 200) -> Page:
    return render_template("csp/forecast.html", page=page, form=form), status


@bp.route("/returns/<int:return_id>/forecast", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def forecast(return_id: int) -> Page:
    try:
        page = csp.forecast_page(g.user, return_id)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        if request.method == "POST":
            abort(404)
        return redirect(url_for("csp.index"))
    form = ForecastForm()
    if request.method == "GET":
        if page.forecast is not None:
            form.rest_of_year.data = f"{page.forecast.rest_of_year_pence / 100:.2f}"
            form.note.data = page.forecast.note
        return _render_forecast(page, form)
    if not form.validate_on_submit():
        return _render_forecast(page, form, 400)
    try:
        flag = csp.record_forecast(g.user, return_id, form.pence(), form.note.data or "")
    except ServiceError as error:
        show_error(form, error, default_field="rest_of_year")
        return _render_forecast(page, form, 400)
    organisation_id = page.award.organisation_id
    if flag is not None:
        flash("Forecast saved. The partnership is flagged for underspend: record a decision.")
        return redirect(url_for("csp.underspend", organisation_id=organisation_id))
    flash("Forecast saved.")
    return redirect(url_for("csp.partnership", organisation_id=organisation_id))


def _render_decision(organisation, flag, form: DecisionForm, status: int = 200) -> Page:  # type: ignore[no-untyped-def]
    return (
        render_template(
            "csp/underspend.html",
            organisation=organisation,
            flag=flag,
            form=form,
            history=csp.underspends_of(g.user, organisation.id),
            decision_label=csp.decision_label,
        ),
        status,
    )


@bp.route("/partnerships/<int:organisation_id>/underspend", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def underspend(organisation_id: int) -> Page:
    try:
        organisation = csp.partnership(g.user, organisation_id)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        if request.method == "POST":
            abort(404)
        return redirect(url_for("csp.index"))
    flag = csp.waiting_underspend(g.user, organisation_id)
    form = DecisionForm()
    if request.method == "GET":
        if flag is not None:
            form.version.data = str(flag.version)
            form.amount.data = f"{flag.forecast_unspent_pence / 100:.2f}"
        return _render_decision(organisation, flag, form)
    if flag is None:
        abort(404)
    if not form.validate_on_submit():
        return _render_decision(organisation, flag, form, 400)
    try:
        csp.decide_underspend(
            g.user,
            organisation_id,
            form.decision.data,
            form.pence(),
            form.reason.data or "",
            form.expected_version(),
        )
    except ServiceError as error:
        show_error(form, error, default_field="amount")
        return _render_decision(organisation, flag, form, 400)
    flash("Decision recorded in the ledger.")
    return redirect(url_for("csp.partnership", organisation_id=organisation_id))


@bp.get("/partnerships/<int:organisation_id>")
@allow(ANY_STAFF)
def partnership(organisation_id: int) -> Page:
    try:
        page = csp.panel_page(g.user, organisation_id)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        return redirect(url_for("csp.index"))
    return render_template("csp/partnership.html", page=page, decision_label=csp.decision_label)


def _render_invitations(page: csp.InvitationsPage, form: InviteForm, status: int = 200) -> Page:
    return (
        render_template(
            "csp/invitations.html",
            page=page,
            form=form,
            can_invite=MANAGING_STAFF.allows(g.user),
        ),
        status,
    )


@bp.get("/rounds/<int:round_id>/invitations")
@allow(ANY_STAFF)
def invitations(round_id: int) -> Page:
    try:
        page = csp.invitations_page(g.user, round_id)
    except NotFound:
        abort(404)
    except csp.NotCsp:
        return redirect(url_for("csp.index"))
    return _render_invitations(page, InviteForm())


@bp.post("/rounds/<int:round_id>/invitations")
@allow(MANAGING_STAFF)
def invite(round_id: int) -> Page:
    try:
        page = csp.invitations_page(g.user, round_id)
    except (NotFound, csp.NotCsp):
        abort(404)
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_invitations(page, form, 400)
    try:
        invited = csp.invite_partnerships(g.user, round_id)
    except ServiceError as error:
        show_error(form, error)
        return _render_invitations(page, form, 400)
    flash(
        f"{len(invited)} {'partnership' if len(invited) == 1 else 'partnerships'} invited and "
        "emailed."
    )
    return redirect(url_for("csp.invitations", round_id=round_id))
