"""Sign-in (emailed link, password, staff second factor), registration, set-up and sign-out."""

from __future__ import annotations

import time

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from forms.admin import ConfirmForm
from forms.auth import (
    AcceptInvitationForm,
    AccountSetupForm,
    ClaimLinkForm,
    CodeForm,
    EmailLinkForm,
    PasswordSignInForm,
    RegisterForm,
    SetPasswordForm,
)
from grants.policy import PUBLIC, SIGNED_IN, allow
from grants.services import accounts
from grants.services.errors import ServiceError
from grants.web.helpers import client_ip, safe_next, show_error

bp = Blueprint("auth", __name__)

# How long a correct password keeps a staff member at the second-factor step.
SECOND_FACTOR_SECONDS = 5 * 60


def _start_session(user_id: int) -> Response:
    next_url = safe_next(session.get("next"), url_for("dashboards.dashboard"))
    session.clear()
    session.regenerate()  # type: ignore[attr-defined]
    session["user_id"] = user_id
    return redirect(next_url)


def _remember_next() -> None:
    if request.args.get("next"):
        session["next"] = safe_next(request.args["next"], "")


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(PUBLIC)
def sign_in() -> str | Response:
    _remember_next()
    form = EmailLinkForm()
    if form.validate_on_submit():
        try:
            accounts.request_sign_in_link(form.email.data, client_ip())
        except ServiceError as error:
            show_error(form, error)
        else:
            session["link_sent_to"] = form.email.data
            return redirect(url_for("auth.check_email"))
    return render_template("auth/sign_in.html", form=form), 200 if not form.errors else 400


@bp.get("/sign-in/check-your-email")
@allow(PUBLIC)
def check_email() -> str:
    return render_template("auth/check_email.html", email=session.get("link_sent_to"))


@bp.route("/sign-in/link/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def claim_link(token: str) -> str | Response:
    # GET only shows a button: mail scanners that follow links must not use up the link.
    form = ClaimLinkForm()
    problem = accounts.check_sign_in_link(token)
    if form.validate_on_submit() and problem is None:
        try:
            user = accounts.claim_sign_in_link(token, client_ip())
        except ServiceError as error:
            problem = error.message
        else:
            return _start_session(user.id)
    status = 200 if problem is None else 400
    return render_template("auth/claim_link.html", form=form, problem=problem), status


@bp.route("/sign-in/password", methods=["GET", "POST"])
@allow(PUBLIC)
def password() -> str | Response:
    _remember_next()
    form = PasswordSignInForm()
    if form.validate_on_submit():
        try:
            user = accounts.check_password(form.email.data, form.password.data, client_ip())
        except ServiceError as error:
            show_error(form, error)
        else:
            if not user.is_staff:
                return _start_session(user.id)
            session["pending_user_id"] = user.id
            session["pending_since"] = time.time()
            return redirect(url_for("auth.second_factor"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/sign-in/code", methods=["GET", "POST"])
@allow(PUBLIC)
def second_factor() -> str | Response:
    pending = session.get("pending_user_id")
    if not pending or time.time() - session.get("pending_since", 0) > SECOND_FACTOR_SECONDS:
        session.pop("pending_user_id", None)
        return redirect(url_for("auth.password"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = accounts.check_second_factor(pending, form.code.data)
        except ServiceError as error:
            show_error(form, error)
        else:
            return _start_session(user.id)
    return render_template("auth/code.html", form=form), 200 if not form.errors else 400


@bp.route("/register", methods=["GET", "POST"])
@allow(PUBLIC)
def register() -> str | Response:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_community_user(
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data or None,
                organisation_name=form.organisation_name.data,
                org_type=form.selected_type(),
                charity_number=form.charity_number.data,
                company_number=form.company_number.data,
                ip=client_ip(),
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            session["link_sent_to"] = form.email.data
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 400


@bp.route("/account/setup/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def account_setup(token: str) -> str | Response:
    setup = accounts.setup_details(token)
    if setup is None:
        return render_template("auth/link_problem.html", title="This set-up link is not valid"), 400
    form = AccountSetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.complete_account_setup(
                token, form.password.data, form.code.data, client_ip()
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            return _start_session(user.id)
    status = 200 if not form.errors else 400
    return render_template("auth/account_setup.html", form=form, setup=setup), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def accept_invitation(token: str) -> str | Response:
    invitation = accounts.invitation_details(token)
    if invitation is None:
        return render_template(
            "auth/link_problem.html", title="This invitation is not valid or has expired"
        ), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, form.full_name.data, client_ip())
        except ServiceError as error:
            show_error(form, error)
        else:
            return _start_session(user.id)
    status = 200 if not form.errors else 400
    return render_template("auth/invitation.html", form=form, invitation=invitation), status


@bp.post("/sign-out")
@allow(SIGNED_IN)
def sign_out() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session.end()  # type: ignore[attr-defined]
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
@allow(PUBLIC)
def signed_out() -> str:
    return render_template("auth/signed_out.html")


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def change_password() -> str | Response:
    form = SetPasswordForm()
    has_password = accounts.has_password(g.user)
    if form.validate_on_submit():
        try:
            accounts.change_password(
                g.user,
                form.current_password.data,
                form.password.data,
                session.sid,  # type: ignore[attr-defined]
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            return redirect(url_for("auth.password_saved"))
    status = 200 if not form.errors else 400
    return render_template(
        "auth/change_password.html", form=form, has_password=has_password
    ), status


@bp.get("/account/password/saved")
@allow(SIGNED_IN)
def password_saved() -> str:
    return render_template("auth/password_saved.html")
