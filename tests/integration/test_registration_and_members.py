"""Registering a community group, inviting members, and staff accounts set up by an admin."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
    StaffRole,
    User,
)
from grants.security import totp
from grants.services.threesixty import recipient_identifier
from tests.conftest import (
    PASSWORD,
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    post_form,
    sign_in_as,
)

VALID = {
    "full_name": "Amara Okafor",
    "email": "amara@braunstone-youth.org.uk",
    "organisation_name": "Braunstone Youth Boxing Club",
    "org_type": "community_group",
    "charity_number": "",
    "company_number": "",
    "password": "",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_registering_creates_user_organisation_and_owner_membership(app, client, outbox):
    response = post_form(client, "/register", VALID)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/check-your-email"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == VALID["email"]))
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership.role is MembershipRole.OWNER
        assert membership.organisation.name == "Braunstone Youth Boxing Club"
        assert user.password_hash is None and user.staff_role is None
    assert len(outbox) == 1 and "/sign-in/link/" in outbox[0].body
    assert outbox[0].alternatives[0][1] == "text/html"


def test_registering_a_charity_records_its_number_and_optional_password(app, client):
    data = {
        **VALID,
        "org_type": "registered_charity",
        "charity_number": "1124127",
        "password": "a long enough passphrase",
    }
    assert post_form(client, "/register", data).status_code == 302
    with app.app_context():
        organisation = db.session.scalar(select(Organisation))
        assert organisation.org_type is OrganisationType.REGISTERED_CHARITY
        assert recipient_identifier(organisation) == "GB-CHC-1124127"
    signed_in = post_form(
        app.test_client(),
        "/sign-in/password",
        {"email": VALID["email"], "password": "a long enough passphrase"},
    )
    assert signed_in.headers["Location"] == "/dashboard"


def test_empty_registration_lists_every_problem_and_creates_nothing(app, client, outbox):
    response = post_form(client, "/register", {})
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: Create an account" in html
    for message, anchor in [
        ("Enter your full name", "#full_name"),
        ("Enter your email address", "#email"),
        ("Enter the name of your organisation", "#organisation_name"),
        ("Select the type of organisation", "#org_type"),
    ]:
        assert message in html and f'href="{anchor}"' in html
    with app.app_context():
        assert count(User) == 0 and count(Organisation) == 0
    assert outbox == []


def test_registration_field_rules(app, client):
    cases = [
        ({"org_type": "registered_charity"}, "Enter the registered charity number"),
        ({"org_type": "community_interest_company"}, "Enter the company number"),
        ({"charity_number": "12ab"}, "Charity number must be 6 to 8 digits"),
        ({"company_number": "123"}, "Company number must be 8 characters"),
        ({"password": "short"}, "Password must be 12 characters or more"),
        ({"full_name": "x" * 201}, "Full name must be 200 characters or fewer"),
        ({"email": "amara@"}, "Enter an email address in the correct format"),
        ({"org_type": "not-a-type"}, "Not a valid choice"),
    ]
    for change, message in cases:
        response = post_form(client, "/register", {**VALID, **change})
        assert response.status_code == 400, change
        assert message in response.text, (change, message)
    with app.app_context():
        assert count(User) == 0


def test_registering_an_existing_address_reveals_nothing_and_creates_nothing(app, client, outbox):
    with app.app_context():
        make_member(make_organisation("Existing Group"), VALID["email"])
    response = post_form(client, "/register", VALID)
    assert response.headers["Location"] == "/sign-in/check-your-email"
    with app.app_context():
        assert count(User) == 1 and count(Organisation) == 1
    assert len(outbox) == 1 and "you already have one" in outbox[0].body


def test_owner_invites_a_member_who_joins_by_link(app, client, outbox):
    with app.app_context():
        organisation = make_organisation()
        owner = make_member(organisation, "owner@example.org")
        org_id = organisation.id
    sign_in_as(client, owner)
    url = f"/organisations/{org_id}/members/invite"
    response = post_form(client, url, {"email": "new.member@example.org", "role": "member"})
    assert response.headers["Location"] == f"/organisations/{org_id}/members/invited"
    link = re.search(r"http://localhost(/invitations/[\w-]+)", outbox[0].body).group(1)

    invited = app.test_client()
    page = invited.get(link)
    assert "Join Braunstone Youth Club" in page.text
    empty = post_form(invited, link, {"full_name": ""})
    assert "Enter your full name" in empty.text
    joined = post_form(invited, link, {"full_name": "Sam Patel"})
    assert joined.headers["Location"] == "/dashboard"
    assert "Sam Patel" in invited.get(f"/organisations/{org_id}/members").text
    with app.app_context():
        assert db.session.scalar(select(Invitation)).accepted_at is not None
    # The link works once.
    assert app.test_client().get(link).status_code == 400


def test_members_who_are_not_owners_cannot_invite(app, client):
    with app.app_context():
        organisation = make_organisation()
        make_member(organisation, "owner@example.org")
        member = make_member(organisation, "member@example.org", MembershipRole.MEMBER)
        org_id = organisation.id
    sign_in_as(client, member)
    assert client.get(f"/organisations/{org_id}/members/invite").status_code == 403


def test_owner_of_one_organisation_cannot_invite_into_another(app, client, outbox):
    with app.app_context():
        mine = make_organisation("Mine")
        theirs = make_organisation("Theirs")
        owner = make_member(mine, "owner@example.org")
        make_member(theirs, "their.owner@example.org")
        theirs_id = theirs.id
    sign_in_as(client, owner)
    url = f"/organisations/{theirs_id}/members/invite"
    assert client.get(url).status_code == 404
    token = csrf_token(client, "/accessibility")
    response = client.post(
        url, data={"csrf_token": token, "email": "x@example.org", "role": "owner"}
    )
    assert response.status_code == 404
    assert outbox == []


def test_inviting_an_existing_member_is_refused_with_a_message(app, client):
    with app.app_context():
        organisation = make_organisation()
        owner = make_member(organisation, "owner@example.org")
        make_member(organisation, "member@example.org", MembershipRole.MEMBER)
        org_id = organisation.id
    sign_in_as(client, owner)
    response = post_form(
        client,
        f"/organisations/{org_id}/members/invite",
        {"email": "member@example.org", "role": "member"},
    )
    assert response.status_code == 400
    assert "already a member" in response.text


def test_administrator_creates_staff_user_who_sets_up_password_and_authenticator(
    app, client, outbox
):
    with app.app_context():
        admin = make_staff(StaffRole.ADMINISTRATOR)
    sign_in_as(client, admin)
    response = post_form(
        client,
        "/admin/users/new",
        {"full_name": "Priya Shah", "email": "priya.shah@opcc.example.org", "role": "assessor"},
    )
    assert response.status_code == 302
    link = re.search(r"http://localhost(/account/setup/[\w-]+)", outbox[0].body).group(1)

    newcomer = app.test_client()
    page = newcomer.get(link)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = post_form(newcomer, link, {"password": "a long enough passphrase", "code": "000000"})
    assert wrong.status_code == 400 and "Enter the current 6-digit code" in wrong.text
    done = post_form(
        newcomer, link, {"password": "a long enough passphrase", "code": totp.current_code(secret)}
    )
    assert done.headers["Location"] == "/dashboard"
    assert newcomer.get("/staff").status_code == 200
    assert app.test_client().get(link).status_code == 400  # used up


def test_only_administrators_manage_staff(app, client):
    with app.app_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    sign_in_as(client, officer)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403


def test_duplicate_staff_email_is_refused(app, client):
    with app.app_context():
        admin = make_staff(StaffRole.ADMINISTRATOR)
        make_staff(StaffRole.FINANCE)
    sign_in_as(client, admin)
    response = post_form(
        client,
        "/admin/users/new",
        {"full_name": "Dup", "email": "finance@opcc.example.org", "role": "finance"},
    )
    assert response.status_code == 400
    assert "already exists" in response.text


def test_administrator_cannot_deactivate_themselves(app, client):
    with app.app_context():
        admin = make_staff(StaffRole.ADMINISTRATOR)
        admin_id = admin.id
    sign_in_as(client, admin)
    token = csrf_token(client, "/admin/users")
    response = client.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in response.text
    assert client.get("/staff").status_code == 200


def test_staff_dashboard_per_role(app):
    expected = {
        StaffRole.COMMISSIONING_OFFICER: "Commissioning dashboard",
        StaffRole.ASSESSOR: "Assessment dashboard",
        StaffRole.DECISION_MAKER: "Decisions dashboard",
        StaffRole.FINANCE: "Finance dashboard",
        StaffRole.ADMINISTRATOR: "Administration dashboard",
    }
    for role, heading in expected.items():
        client = app.test_client()
        with app.app_context():
            user = make_staff(role)
        sign_in_as(client, user)
        assert client.get("/dashboard").headers["Location"] == "/staff"
        assert heading in client.get("/staff").text


def test_password_sign_in_for_member_of_two_organisations_offers_a_choice(app, client):
    with app.app_context():
        first = make_organisation("First Group")
        second = make_organisation("Second Group")
        user = make_member(first, "both@example.org")
        db.session.add(
            Membership(user_id=user.id, organisation_id=second.id, role=MembershipRole.MEMBER)
        )
        db.session.commit()
    post_form(client, "/sign-in/password", {"email": "both@example.org", "password": PASSWORD})
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "First Group" in page.text and "Second Group" in page.text
