"""Staff pages for running an award once it is made: its terms, conditions, moves, ratings and
variations.

Any staff member can read them; commissioning officers and decision makers act (the engine
then checks each move's own roles). A refused action shows the page again with the GOV.UK
error summary and a 400, and changes nothing. The list's filters and page number are in the
query string, like the application queue's.
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
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from forms.award_management import (
    AwardFilterForm,
    AwardMoveForm,
    ConditionMetForm,
    RatingForm,
    VariationDecisionForm,
)
from grants.policy import ANY_STAFF, MANAGING_STAFF, allow
from grants.services import award_management as awards
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import pagination, show_error

bp = Blueprint("awards_staff", __name__, url_prefix="/staff")

DONE = "award-done"
Page = tuple[str, int]


# The list --------------------------------------------------------------------------------------


@bp.get("/awards")
@allow(ANY_STAFF)
def award_list() -> Page:
    page_number = _page_number()
    form = AwardFilterForm(formdata=request.args)
    form.offer(awards.programme_choices(), awards.status_choices())
    context: dict[str, Any] = {"filters_form": form, "list_url": _list_url()}
    if form.validate():
        try:
            result = awards.award_page(
                g.user, form.programme_id(), form.status.data or None, page_number
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            context["pagination"] = _pagination(result, context["list_url"])
            return render_template("awards_staff/list.html", result=result, **context), 200
    return render_template("awards_staff/list.html", result=None, form=form, **context), 400


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not _whole(raw) or int(raw) < 1:
        abort(404)
    return int(raw)


def _whole(text: str) -> bool:
    # ASCII only: "²" is a digit to str.isdigit but not to int().
    return text.isascii() and text.isdigit() and len(text) <= 9


def _list_url() -> Callable[..., str]:
    """Links to the list that keep the filters in use; any change of filter starts at page 1."""
    kept = {name: request.args[name] for name in ("programme", "status") if request.args.get(name)}

    def build(page: int | None = None) -> str:
        args: dict[str, Any] = dict(kept)
        if page is not None and page > 1:
            args["page"] = page
        return url_for("awards_staff.award_list", **args)

    return build


def _pagination(result: awards.AwardPage, list_url: Callable[..., str]) -> dict[str, Any] | None:
    return pagination(result.page, result.pages, lambda n: list_url(page=n), "Pages of awards")


# One award -------------------------------------------------------------------------------------


@bp.get("/awards/<int:award_id>")
@allow(ANY_STAFF)
def award(award_id: int) -> str:
    return _award_page(award_id)


@bp.post("/awards/<int:award_id>/conditions")
@allow(MANAGING_STAFF)
def condition_met(award_id: int) -> Response | Page:
    # Which condition is in the form, not the path: each condition's form on the page has its
    # own prefix, so its fields' ids stay unique.
    raw = request.form.get("condition", "")
    if not _whole(raw):
        abort(404)
    condition_id = int(raw)
    form = ConditionMetForm(prefix=f"condition-{condition_id}")
    if form.validate_on_submit():
        try:
            awards.mark_condition_met(g.user, award_id, condition_id, form.note.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error, "note")
        else:
            flash("The condition is recorded as met", DONE)
            return redirect(url_for("awards_staff.award", award_id=award_id))
    return _award_page(award_id, failed=form, failed_key=f"condition-{condition_id}"), 400


@bp.post("/awards/<int:award_id>/moves/<trigger>")
@allow(MANAGING_STAFF)
def move(award_id: int, trigger: str) -> Response | Page:
    form = AwardMoveForm(prefix=trigger)
    if form.validate_on_submit():
        try:
            moved = awards.move_award(
                g.user,
                award_id,
                trigger,
                form.expected_version(),
                form.reason.data,
                form.clawback_pence(),
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            # Point the error at what this move's form shows. The engine checks the reason
            # before its rules, so with a reason given the refusal is about the clawback.
            reason_given = bool((form.reason.data or "").strip())
            shown = (
                "clawback"
                if form.clawback.raw_data and reason_given
                else "reason"
                if form.reason.raw_data
                else None
            )
            form.error_anchor = f"#{trigger}-{shown}" if shown else f"#{trigger}-button"  # type: ignore[attr-defined]
        else:
            flash(f"The award is now {moved.status.value}", DONE)
            return redirect(url_for("awards_staff.award", award_id=award_id))
    return _award_page(award_id, failed=form, failed_key=trigger), 400


@bp.post("/awards/<int:award_id>/ratings")
@allow(MANAGING_STAFF)
def rate(award_id: int) -> Response | Page:
    form = RatingForm(prefix="rating")
    if form.validate_on_submit():
        try:
            awards.rate_award(
                g.user,
                award_id,
                form.expected_version(),
                {"delivery": form.delivery.data, "spend": form.spend.data, "risk": form.risk.data},
                form.comment.data,
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            form.error_anchor = "#rating-delivery"  # type: ignore[attr-defined]
        else:
            flash("The rating is recorded", DONE)
            return redirect(url_for("awards_staff.award", award_id=award_id) + "#ratings")
    return _award_page(award_id, failed=form, failed_key="rating"), 400


def _award_page(
    award_id: int, failed: FlaskForm | None = None, failed_key: str | None = None
) -> str:
    """The award with a form for each thing this user may do now. After a refusal, that form
    keeps what was typed and shows why; the others are drawn afresh."""
    try:
        detail = awards.award_detail(g.user, award_id)
    except NotFound:
        abort(404)
    version = str(detail.award.version)

    def fresh(form_class: type[FlaskForm], key: str) -> FlaskForm:
        form = failed if failed is not None and failed_key == key else None
        form = form or form_class(prefix=key, formdata=None)
        if hasattr(form, "version"):
            form.version.data = version  # a retry is judged against what is on screen now
        return form

    forms = {
        "moves": {m.trigger: fresh(AwardMoveForm, m.trigger) for m in detail.moves},
        "conditions": {
            c.id: fresh(ConditionMetForm, f"condition-{c.id}")
            for c in detail.before_payment
            if c.met_at is None
        },
        "rating": fresh(RatingForm, "rating") if detail.can_rate else None,
    }
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "awards_staff/award.html",
        detail=detail,
        award=detail.award,
        forms=forms,
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


# Variations ------------------------------------------------------------------------------------


@bp.get("/variations/<int:variation_id>")
@allow(ANY_STAFF)
def variation(variation_id: int) -> str:
    return _variation_page(variation_id, None)


@bp.post("/variations/<int:variation_id>")
@allow(MANAGING_STAFF)
def decide_variation(variation_id: int) -> Response | Page:
    form = VariationDecisionForm()
    if form.validate_on_submit():
        try:
            found = awards.decide_variation(
                g.user, variation_id, form.decision.data, form.reason.data, form.expected_version()
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error, "decision")
        else:
            flash(f"The change is {found.status.value}", DONE)
            return redirect(url_for("awards_staff.variation", variation_id=variation_id))
    return _variation_page(variation_id, form), 400


def _variation_page(variation_id: int, failed: VariationDecisionForm | None) -> str:
    try:
        detail = awards.variation_detail(g.user, variation_id)
    except NotFound:
        abort(404)
    decision_form = failed or VariationDecisionForm(formdata=None)
    decision_form.version.data = str(detail.variation.version)
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "awards_staff/variation.html",
        detail=detail,
        variation=detail.variation,
        award=detail.award,
        decision_form=decision_form if detail.can_decide else None,
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )
