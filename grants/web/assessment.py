"""Assessment pages for staff: declaring interests, the register of interests, due-diligence
checks, scoring, moderation, the ranked list and the recommendation. The decision itself is made
with the buttons on the application's page (staff.application).

Every application page answers any staff member (staff may see every application, and the
object-route sweep holds us to that): who may act is the service's and the engine's decision.
Someone who may not act sees the page without its form and why; if they post anyway, the
reason is the page's error."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from forms import assessment as forms
from grants.policy import ANY_STAFF, ASSESSING_STAFF, COMMISSIONING_OFFICER, allow
from grants.services import assessment
from grants.services.errors import NotFound
from grants.web.staff_forms import carried_out

bp = Blueprint("assessment", __name__, url_prefix="/staff")

Page = str | Response | tuple[str, int]

# Where a declaration made on the way to scoring or recommending goes next.
NEXT_PAGES = {"score": "assessment.score", "recommend": "assessment.recommend"}
CHECK_FIELDS = {"result": forms.result_field, "note": forms.note_field}
SCORE_FIELDS = {"score": forms.score_field, "justification": forms.justification_field}


def _page(template: str, form: FlaskForm | None = None, **context: Any) -> Page:
    if form is None:
        return render_template(template, **context)
    page = render_template(template, form=form, **context)
    if form.errors or form.form_errors:
        return page, 400
    return page


def _found(load: Any, *args: Any) -> Any:
    try:
        return load(g.user, *args)
    except NotFound:
        abort(404)


def _refused(message: str) -> FlaskForm:
    """The error summary of a page drawn without its form: it points at the page's reason."""
    form = FlaskForm(formdata=None)
    form.form_errors.append(message)
    form.error_anchor = "#refusal"  # type: ignore[attr-defined]
    return form


def _drawn_again(form: FlaskForm, refusal: str | None, version: int) -> FlaskForm:
    """The form of a page drawn again after a post that changed nothing. Whoever may not act
    sees no fields, so the error is why (the service's refusal, else the page's reason), not a
    field's message; anyone else gets back what they typed, with the version on screen now so
    a retry is judged against it."""
    if refusal:
        return _refused(form.form_errors[0] if form.form_errors else refusal)
    form.version.data = str(version)  # type: ignore[attr-defined]
    return form


@bp.app_template_global("assessment_summary")
def assessment_summary(application: Any) -> assessment.AssessmentSummary:
    """Where an application stands in assessment, for the staff application page."""
    return assessment.summary_for(g.user, application)


# Declarations of interest ------------------------------------------------------------------


def _saved_declaration(page: assessment.DeclarationPage) -> forms.DeclarationForm:
    mine = page.mine
    if mine is None:
        return forms.DeclarationForm(formdata=None)
    interested = mine.conflicted or bool(mine.details)
    return forms.DeclarationForm(
        formdata=None,
        data={
            "has_interest": forms.YES if interested else forms.NO,
            "details": mine.details,
            "conflicted": (forms.YES if mine.conflicted else forms.NO) if interested else None,
        },
    )


def _declaration(
    application_id: int,
    form: FlaskForm | None,
    next_page: str | None = None,
    reason: str | None = None,
) -> Page:
    page: assessment.DeclarationPage = _found(assessment.declaration_page, application_id)
    if page.locked:
        # The declaration stands; a refused change is explained by the page's reason.
        form = _refused(page.locked) if form is not None else None
    elif form is None:
        form = _saved_declaration(page)
    return _page(
        "assessment/interests.html",
        form,
        page=page,
        application=page.application,
        next_page=next_page if next_page in NEXT_PAGES else None,
        reason=reason,
    )


@bp.get("/applications/<int:application_id>/interests")
@allow(ANY_STAFF)
def interests(application_id: int) -> Page:
    return _declaration(application_id, None, request.args.get("next"))


@bp.post("/applications/<int:application_id>/interests")
@allow(ANY_STAFF)
def declare(application_id: int) -> Page:
    next_page = request.args.get("next")
    form = forms.DeclarationForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: assessment.declare_interest(
            g.user, application_id, form.interested, form.details.data, form.conflict()
        ),
    ):
        endpoint = NEXT_PAGES.get(next_page or "", "staff.application")
        return redirect(url_for(endpoint, application_id=application_id))
    return _declaration(application_id, form, next_page)


def _declare_first(application_id: int, next_page: str, doing: str) -> Page:
    """Someone who has not declared is shown the declaration, and comes back here after."""
    return _declaration(
        application_id,
        None,
        next_page,
        reason=f"Declare any interests in this application before you {doing}.",
    )


# The register of interests ------------------------------------------------------------------


def _register(form: forms.RegisterInterestForm) -> Page:
    form.set_organisations(assessment.organisation_choices(g.user))
    return _page(
        "assessment/register.html",
        form,
        rows=assessment.my_register(g.user),
        end_form=forms.EndInterestForm(formdata=None),
    )


@bp.get("/interests")
@allow(ANY_STAFF)
def register() -> Page:
    return _register(forms.RegisterInterestForm(formdata=None))


@bp.post("/interests")
@allow(ANY_STAFF)
def add_interest() -> Page:
    form = forms.RegisterInterestForm()
    form.set_organisations(assessment.organisation_choices(g.user))
    if form.validate_on_submit() and carried_out(
        form,
        lambda: assessment.register_interest(g.user, form.organisation_id, form.description.data),
    ):
        return redirect(url_for("assessment.register"))
    return _register(form)


@bp.post("/interests/end")
@allow(ANY_STAFF)
def end_interest() -> Response:
    form = forms.EndInterestForm()
    interest_id = form.interest_id() if form.validate_on_submit() else None
    if interest_id is None:
        abort(404)
    try:
        assessment.end_interest(g.user, interest_id)
    except NotFound:
        abort(404)
    return redirect(url_for("assessment.register"))


@bp.get("/interests/all")
@allow(COMMISSIONING_OFFICER)
def full_register() -> Page:
    return render_template("assessment/register_all.html", rows=assessment.full_register())


# Due-diligence checks ------------------------------------------------------------------------


def _saved_checks(page: assessment.ChecksPage) -> FlaskForm:
    data: dict[str, object] = {}
    for row in page.rows:
        if row.check is not None:
            data[forms.result_field(row.key)] = forms.PASSED if row.check.passed else forms.FAILED
            data[forms.note_field(row.key)] = row.check.note
    return forms.checks_form(assessment.CHECKS, None, data)


def _checks(page: assessment.ChecksPage, form: FlaskForm | None) -> Page:
    return _page(
        "assessment/checks.html",
        form,
        page=page,
        application=page.application,
        show_form=page.refusal is None,
        field_names=CHECK_FIELDS,
    )


@bp.get("/applications/<int:application_id>/checks")
@allow(ANY_STAFF)
def checks(application_id: int) -> Page:
    page: assessment.ChecksPage = _found(assessment.checks_page, application_id)
    return _checks(page, None if page.refusal else _saved_checks(page))


@bp.post("/applications/<int:application_id>/checks")
@allow(ANY_STAFF)
def record_checks(application_id: int) -> Page:
    page: assessment.ChecksPage = _found(assessment.checks_page, application_id)
    form = forms.checks_form(assessment.CHECKS, request.form)
    if form.validate_on_submit() and carried_out(
        form,
        lambda: assessment.record_checks(
            g.user, application_id, forms.check_results(form, assessment.CHECKS)
        ),
    ):
        return redirect(url_for("staff.application", application_id=application_id))
    if page.refusal:
        return _checks(page, _refused(page.refusal))
    return _checks(page, form)


# Scoring -----------------------------------------------------------------------------------


def _score_page(sheet: assessment.ScoringSheet, form: FlaskForm | None) -> Page:
    return _page(
        "assessment/score.html",
        form,
        sheet=sheet,
        application=sheet.application,
        show_form=sheet.refusal is None,
        field_names=SCORE_FIELDS,
    )


def _saved_scores(sheet: assessment.ScoringSheet) -> FlaskForm:
    data: dict[str, object] = {"version": str(sheet.application.version)}
    for criterion_id, score in sheet.mine.items():
        data[forms.score_field(criterion_id)] = str(score.score)
        data[forms.justification_field(criterion_id)] = score.justification
    return forms.score_form(sheet.criteria, None, data)


@bp.get("/applications/<int:application_id>/score")
@allow(ANY_STAFF)
def score(application_id: int) -> Page:
    sheet: assessment.ScoringSheet = _found(assessment.scoring_sheet, application_id)
    if sheet.refusal is not None:
        return _score_page(sheet, None)
    if not sheet.declared:
        return _declare_first(application_id, "score", "score it")
    return _score_page(sheet, _saved_scores(sheet))


@bp.post("/applications/<int:application_id>/score")
@allow(ANY_STAFF)
def submit_scores(application_id: int) -> Page:
    sheet: assessment.ScoringSheet = _found(assessment.scoring_sheet, application_id)
    form = forms.score_form(sheet.criteria, request.form)
    if form.validate_on_submit():
        if carried_out(
            form,
            lambda: assessment.submit_scores(
                g.user,
                application_id,
                forms.marks_from(form, sheet.criteria),
                forms.expected_version(form),
            ),
        ):
            return redirect(url_for("staff.application", application_id=application_id))
        # Nothing was saved: draw the page as it stands now, keeping what was typed.
        sheet = _found(assessment.scoring_sheet, application_id)
    return _score_page(sheet, _drawn_again(form, sheet.refusal, sheet.application.version))


# Moderation and ranking ----------------------------------------------------------------------


@bp.get("/rounds/<int:round_id>/moderation")
@allow(ASSESSING_STAFF)
def moderation(round_id: int) -> Page:
    return render_template(
        "assessment/moderation.html", moderation=_found(assessment.moderation, round_id)
    )


@bp.get("/rounds/<int:round_id>/ranking")
@allow(ASSESSING_STAFF)
def ranking(round_id: int) -> Page:
    return render_template("assessment/ranking.html", ranking=_found(assessment.ranking, round_id))


# Recommendation ----------------------------------------------------------------------------


def _recommendation(page: assessment.RecommendationPage, form: FlaskForm | None) -> Page:
    return _page(
        "assessment/recommend.html",
        form,
        page=page,
        application=page.application,
        show_form=page.refusal is None,
    )


@bp.get("/applications/<int:application_id>/recommend")
@allow(ANY_STAFF)
def recommend(application_id: int) -> Page:
    page: assessment.RecommendationPage = _found(assessment.recommendation_page, application_id)
    if page.refusal is not None:
        return _recommendation(page, None)
    if not page.declared:
        return _declare_first(application_id, "recommend", "make a recommendation")
    form = forms.RecommendationForm(formdata=None)
    form.version.data = str(page.application.version)
    return _recommendation(page, form)


@bp.post("/applications/<int:application_id>/recommend")
@allow(ANY_STAFF)
def make_recommendation(application_id: int) -> Page:
    form = forms.RecommendationForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: assessment.recommend(
            g.user,
            application_id,
            form.recommendation.data,
            form.amount_pence,
            form.reason.data,
            forms.expected_version(form),
        ),
    ):
        return redirect(url_for("staff.application", application_id=application_id))
    page: assessment.RecommendationPage = _found(assessment.recommendation_page, application_id)
    return _recommendation(page, _drawn_again(form, page.refusal, page.application.version))
