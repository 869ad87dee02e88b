"""Staff views of programmes and applications."""

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

from forms.decisions import ApproveForm, approve_form
from forms.moves import MoveForm
from grants.policy import ANY_STAFF, MANAGING_STAFF, allow
from grants.services import applications, apply, awarding, moves, programmes
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("staff", __name__, url_prefix="/staff")
APPROVED = "approved"


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
    context["may_approve"] = moves.may_approve(g.user, found)
    context["award"] = awarding.award_of(found)
    context["notices"] = get_flashed_messages(category_filter=[APPROVED])
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


@bp.route("/applications/<int:application_id>/approve", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def approve(application_id: int) -> str | Response | tuple[str, int]:
    """Approve the application and set the terms of the offer it makes."""
    try:
        found = awarding.approvable(g.user, application_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        return render_template("staff/approve_refused.html", message=error.message), 409
    defaults = awarding.default_terms(found)
    years = sorted(defaults.years)
    conditions = awarding.STANDARD_CONDITIONS
    if request.method == "GET":
        form = approve_form(years, conditions, formdata=None, data=_form_data(defaults))
        form.version.data = str(found.version)
        return _approve_page(found, form, defaults)
    form = approve_form(years, conditions)
    if form.validate_on_submit():
        terms = _terms(form, defaults, years)
        if terms is not None:
            try:
                award = awarding.approve_and_offer(
                    g.user,
                    application_id,
                    terms,
                    form.expected_version(),
                    reason=form.reason.data,
                    exemption=form.exemption.data,
                )
            except ServiceError as error:
                field = error.field
                if field == "years":
                    field = f"year_{years[0]}" if len(years) > 1 else "amount"
                show_error(form, ServiceError(error.message, field=field))
            else:
                flash(f"Approved. Offer {award.reference} made", APPROVED)
                return redirect(url_for("staff.application", application_id=application_id))
    return _approve_page(found, form, defaults), 400


def _form_data(terms: awarding.OfferTerms) -> dict[str, object]:
    data: dict[str, object] = {
        "amount": _pounds_text(terms.amount_pence),
        "payment_timing": terms.payment_timing,
        "instalments": str(terms.instalments),
        "reporting": terms.reporting,
        "pre_payment_conditions": list(terms.pre_payment_conditions),
        "offer_expires_on": terms.offer_expires_on,
    }
    data.update({f"year_{year}": _pounds_text(pence) for year, pence in terms.years.items()})
    return data


def _pounds_text(pence: int) -> str:
    return f"{pence // 100:,}" if pence % 100 == 0 else f"{pence / 100:,.2f}"


def _terms(
    form: ApproveForm, defaults: awarding.OfferTerms, years: list[int]
) -> awarding.OfferTerms | None:
    amount = form.amount.pence  # type: ignore[attr-defined]
    by_year = form.year_pence(years) if len(years) > 1 else {years[0]: amount}
    if by_year is None:
        return None
    return awarding.OfferTerms(
        amount_pence=amount,
        years=by_year,
        starts_on=defaults.starts_on,
        ends_on=defaults.ends_on,
        payment_timing=form.payment_timing.data,
        instalments=int(form.instalments.data),
        reporting=form.reporting.data,
        pre_payment_conditions=tuple(form.pre_payment_conditions.data or ()),
        other_conditions=tuple(form.other_condition_lines()),
        offer_expires_on=form.offer_expires_on.data,
    )


def _approve_page(application: object, form: ApproveForm, defaults: awarding.OfferTerms) -> str:
    return render_template(
        "staff/approve.html",
        application=application,
        form=form,
        defaults=defaults,
        year_fields=[field for field in form if field.name.startswith("year_")],
    )
