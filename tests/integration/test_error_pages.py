"""Error pages share the service's design and give the user something to do next."""

import datetime as dt

from flask import Blueprint
from sqlalchemy import update

from grants import create_app
from grants.extensions import db
from grants.models import StaffRole, WebSession, utcnow
from grants.policy import PUBLIC, allow
from tests.conftest import make_member, make_organisation, make_staff, sign_in_as


def test_server_error_page_in_service_design(tmp_path):
    app = create_app(
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"},
        env={},
        instance_path=str(tmp_path),
    )
    broken = Blueprint("broken", __name__)

    @broken.get("/broken")
    @allow(PUBLIC)
    def broken_view() -> str:
        raise RuntimeError("boom")

    app.register_blueprint(broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "boom" not in response.text
    assert "Police and Crime Commissioner" in response.text


def test_forbidden_page_in_service_design(app, client):
    with app.app_context():
        user = make_member(make_organisation())
    sign_in_as(client, user)
    response = client.get("/staff")
    assert response.status_code == 403
    assert "You cannot view this page" in response.text
    assert "Go to your dashboard" in response.text


def test_idle_session_expires(app, client):
    with app.app_context():
        user = make_staff(StaffRole.FINANCE)
    sign_in_as(client, user)
    assert client.get("/staff").status_code == 200
    with app.app_context():
        db.session.execute(
            update(WebSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=61))
        )
        db.session.commit()
    assert client.get("/staff").headers["Location"].startswith("/sign-in")


def test_session_past_its_lifetime_expires(app, client):
    with app.app_context():
        user = make_staff(StaffRole.FINANCE)
    sign_in_as(client, user)
    with app.app_context():
        db.session.execute(update(WebSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/staff").headers["Location"].startswith("/sign-in")
