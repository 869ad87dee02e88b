"""Setting or changing a password from the account page."""

from sqlalchemy import func, select

from grants.extensions import db
from grants.models import WebSession
from tests.conftest import PASSWORD, make_member, make_organisation, post_form, sign_in_as

NEW = "a brand new passphrase"


def test_link_user_sets_a_first_password_and_can_then_use_it(app, client):
    with app.app_context():
        user = make_member(make_organisation(), "links.only@example.org", password=None)
    sign_in_as(client, user)
    assert "Set a password" in client.get("/account/password").text
    response = post_form(client, "/account/password", {"password": NEW, "confirm": NEW})
    assert response.headers["Location"] == "/account/password/saved"
    signed_in = post_form(
        app.test_client(), "/sign-in/password", {"email": "links.only@example.org", "password": NEW}
    )
    assert signed_in.headers["Location"] == "/dashboard"


def test_changing_needs_the_current_password_and_ends_other_sessions(app, client):
    with app.app_context():
        user = make_member(make_organisation(), "treasurer@example.org")
    other_device = app.test_client()
    sign_in_as(other_device, user)
    sign_in_as(client, user)
    wrong = post_form(
        client, "/account/password", {"current_password": "nope", "password": NEW, "confirm": NEW}
    )
    assert wrong.status_code == 400 and "Your current password is not correct" in wrong.text
    assert other_device.get("/dashboard").status_code == 302  # still signed in

    right = post_form(
        client, "/account/password", {"current_password": PASSWORD, "password": NEW, "confirm": NEW}
    )
    assert right.status_code == 302
    assert client.get("/account/password").status_code == 200  # this session carries on
    assert other_device.get("/dashboard").headers["Location"].startswith("/sign-in")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_password_rules(app, client):
    with app.app_context():
        user = make_member(make_organisation(), "links.only@example.org", password=None)
    sign_in_as(client, user)
    short = post_form(client, "/account/password", {"password": "short", "confirm": "short"})
    assert "Password must be 12 characters or more" in short.text
    mismatch = post_form(client, "/account/password", {"password": NEW, "confirm": NEW + "x"})
    assert "The passwords do not match" in mismatch.text
    empty = post_form(client, "/account/password", {})
    assert "Enter a new password" in empty.text and "govuk-error-summary" in empty.text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/account/password").headers["Location"].startswith("/sign-in")
