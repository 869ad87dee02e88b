"""Setting up rounds: create a round on a programme, add its scoring criteria, publish it."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forms.rounds import CriterionForm, FormItemsForm, RoundForm, london_moment
from grants.filters import financial_year
from grants.policy import ANY_STAFF, COMMISSIONING_OFFICER, allow
from grants.services import rounds
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("rounds", __name__, url_prefix="/staff")
Page = str | Response | tuple[str, int]


def _page(template: str, form: FlaskForm | None, **context: object) -> Page:
    page = render_template(template, form=form, **context)
    return (page, 400) if form is not None and (form.errors or form.form_errors) else page


def _round_or_404(round_id: int):  # type: ignore[no-untyped-def]
    try:
        return rounds.round_for_staff(round_id)
    except NotFound:
        abort(404)


@bp.route("/programmes/<int:programme_id>/rounds/new", methods=["GET", "POST"])
@allow(COMMISSIONING_OFFICER)
def new_round(programme_id: int) -> Page:
    try:
        programme = rounds.programme_for_rounds(programme_id)
    except NotFound:
        abort(404)
    form = RoundForm()
    this_year = rounds.current_financial_year()
    form.financial_year.choices = [
        SelectChoice(year, financial_year(year)) for year in range(this_year, this_year + 3)
    ]
    if form.validate_on_submit():
        details = rounds.RoundDetails(
            name=form.name.data.strip(),
            reference_prefix=form.reference_prefix.data.strip(),
            financial_year=form.financial_year.data,
            opens_at=london_moment(form.opens_on.data, form.opens_time.data),
            closes_at=london_moment(form.closes_on.data, form.closes_time.data),
            budget_pence=form.budget.pence,  # type: ignore[attr-defined]
            min_award_pence=form.min_award.pence,  # type: ignore[attr-defined]
            max_award_pence=form.max_award.pence,  # type: ignore[attr-defined]
            short_form_threshold_pence=form.short_form_threshold.pence,  # type: ignore[attr-defined]
            funding_threshold_percent=(
                int(form.funding_threshold_percent.data)
                if form.funding_threshold_percent.data
                else None
            ),
            approval_limit_pence=getattr(form.approval_limit, "pence", None)
            if form.approval_limit.data
            else None,
            who_can_apply=(form.who_can_apply.data or "").strip(),
        )
        try:
            created = rounds.create_round(g.user, programme.id, details)
        except ServiceError as error:
            show_error(form, error)
        else:
            return redirect(url_for("rounds.show", round_id=created.id))
    return _page("rounds/new.html", form, programme=programme)


@bp.get("/rounds/<int:round_id>")
@allow(ANY_STAFF)
def show(round_id: int) -> Page:
    round_ = _round_or_404(round_id)
    return render_template(
        "rounds/show.html",
        round=round_,
        problems=rounds.problems_before_publishing(round_),
        form_items=rounds.form_items(round_),
        form=None,
        can_edit=g.user.staff_role.value == "commissioning_officer",
    )


@bp.route("/rounds/<int:round_id>/criteria/new", methods=["GET", "POST"])
@allow(COMMISSIONING_OFFICER)
def add_criterion(round_id: int) -> Page:
    round_ = _round_or_404(round_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            rounds.add_criterion(
                g.user,
                round_.id,
                form.name.data,
                form.guidance.data or "",
                int(form.weight.data),
                form.max_score.data,
            )
        except ServiceError as error:
            show_error(form, error, "name")
        else:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return _page("rounds/criterion.html", form, round=round_)


@bp.post("/rounds/<int:round_id>/criteria/<int:criterion_id>/remove")
@allow(COMMISSIONING_OFFICER)
def remove_criterion(round_id: int, criterion_id: int) -> Page:
    _round_or_404(round_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        rounds.remove_criterion(g.user, round_id, criterion_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        return _refused(round_id, error)
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.route("/rounds/<int:round_id>/form", methods=["GET", "POST"])
@allow(COMMISSIONING_OFFICER)
def form_items(round_id: int) -> Page:
    """Which of the form's optional questions and documents the round asks for."""
    round_ = _round_or_404(round_id)
    items = rounds.form_items(round_)
    form = FormItemsForm()
    form.asked.choices = [
        SelectChoice(
            item.key,
            f"{item.kind}: {item.label}" + (" (full form only)" if item.full_form_only else ""),
        )
        for item in items
    ]
    if request.method == "GET":
        form.asked.data = [item.key for item in items if item.asked]
    elif form.validate_on_submit():
        try:
            rounds.set_form_items(g.user, round_.id, form.asked.data or [])
        except ServiceError as error:
            show_error(form, error, "asked")
        else:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return _page("rounds/form_items.html", form, round=round_, items=items)


@bp.post("/rounds/<int:round_id>/publish")
@allow(COMMISSIONING_OFFICER)
def publish(round_id: int) -> Page:
    _round_or_404(round_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        rounds.publish(g.user, round_id)
    except ServiceError as error:
        return _refused(round_id, error)
    return redirect(url_for("rounds.show", round_id=round_id, published=1))


def _refused(round_id: int, error: ServiceError) -> Page:
    round_ = _round_or_404(round_id)
    form = FlaskForm()
    form.form_errors.append(error.message)
    form.error_anchor = "#publish-button"  # type: ignore[attr-defined]
    page = render_template(
        "rounds/show.html",
        round=round_,
        problems=rounds.problems_before_publishing(round_),
        form_items=rounds.form_items(round_),
        form=form,
        can_edit=True,
        published=request.args.get("published"),
    )
    return page, 400
