"""The application form: start, task list, sections, check your answers, submit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forms import apply as apply_forms
from grants.policy import COMMUNITY_USER, allow
from grants.services import apply
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error
from workflows import application_form as spec

bp = Blueprint("apply", __name__)

Page = str | Response | tuple[str, int]


def _load(application_id: int):  # type: ignore[no-untyped-def]
    try:
        return apply.application_to_fill(g.user, application_id)
    except NotFound:
        abort(404)


def _locked(application) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Editing pages of a submitted application say so, rather than pretend to save."""
    return render_template("apply/locked.html", application=application), 409


def _page(template: str, form: FlaskForm | None, **context: Any) -> Page:
    page = render_template(template, form=form, **context)
    if form is not None and (form.errors or form.form_errors):
        return page, 400
    return page


def _refused(form: FlaskForm, error: ServiceError, default_field: str | None = None) -> None:
    if isinstance(error, apply.SectionIncomplete):
        for field_name, message in error.problems:
            field = getattr(form, field_name, None) if field_name else None
            if field is not None:
                field.errors = [*field.errors, message]  # type: ignore[list-item]
            else:
                form.form_errors.append(message)
        return
    show_error(form, error, default_field)


@bp.route("/funding/<int:round_id>/apply", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def start(round_id: int) -> Page:
    try:
        round_ = apply.round_to_apply_to(round_id)
    except NotFound:
        abort(404)
    organisations = apply.organisations_of(g.user)
    form = apply_forms.StartForm()
    form.organisation.choices = [SelectChoice(o.id, o.name) for o in organisations]
    if len(organisations) == 1 and request.method == "GET":
        form.organisation.data = organisations[0].id
    if round_.programme.takes_annual_plans:
        form.submit.label.text = "Start annual plan"
    if form.validate_on_submit():
        try:
            application = apply.start(g.user, round_.id, form.organisation.data)
        except ServiceError as error:
            show_error(form, error, "organisation")
        else:
            return redirect(url_for("apply.tasks", application_id=application.id))
    return _page(
        "apply/start.html",
        form,
        round=round_,
        organisations=organisations,
        drafts=apply.drafts_in_round(g.user, round_.id),
        is_open=apply.is_open_now(round_),
    )


@bp.get("/applications/<int:application_id>/tasks")
@allow(COMMUNITY_USER)
def tasks(application_id: int) -> Page:
    application = _load(application_id)
    if not apply.is_draft(application):
        return redirect(url_for("organisation.application", application_id=application.id))
    statuses = apply.task_list(application)
    return render_template(
        "apply/tasks.html",
        application=application,
        statuses=statuses,
        completed=sum(1 for s in statuses if s.status == "completed"),
    )


@bp.route("/applications/<int:application_id>/sections/<key>", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def section(application_id: int, key: str) -> Page:
    application = _load(application_id)
    found = apply.section_of(application, key)
    if found is None:
        abort(404)
    if not apply.is_draft(application):
        return _locked(application)
    if key == "budget":
        return _budget(application, found)
    if found.documents:
        return _documents(application, found)
    return _questions(application, found)


def _choices(application) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    priorities = [(p.code, p.name) for p in apply.priorities_for(application)]
    places = [(p.gss_code, p.name) for p in apply.places()]
    return priorities, places


def _questions(application, section: spec.Section) -> Page:  # type: ignore[no-untyped-def]
    questions = section.questions_for(application)
    priorities, places = _choices(application)
    revision = apply.section_revision(application, section.key)
    if request.method == "POST":
        form = apply_forms.section_form(section, questions, priorities, places, request.form)
    else:
        data = apply_forms.data_from(application.answer_map, application.project_title, questions)
        data["revision"] = str(revision)
        marked = next((s for s in application.sections if s.section_key == section.key), None)
        if marked is not None and marked.completed:
            data["completed"] = "yes"
        form = apply_forms.section_form(section, questions, priorities, places, None, data)
    if form.validate_on_submit():
        try:
            apply.save_section(
                g.user,
                application.id,
                section.key,
                apply_forms.answers_from(form, questions),
                completed=form.completed.data == "yes",
                seen_revision=_int(form.revision.data),
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            _refused(form, error)
            if error.message == apply.SOMEONE_ELSE:
                # Show the colleague's answers, and the revision they are at, to start again.
                return _refreshed_questions(application.id, section, error)
        else:
            return _saved(application.id)
    return _page(
        "apply/section.html",
        form,
        application=application,
        section=section,
        questions=questions,
    )


def _refreshed_questions(application_id: int, section: spec.Section, error: ServiceError) -> Page:
    application = _load(application_id)
    questions = section.questions_for(application)
    priorities, places = _choices(application)
    data = apply_forms.data_from(application.answer_map, application.project_title, questions)
    data["revision"] = str(apply.section_revision(application, section.key))
    form = apply_forms.section_form(section, questions, priorities, places, None, data)
    form.form_errors.append(error.message)
    return _page(
        "apply/section.html", form, application=application, section=section, questions=questions
    )


def _saved(application_id: int) -> Response:
    """Back to the task list, or to check your answers when the change started there."""
    if request.args.get("from") == "check":
        return redirect(url_for("apply.check", application_id=application_id))
    return redirect(url_for("apply.tasks", application_id=application_id))


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return -1  # never a real revision: the save is refused as out of date


def _mark_form(application, key: str) -> apply_forms.MarkCompleteForm:  # type: ignore[no-untyped-def]
    form = apply_forms.MarkCompleteForm()
    if request.method == "GET":
        form.revision.data = str(apply.section_revision(application, key))
        marked = next((s for s in application.sections if s.section_key == key), None)
        if marked is not None and marked.completed:
            form.completed.data = "yes"
    return form


def _save_mark(application, key: str, form: apply_forms.MarkCompleteForm) -> Response | None:  # type: ignore[no-untyped-def]
    if not form.validate_on_submit():
        return None
    try:
        apply.mark_section(
            g.user,
            application.id,
            key,
            completed=form.completed.data == "yes",
            seen_revision=_int(form.revision.data),
        )
    except ServiceError as error:
        _refused(form, error, "completed")
        form.revision.data = str(apply.section_revision(_load(application.id), key))
        return None
    return _saved(application.id)


def _budget(application, section: spec.Section) -> Page:  # type: ignore[no-untyped-def]
    form = _mark_form(application, section.key)
    done = _save_mark(application, section.key, form)
    if done is not None:
        return done
    return _page(
        "apply/budget.html",
        form,
        application=_load(application.id) if form.errors else application,
        section=section,
    )


def _documents(application, section: spec.Section) -> Page:  # type: ignore[no-untyped-def]
    form = _mark_form(application, section.key)
    done = _save_mark(application, section.key, form)
    if done is not None:
        return done
    return _page(
        "apply/documents.html",
        form,
        application=application,
        section=section,
        slots=section.documents_for(application),
    )


@bp.route("/applications/<int:application_id>/budget/add", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def add_budget_line(application_id: int) -> Page:
    application = _load(application_id)
    if not apply.is_draft(application):
        return _locked(application)
    form = apply_forms.BudgetLineForm()
    years = apply.budget_years(application)
    form.financial_year.choices = [SelectChoice(year, _fy(year)) for year in years]
    if request.method == "GET":
        form.revision.data = str(apply.section_revision(application, "budget"))
    if form.validate_on_submit():
        try:
            apply.add_budget_line(
                g.user,
                application.id,
                _int(form.revision.data),
                form.financial_year.data,
                form.category.data,
                form.description.data or "",
                form.amount.pence,  # type: ignore[attr-defined]
            )
        except ServiceError as error:
            show_error(form, error, "category")
            form.revision.data = str(apply.section_revision(_load(application.id), "budget"))
        else:
            return redirect(url_for("apply.section", application_id=application.id, key="budget"))
    return _page("apply/budget_line.html", form, application=application)


def _fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d} (April {year} to March {year + 1})"


@bp.post("/applications/<int:application_id>/budget/<int:line_id>/remove")
@allow(COMMUNITY_USER)
def remove_budget_line(application_id: int, line_id: int) -> Page:
    return _remove(application_id, "budget", lambda: apply.remove_budget_line(
        g.user, application_id, line_id
    ))  # fmt: skip


def _remove(application_id: int, section_key: str, remove: Callable[[], object]) -> Page:
    """A remove button on a draft's section page: refused once submitted, back to the page."""
    application = _load(application_id)
    if not apply.is_draft(application):
        return _locked(application)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        remove()
    except NotFound:
        abort(404)
    return redirect(url_for("apply.section", application_id=application.id, key=section_key))


@bp.route("/applications/<int:application_id>/outcomes/add", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def add_output(application_id: int) -> Page:
    application = _load(application_id)
    if not apply.is_draft(application):
        return _locked(application)
    form = apply_forms.OutputTargetForm()
    if request.method == "GET":
        form.revision.data = str(apply.section_revision(application, "outcomes"))
    if form.validate_on_submit():
        try:
            apply.add_output_target(
                g.user,
                application.id,
                _int(form.revision.data),
                form.description.data,
                int(form.target.data),
            )
        except ServiceError as error:
            show_error(form, error, "description")
            form.revision.data = str(apply.section_revision(_load(application.id), "outcomes"))
        else:
            return redirect(url_for("apply.section", application_id=application.id, key="outcomes"))
    return _page("apply/output.html", form, application=application)


@bp.post("/applications/<int:application_id>/outcomes/<int:target_id>/remove")
@allow(COMMUNITY_USER)
def remove_output(application_id: int, target_id: int) -> Page:
    return _remove(application_id, "outcomes", lambda: apply.remove_output_target(
        g.user, application_id, target_id
    ))  # fmt: skip


@bp.route("/applications/<int:application_id>/documents/<slot>", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def upload(application_id: int, slot: str) -> Page:
    application = _load(application_id)
    found = apply.document_slot(application, slot)
    if found is None:
        abort(404)
    if not apply.is_draft(application):
        return _locked(application)
    form = apply_forms.DocumentUploadForm()
    if form.validate_on_submit():
        file = form.document.data
        try:
            apply.upload_document(g.user, application.id, slot, file.stream, file.filename)
        except ServiceError as error:
            show_error(form, error, "document")
        else:
            if request.args.get("from") == "check":
                return redirect(url_for("apply.check", application_id=application.id))
            return redirect(
                url_for("apply.section", application_id=application.id, key="documents")
            )
    return _page(
        "apply/upload.html",
        form,
        application=application,
        slot=found,
        current=application.current_documents.get(slot),
    )


@bp.route("/applications/<int:application_id>/check", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def check(application_id: int) -> Page:
    application = _load(application_id)
    if not apply.is_draft(application):
        if request.method == "POST":
            # A second tab, or a double click: the first submission went through.
            return _locked(application)
        return redirect(url_for("organisation.application", application_id=application.id))
    form = apply_forms.SubmitApplicationForm()
    if request.method == "GET":
        form.version.data = str(application.version)
    if form.validate_on_submit():
        try:
            apply.submit(g.user, application.id, _int(form.version.data))
        except ServiceError as error:
            form.form_errors.append(error.message)
            application = _load(application.id)
            form.version.data = str(application.version)
        else:
            return redirect(url_for("apply.submitted", application_id=application.id))
    statuses = apply.task_list(application)
    return _page(
        "apply/check.html",
        form,
        application=application,
        statuses=statuses,
        incomplete=[s for s in statuses if s.status != "completed"],
        priorities=dict(_choices(application)[0]),
        places=dict(_choices(application)[1]),
        editable=True,
    )


@bp.get("/applications/<int:application_id>/submitted")
@allow(COMMUNITY_USER)
def submitted(application_id: int) -> Page:
    application = _load(application_id)
    if application.reference is None:
        return redirect(url_for("apply.tasks", application_id=application.id))
    return render_template("apply/submitted.html", application=application)
