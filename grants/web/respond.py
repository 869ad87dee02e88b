"""The applicant answers the commissioning team's question, or withdraws the application."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.respond import ANSWER_MAX, REASON_MAX, AnswerForm, WithdrawForm
from grants.policy import COMMUNITY_USER, allow
from grants.services import applications, responses
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("respond", __name__)

Page = str | Response | tuple[str, int]


def _application_or_404(application_id: int):  # type: ignore[no-untyped-def]
    try:
        return applications.application_for(g.user, application_id)
    except NotFound:
        abort(404)


@bp.route("/applications/<int:application_id>/respond", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def answer(application_id: int) -> Page:
    application = _application_or_404(application_id)
    form = AnswerForm()
    changed = False
    if form.validate_on_submit():
        upload = form.document.data
        try:
            responses.answer_question(
                g.user,
                application.id,
                form.answer.data,
                upload.stream if upload else None,
                upload.filename if upload else None,
                form.expected_version(),
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            changed = isinstance(error, responses.ChangedMeanwhile)
            show_error(form, error)
            application = _application_or_404(application_id)
        else:
            return redirect(url_for("respond.sent", application_id=application.id))
    if not responses.can_answer(g.user, application):
        page = render_template("respond/no_question.html", application=application, changed=changed)
        return page, 409
    # The form carries the version now on screen, so a retry is judged against what it shows.
    form.version.data = str(application.version)
    page = render_template(
        "respond/answer.html",
        application=application,
        question=application.open_information_request,
        form=form,
        max_length=ANSWER_MAX,
    )
    return (page, 400) if form.errors else page


@bp.get("/applications/<int:application_id>/respond/sent")
@allow(COMMUNITY_USER)
def sent(application_id: int) -> Page:
    application = _application_or_404(application_id)
    if not responses.has_answered(application):
        return redirect(url_for("organisation.application", application_id=application.id))
    return render_template("respond/sent.html", application=application)


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def withdraw(application_id: int) -> Page:
    application = _application_or_404(application_id)
    form = WithdrawForm()
    changed = False
    if form.validate_on_submit():
        try:
            responses.withdraw(g.user, application.id, form.reason.data, form.expected_version())
        except NotFound:
            abort(404)
        except ServiceError as error:
            changed = isinstance(error, responses.ChangedMeanwhile)
            show_error(form, error)
            application = _application_or_404(application_id)
        else:
            return redirect(url_for("respond.withdrawn", application_id=application.id))
    if not responses.can_withdraw(g.user, application):
        page = render_template(
            "respond/cannot_withdraw.html", application=application, changed=changed
        )
        return page, 409
    form.version.data = str(application.version)
    page = render_template(
        "respond/withdraw.html", application=application, form=form, max_length=REASON_MAX
    )
    return (page, 400) if form.errors else page


@bp.get("/applications/<int:application_id>/withdrawn")
@allow(COMMUNITY_USER)
def withdrawn(application_id: int) -> Page:
    application = _application_or_404(application_id)
    if not responses.is_withdrawn(application):
        return redirect(url_for("organisation.application", application_id=application.id))
    return render_template("respond/withdrawn.html", application=application)
