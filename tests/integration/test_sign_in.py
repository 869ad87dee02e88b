"""Signing in: emailed single-use links, passwords, staff second factor, sessions and sign-out."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from grants.extensions import db
from grants.models import SignInToken, StaffRole, User, WebSession, utcnow
from grants.security import totp
from tests.conftest import (
    PASSWORD,
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    post_form,
    sign_in_as,
)

LINK_RE = re.compile(r"http://localhost(/sign-in/link/[\w-]+)")


def link_from(message) -> str:
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def test_emailed_link_signs_a_community_user_in_once(app, client, outbox):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    response = post_form(client, "/sign-in", {"email": "Treasurer@Example.org "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/check-your-email"
    assert len(outbox) == 1 and outbox[0].to == ["treasurer@example.org"]
    link = link_from(outbox[0])

    # Following the link (as a mail scanner would) does not use it up: it shows a button.
    page = client.get(link)
    assert page.status_code == 200 and "Select the button to finish signing in" in page.text
    claimed = post_form(client, link, {})
    assert claimed.status_code == 302 and claimed.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 302  # on to the organisation dashboard

    other = app.test_client()
    reused = post_form(other, link, {}, token_from="/sign-in")
    assert reused.status_code == 400
    assert "already been used" in reused.text
    assert other.get("/dashboard").status_code == 302
    assert other.get("/dashboard").headers["Location"].startswith("/sign-in")


def test_expired_link_is_refused_with_a_clear_message(app, client, outbox):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    post_form(client, "/sign-in", {"email": "treasurer@example.org"})
    link = link_from(outbox[0])
    with app.app_context():
        token = db.session.scalar(select(SignInToken))
        token.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    response = post_form(client, link, {}, token_from="/sign-in")
    assert response.status_code == 400
    assert "This sign-in link has expired" in response.text
    assert "govuk-error-summary" in response.text


def test_made_up_link_is_refused(client):
    response = client.get("/sign-in/link/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.text


def test_unknown_address_gets_the_same_answer_and_no_email(client, outbox):
    response = post_form(client, "/sign-in", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert outbox == []


def test_sign_in_links_are_rate_limited_per_address(app, client, outbox):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    for _ in range(5):
        assert post_form(client, "/sign-in", {"email": "treasurer@example.org"}).status_code == 302
    refused = post_form(client, "/sign-in", {"email": "treasurer@example.org"})
    assert refused.status_code == 400
    assert "tried too many times" in refused.text
    assert len(outbox) == 5


def test_bad_email_shows_error_summary(client):
    response = post_form(client, "/sign-in", {"email": "not an email"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "Enter an email address in the correct format" in response.text
    assert 'href="#email"' in response.text


def test_community_user_signs_in_with_password(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    response = post_form(
        client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_wrong_password_is_refused_then_rate_limited(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    for _ in range(10):
        wrong = post_form(
            client, "/sign-in/password", {"email": "treasurer@example.org", "password": "nope"}
        )
        assert wrong.status_code == 400
        assert "Enter a correct email address and password" in wrong.text
    limited = post_form(
        client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD}
    )
    assert "tried too many times" in limited.text
    assert client.get("/dashboard").status_code == 302


def test_staff_need_password_and_current_code(app, client):
    with app.app_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        secret = officer.totp_secret
    response = post_form(
        client, "/sign-in/password", {"email": officer.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/sign-in/code"
    assert client.get("/staff").headers["Location"].startswith("/sign-in")  # not signed in yet

    wrong = post_form(client, "/sign-in/code", {"code": "000000"})
    assert wrong.status_code == 400
    assert "Enter the current 6-digit code" in wrong.text
    malformed = post_form(client, "/sign-in/code", {"code": "12ab"})
    assert "The code must be 6 digits" in malformed.text

    code = totp.current_code(secret)
    signed_in = post_form(client, "/sign-in/code", {"code": code})
    assert signed_in.headers["Location"] == "/dashboard"
    assert client.get("/staff").status_code == 200

    # The same code cannot be replayed by someone who saw it.
    thief = app.test_client()
    post_form(thief, "/sign-in/password", {"email": officer.email, "password": PASSWORD})
    replay = post_form(thief, "/sign-in/code", {"code": code})
    assert replay.status_code == 400


def test_code_page_without_password_step_goes_back_to_password(client):
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in/password"


def test_staff_cannot_get_an_emailed_link(app, client, outbox):
    with app.app_context():
        make_staff(StaffRole.FINANCE)
    post_form(client, "/sign-in", {"email": "finance@opcc.example.org"})
    assert outbox == []


def test_sign_out_is_post_only_and_ends_the_server_session(app, client):
    with app.app_context():
        user = make_member(make_organisation())
    sign_in_as(client, user)
    assert client.get("/sign-out").status_code == 405  # GET is not a way to sign out
    token = csrf_token(client, "/accessibility")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.headers["Location"] == "/signed-out"
    assert client.get("/dashboard").headers["Location"].startswith("/sign-in")
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
            )
            == 0
        )


def test_deactivated_users_live_session_stops_at_next_request(app, client):
    with app.app_context():
        admin = make_staff(StaffRole.ADMINISTRATOR)
        assessor = make_staff(StaffRole.ASSESSOR)
        assessor_id = assessor.id
    sign_in_as(client, assessor)
    assert client.get("/staff").status_code == 200

    admin_client = app.test_client()
    sign_in_as(admin_client, admin)
    token = csrf_token(admin_client, "/admin/users")
    response = admin_client.post(
        f"/admin/users/{assessor_id}/deactivate", data={"csrf_token": token}
    )
    assert response.status_code == 302

    assert client.get("/staff").headers["Location"].startswith("/sign-in")
    refused = post_form(
        app.test_client(), "/sign-in/password", {"email": assessor.email, "password": PASSWORD}
    )
    assert "Enter a correct email address and password" in refused.text


def test_session_cookie_is_http_only_and_same_site(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    response = post_form(
        client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_gives_a_new_session_id(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    client.get("/sign-in/password")
    before = client.get_cookie("grants_session").value
    post_form(client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD})
    after = client.get_cookie("grants_session").value
    assert before != after


def test_form_without_csrf_token_is_refused_with_its_own_page(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    response = client.post(
        "/sign-in/password", data={"email": "treasurer@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Your page expired" in response.text
    assert client.get("/dashboard").headers["Location"].startswith("/sign-in")


def test_next_only_allows_local_paths(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    client.get("/sign-in/password?next=https://evil.example/")
    response = post_form(
        client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/dashboard"


def test_next_returns_to_the_page_asked_for(app, client):
    with app.app_context():
        make_member(make_organisation(), "treasurer@example.org")
    redirect = client.get("/staff")
    assert redirect.headers["Location"] == "/sign-in?next=/staff"
    client.get("/sign-in/password?next=/cookies")
    response = post_form(
        client, "/sign-in/password", {"email": "treasurer@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/cookies"


def test_users_table_holds_no_plain_passwords(app):
    with app.app_context():
        user = make_member(make_organisation())
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
