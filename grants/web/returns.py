"""Monitoring returns, as the funded organisation sees them: the list of its returns, filling one
in and saving it as a draft, adding evidence, checking and submitting it, and reading it once
sent. The commissioning team's review is on the staff pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from forms import returns as return_forms
from grants.policy import COMMUNITY_USER, allow
from grants.services import dashboards, returns
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("returns", __name__)

Page = str | Response | tuple[str, int]


def _details(return_id: int) -> returns.ReturnDetails:
    try:
        return returns.return_details(g.user, return_id)
    except NotFound:
        abort(404)


def _page(template: str, form: FlaskForm | None, **context: Any) -> Page:
    if form is None:
        # base.html draws an error summary for any ``form`` it is given.
        return render_template(template, **context)
    page = render_template(template, form=form, **context)
    if form.errors or form.form_errors:
        return page, 400
    return page


def _locked(details: returns.ReturnDetails) -> tuple[str, int]:
    """Changing a return that is no longer open says so, rather than pretend to save."""
    message = returns.locked_message(details.monitoring_return)
    return render_template("returns/locked.html", details=details, message=message), 409


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None  # never a real version: the save is refused as out of date


def _saved_form(details: returns.ReturnDetails) -> FlaskForm:
    return_ = details.monitoring_return
    data = return_forms.form_data(
        {line.budget_line.id: line.spent_pence for line in details.spend},
        {line.target.id: line.achieved for line in details.outputs},
        return_.narrative,
        return_.case_study,
        return_.risks,
        return_.version,
    )
    return _form(details, None, data)


def _form(
    details: returns.ReturnDetails, formdata: object | None, data: dict[str, object] | None = None
) -> FlaskForm:
    return return_forms.return_form(
        [line.budget_line for line in details.spend],
        [line.target for line in details.outputs],
        formdata,
        data,
    )


def _show(details: returns.ReturnDetails, form: FlaskForm | None) -> Page:
    return _page(
        "returns/return.html",
        form if details.is_editable else None,
        details=details,
        saved=request.args.get("saved") == "1",
        field_names={
            "spend": return_forms.spend_field_name,
            "achieved": return_forms.achieved_field_name,
        },
    )


@bp.get("/organisations/<int:organisation_id>/returns")
@allow(COMMUNITY_USER)
def organisation_returns(organisation_id: int) -> Page:
    try:
        organisation = dashboards.organisation_for_member(g.user, organisation_id)
        rows = returns.returns_of_organisation(g.user, organisation_id)
    except NotFound:
        abort(404)
    return render_template("returns/list.html", organisation=organisation, rows=rows)


@bp.get("/returns/<int:return_id>")
@allow(COMMUNITY_USER)
def show(return_id: int) -> Page:
    details = _details(return_id)
    return _show(details, _saved_form(details) if details.is_editable else None)


@bp.post("/returns/<int:return_id>")
@allow(COMMUNITY_USER)
def save(return_id: int) -> Page:
    details = _details(return_id)
    if not details.is_editable:
        return _locked(details)
    form = _form(details, request.form)
    if form.validate_on_submit():
        spend, achieved = return_forms.answers_from(form, request.form)
        try:
            returns.save_draft(
                g.user,
                return_id,
                spend,
                achieved,
                form.narrative.data,
                form.case_study.data,
                form.risks.data,
                expected_version=_int(form.version.data),
            )
        except returns.ReturnLocked:
            return _locked(_details(return_id))
        except ServiceError as error:
            if error.message == returns.CHANGED:
                # Show what is saved now, and its version, so the user starts again from it.
                details = _details(return_id)
                form = _saved_form(details)
                form.form_errors.append(error.message)
            else:
                show_error(form, error)
        else:
            if form.check.data:
                return redirect(url_for("returns.check", return_id=return_id))
            return redirect(url_for("returns.show", return_id=return_id, saved=1))
    return _show(details, form)


@bp.route("/returns/<int:return_id>/evidence", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def evidence(return_id: int) -> Page:
    details = _details(return_id)
    if not details.is_editable:
        return _locked(details)
    form = return_forms.EvidenceForm()
    if form.validate_on_submit():
        file = form.document.data
        try:
            returns.add_evidence(g.user, return_id, file.stream, file.filename)
        except returns.ReturnLocked:
            return _locked(_details(return_id))
        except ServiceError as error:
            show_error(form, error, "document")
        else:
            return redirect(url_for("returns.check", return_id=return_id))
    return _page("returns/evidence.html", form, details=details)


@bp.route("/returns/<int:return_id>/submit", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def check(return_id: int) -> Page:
    details = _details(return_id)
    if not details.is_editable:
        if request.method == "POST":
            # A second tab, or a double click: the first submission went through.
            return _locked(details)
        return redirect(url_for("returns.show", return_id=return_id))
    signed_off = returns.needs_sign_off(details.monitoring_return)
    form = return_forms.SignedOffReturnForm() if signed_off else return_forms.SubmitReturnForm()
    if request.method == "GET":
        form.version.data = str(details.monitoring_return.version)
    if form.validate_on_submit():
        try:
            returns.submit(
                g.user,
                return_id,
                _int(form.version.data),
                signatory=form.signatory.data if signed_off else None,
                signatory_role=form.signatory_role.data if signed_off else None,
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            details = _details(return_id)
            form.version.data = str(details.monitoring_return.version)
        else:
            return redirect(url_for("returns.submitted", return_id=return_id))
    return _page("returns/check.html", form, details=details, signed_off=signed_off)


@bp.get("/returns/<int:return_id>/submitted")
@allow(COMMUNITY_USER)
def submitted(return_id: int) -> Page:
    details = _details(return_id)
    if details.monitoring_return.submitted_at is None or details.is_editable:
        return redirect(url_for("returns.show", return_id=return_id))
    return render_template("returns/submitted.html", details=details)
