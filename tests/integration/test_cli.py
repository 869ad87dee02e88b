"""``flask users`` commands."""

from sqlalchemy import select

from grants.extensions import db
from grants.models import StaffRole, User
from tests.conftest import PASSWORD, make_staff, post_form


def test_users_create_makes_a_staff_user_who_can_sign_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Finance@OPCC.example.org",
            "--name",
            "Jo Finance",
            "--role",
            "finance",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Authenticator key:" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "finance@opcc.example.org"))
        assert user.staff_role is StaffRole.FINANCE
        code = runner.invoke(args=["users", "code", "finance@opcc.example.org"]).output.strip()
    client = app.test_client()
    post_form(
        client, "/sign-in/password", {"email": "finance@opcc.example.org", "password": PASSWORD}
    )
    assert post_form(client, "/sign-in/code", {"code": code}).headers["Location"] == "/dashboard"


def test_users_create_refuses_duplicates_and_short_passwords(app):
    with app.app_context():
        make_staff(StaffRole.FINANCE)
    runner = app.test_cli_runner()
    duplicate = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "finance@opcc.example.org",
            "--name",
            "X",
            "--role",
            "finance",
            "--password",
            PASSWORD,
        ]
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "new@opcc.example.org",
            "--name",
            "X",
            "--role",
            "finance",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0 and "12 characters" in short.output


def test_users_deactivate(app):
    with app.app_context():
        make_staff(StaffRole.ASSESSOR)
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "assessor@opcc.example.org"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User)).is_active is False


def test_maintenance_purge_removes_only_expired_sessions(app):
    import datetime as dt

    from sqlalchemy import func, update

    from grants.models import WebSession, utcnow
    from tests.conftest import sign_in_as

    with app.app_context():
        user = make_staff(StaffRole.FINANCE)
    live, stale = app.test_client(), app.test_client()
    sign_in_as(live, user)
    sign_in_as(stale, user)
    with app.app_context():
        oldest = db.session.scalar(select(WebSession.id_hash).limit(1))
        db.session.execute(
            update(WebSession)
            .where(WebSession.id_hash == oldest)
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["maintenance", "purge"])
    assert "Removed 1 expired sessions" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == 1
