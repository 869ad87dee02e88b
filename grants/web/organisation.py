"""An organisation's members and invitations, and its applications as its members see them."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.documents import ORGANISATION_DOCUMENTS, OrganisationDocumentForm
from forms.organisation import InviteMemberForm
from grants.policy import COMMUNITY_USER, ORGANISATION_OWNER, allow, may_manage_members
from grants.services import accounts, apply, dashboards, documents, responses
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("organisation", __name__)


def _organisation_or_404(organisation_id: int):  # type: ignore[no-untyped-def]
    try:
        return dashboards.organisation_for_member(g.user, organisation_id)
    except NotFound:
        abort(404)


@bp.get("/organisations/<int:organisation_id>/members")
@allow(COMMUNITY_USER)
def members(organisation_id: int) -> str:
    organisation = _organisation_or_404(organisation_id)
    return render_template(
        "organisation/members.html",
        organisation=organisation,
        members=accounts.members_of(organisation.id),
        can_manage=may_manage_members(g.user, organisation.id),
    )


@bp.route("/organisations/<int:organisation_id>/members/invite", methods=["GET", "POST"])
@allow(ORGANISATION_OWNER)
def invite(organisation_id: int) -> str | Response:
    organisation = _organisation_or_404(organisation_id)
    if not may_manage_members(g.user, organisation.id):
        abort(403)
    form = InviteMemberForm()
    if form.validate_on_submit():
        try:
            accounts.invite_member(g.user, organisation.id, form.email.data, form.selected_role())
        except ServiceError as error:
            show_error(form, error)
        else:
            return redirect(url_for("organisation.invited", organisation_id=organisation.id))
    status = 200 if not form.errors else 400
    return render_template("organisation/invite.html", form=form, organisation=organisation), status


@bp.get("/organisations/<int:organisation_id>/members/invited")
@allow(ORGANISATION_OWNER)
def invited(organisation_id: int) -> str:
    organisation = _organisation_or_404(organisation_id)
    return render_template("organisation/invited.html", organisation=organisation)


@bp.get("/applications/<int:application_id>")
@allow(COMMUNITY_USER)
def application(application_id: int) -> str | Response:
    try:
        found = apply.application_to_fill(g.user, application_id)
    except NotFound:
        abort(404)
    if apply.is_draft(found):
        return redirect(url_for("apply.tasks", application_id=found.id))
    return render_template(
        "applications/summary.html",
        application=found,
        staff_view=False,
        sections=apply.sections_for(found),
        can_respond=responses.can_answer(g.user, found),
        can_withdraw=responses.can_withdraw(g.user, found),
        **apply.answer_labels(found),
    )


@bp.route("/organisations/<int:organisation_id>/documents", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def document_list(organisation_id: int) -> str | Response | tuple[str, int]:
    organisation = _organisation_or_404(organisation_id)
    form = OrganisationDocumentForm()
    if form.validate_on_submit():
        upload = form.document.data
        try:
            documents.upload(
                g.user,
                upload.stream,
                upload.filename,
                organisation_id=organisation.id,
                purpose=form.purpose.data,
            )
        except ServiceError as error:
            show_error(form, error, default_field="document")
        else:
            return redirect(url_for("organisation.document_list", organisation_id=organisation.id))
    page = render_template(
        "organisation/documents.html",
        organisation=organisation,
        documents=documents.documents_of(g.user, organisation.id),
        purposes=ORGANISATION_DOCUMENTS,
        form=form,
    )
    return (page, 400) if form.errors or form.form_errors else page
