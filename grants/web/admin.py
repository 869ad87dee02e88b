"""Administrators manage staff accounts and who may sign in."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.admin import ConfirmForm, NewStaffUserForm
from grants.policy import ADMINISTRATOR, allow
from grants.services import accounts
from grants.services.errors import ServiceError
from grants.web.helpers import show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@allow(ADMINISTRATOR)
def users() -> str:
    return render_template("admin/users.html", users=accounts.staff_users(), confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(ADMINISTRATOR)
def new_user() -> str | Response:
    form = NewStaffUserForm()
    if form.validate_on_submit():
        try:
            accounts.create_staff_user(
                full_name=form.full_name.data, email=form.email.data, role=form.selected_role()
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            return redirect(url_for("admin.users", created=form.email.data))
    return render_template("admin/new_user.html", form=form), 200 if not form.errors else 400


@bp.post("/users/<int:user_id>/deactivate")
@allow(ADMINISTRATOR)
def deactivate(user_id: int) -> str | Response:
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
@allow(ADMINISTRATOR)
def reactivate(user_id: int) -> str | Response:
    return _set_active(user_id, active=True)


def _set_active(user_id: int, active: bool) -> str | Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.set_active(g.user, user_id, active)
    except ServiceError as error:
        return render_template(
            "admin/users.html", users=accounts.staff_users(), confirm=form, error=error.message
        ), 400
    return redirect(url_for("admin.users"))
