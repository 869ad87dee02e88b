"""Another organisation's data is never visible: every object URL, every role, every outsider."""

from __future__ import annotations

import pytest

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    AwardYear,
    BudgetLine,
    ClaimLine,
    Document,
    MembershipRole,
    MonitoringReturn,
    OutputTarget,
    Payment,
    ReturnStatus,
    ScanStatus,
    StaffRole,
    User,
    Variation,
    utcnow,
)
from grants.policy import PUBLIC, rule_for
from tests.conftest import make_member, make_organisation, make_staff, open_round, sign_in_as

SECRET_TITLE = "SECRET-A knife crime diversion project"
SECRET_ORG = "SECRET-A Boxing Club"
SECRET_FILE = "SECRET-A constitution"


@pytest.fixture
def world(app):
    """Organisation A with an application; organisation B next door; one of each staff role."""
    with app.app_context():
        org_a = make_organisation(SECRET_ORG)
        org_b = make_organisation("Organisation B Youth Trust")
        owner_a = make_member(org_a, "owner-a@example.org")
        member_a = make_member(org_a, "member-a@example.org", MembershipRole.MEMBER)
        owner_b = make_member(org_b, "owner-b@example.org")
        member_b = make_member(org_b, "member-b@example.org", MembershipRole.MEMBER)
        round_ = open_round(days_open=1)
        programme = round_.programme
        now = utcnow()
        application = Application(
            round=round_,
            organisation=org_a,
            created_by_id=owner_a.id,
            project_title=SECRET_TITLE,
            amount_requested_pence=500_000,
            status=ApplicationStatus.SUBMITTED,
            reference="PF-2627-0001",
            submitted_at=now,
            budget_lines=[BudgetLine(financial_year=2026, category="SECRET-A", amount_pence=1)],
            output_targets=[OutputTarget(description="SECRET-A output", target=1)],
        )
        db.session.add_all([programme, round_, application])
        db.session.commit()
        document = Document(
            storage_key="documents/aa/secret-a", organisation_id=org_a.id,
            uploaded_by_id=owner_a.id, purpose="constitution", filename="SECRET-A constitution.pdf",
            file_type="pdf", content_type="application/pdf", size_bytes=10, sha256="0" * 64,
            scan_status=ScanStatus.NOT_SCANNED,
        )  # fmt: skip
        db.session.add(document)
        db.session.commit()
        award = Award(
            reference="PF-2627-0001-A", programme=programme, organisation=org_a,
            application=application, title=SECRET_TITLE, amount_pence=500_000,
            status=AwardStatus.ACTIVE, years=[AwardYear(financial_year=2026, amount_pence=500_000)],
        )  # fmt: skip
        claim = Payment(award=award, financial_year=2026, amount_pence=0)
        monitoring_return = MonitoringReturn(
            award=award, period_start=now.date(), period_end=now.date(), due_date=now.date(),
            status=ReturnStatus.OPEN,
        )  # fmt: skip
        variation = Variation(award=award, summary=SECRET_TITLE, reason="SECRET-A reason")
        db.session.add_all([award, claim, monitoring_return, variation])
        db.session.flush()
        evidence = Document(
            storage_key="documents/aa/secret-b", organisation_id=org_a.id, payment_id=claim.id,
            uploaded_by_id=owner_a.id, purpose="claim_evidence", filename="SECRET-A receipt.pdf",
            file_type="pdf", content_type="application/pdf", size_bytes=10, sha256="1" * 64,
            scan_status=ScanStatus.NOT_SCANNED,
        )  # fmt: skip
        db.session.add(evidence)
        db.session.flush()
        claim.claim_lines.append(
            ClaimLine(description="SECRET-A coaching", amount_pence=100, document_id=evidence.id)
        )
        db.session.commit()
        staff = {role: make_staff(role) for role in StaffRole}
        return {
            "ids": {
                "application_id": application.id,
                "organisation_id": org_a.id,
                "programme_id": programme.id,
                "user_id": staff[StaffRole.ASSESSOR].id,
                "document_id": document.id,
                "line_id": application.budget_lines[0].id,
                "award_id": award.id,
                "round_id": round_.id,
                "criterion_id": 1,
                "payment_id": claim.id,
                "return_id": monitoring_return.id,
                "variation_id": variation.id,
                "target_id": application.output_targets[0].id,
            },
            "insiders": [owner_a.id, member_a.id],
            "outsiders": {"owner of B": owner_b.id, "member of B": member_b.id},
            "staff": {role: user.id for role, user in staff.items()},
        }


def object_routes(app):
    """Every route with an object id in its path, with the methods it answers."""
    routes = []
    for rule in app.url_map.iter_rules():
        ids = {arg for arg in rule.arguments if arg.endswith("_id")}
        # Rounds are public (anyone may read about them and start applying); every other id
        # names something that belongs to someone.
        if not ids - {"round_id"}:
            continue
        if rule_for(app.view_functions[rule.endpoint]) is PUBLIC:
            continue
        methods = sorted(m for m in rule.methods if m in {"GET", "POST"})
        routes.append((rule, methods))
    assert routes, "no object routes found: the sweep would prove nothing"
    return routes


# Path parts that are not object ids get a real value, so the request reaches the view.
OTHER_ARGUMENTS = {"trigger": "approve", "key": "organisation", "slot": "constitution"}


# Ids of kinds the world does not build (background tasks, contracts, bids...): a number no
# row has, so the sweep still proves nobody is shown anything and staff get "not found".
NO_SUCH_ID = 999_999
STAFF_PREFIXES = ("/staff/", "/finance/")
# Staff buttons that need nothing but the CSRF token (they start background work).
NEEDS_ONLY_CSRF = {"history.start_dossier"}


def url_for_rule(rule, ids):
    path = rule.rule
    for arg in rule.arguments:
        if arg in OTHER_ARGUMENTS:
            path = path.replace(f"<{arg}>", OTHER_ARGUMENTS[arg])
        else:
            path = path.replace(f"<int:{arg}>", str(ids.get(arg, NO_SUCH_ID)))
    assert "<" not in path, f"unfilled argument in {path}"
    return path


def names_missing_object(rule, ids) -> bool:
    return any(arg not in ids and arg not in OTHER_ARGUMENTS for arg in rule.arguments)


def request(client, method, url):
    if method == "GET":
        return client.get(url)
    # A POST with a valid CSRF token, so only the policy and scoping stand in the way.
    client.get("/sign-in")
    with client.session_transaction() as session:
        token = session.get("csrf_token")
    from flask_wtf.csrf import generate_csrf

    with client.application.test_request_context():
        from flask import session as flask_session

        flask_session["csrf_token"] = token
        signed = generate_csrf()
    return client.post(url, data={"csrf_token": signed})


def test_outsiders_never_see_another_organisations_objects(app, world):
    for label, user_id in world["outsiders"].items():
        for rule, methods in object_routes(app):
            for method in methods:
                client = app.test_client()
                with app.app_context():
                    sign_in_as(client, db.session.get(User, user_id))
                url = url_for_rule(rule, world["ids"])
                response = request(client, method, url)
                body = response.get_data(as_text=True)
                assert response.status_code in (400, 403, 404), (label, method, url)
                assert SECRET_TITLE not in body and SECRET_ORG not in body, (label, method, url)
                assert SECRET_FILE not in body, (label, method, url)


def test_signed_out_visitors_are_sent_to_sign_in(app, world):
    for rule, methods in object_routes(app):
        for method in methods:
            client = app.test_client()
            url = url_for_rule(rule, world["ids"])
            response = request(client, method, url)
            assert response.status_code in (302, 400), (method, url)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/sign-in"), url
            assert SECRET_TITLE not in response.get_data(as_text=True)


def test_every_staff_role_sees_only_staff_routes(app, world):
    for role, user_id in world["staff"].items():
        with app.app_context():
            user = db.session.get(User, user_id)
        for rule, methods in object_routes(app):
            for method in methods:
                client = app.test_client()
                with app.app_context():
                    sign_in_as(client, db.session.get(User, user_id))
                url = url_for_rule(rule, world["ids"])
                response = request(client, method, url)
                body = response.get_data(as_text=True)
                if rule.rule.startswith("/documents/"):
                    # Staff may read every document; this one's bytes were never stored, so
                    # the policy lets them through to "cannot be read just now".
                    assert response.status_code == 409, (role, url)
                elif rule.rule.startswith(STAFF_PREFIXES):
                    allowed = rule_for(app.view_functions[rule.endpoint]).allows(user)
                    if not allowed:  # a page for other staff roles (setting up rounds, say)
                        assert response.status_code == 403, (role, method, url)
                    elif names_missing_object(rule, world["ids"]):
                        assert response.status_code in (400, 404), (role, method, url)
                    elif rule.endpoint == "staff.approve":
                        # The world's application is not in assessment: it cannot be approved.
                        assert response.status_code == 409, (role, method, url)
                    elif method == "GET":
                        # Staff may see every application (or are sent to a step before it).
                        assert response.status_code in (200, 302), (role, url)
                    elif rule.endpoint in NEEDS_ONLY_CSRF:
                        # A button whose form is the CSRF token alone: the bare POST is it.
                        assert response.status_code == 302, (role, url)
                    else:
                        # A bare POST is an incomplete form, or names something not there.
                        assert response.status_code in (400, 404), (role, url)
                elif rule.rule.startswith("/admin/"):
                    expected = {302} if role is StaffRole.ADMINISTRATOR else {403}
                    assert response.status_code in expected, (role, method, url)
                else:
                    # Organisation pages belong to members, not staff.
                    assert response.status_code == 403, (role, method, url)
                    assert SECRET_TITLE not in body


def test_insiders_can_see_their_own_organisation(app, world):
    for user_id in world["insiders"]:
        client = app.test_client()
        with app.app_context():
            sign_in_as(client, db.session.get(User, user_id))
        ids = world["ids"]
        assert SECRET_TITLE in client.get(f"/applications/{ids['application_id']}").get_data(
            as_text=True
        )
        assert SECRET_TITLE in client.get(f"/organisations/{ids['organisation_id']}").get_data(
            as_text=True
        )


def test_object_ids_that_do_not_exist_are_404_not_403(app, world):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, world["outsiders"]["owner of B"]))
    assert client.get("/applications/999999").status_code == 404
    assert client.get(f"/applications/{world['ids']['application_id']}").status_code == 404


def test_links_in_tables_are_links_not_escaped_text(app, world):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, world["insiders"][0]))
    html = client.get(f"/organisations/{world['ids']['organisation_id']}").text
    assert f'<a class="govuk-link" href="/applications/{world["ids"]["application_id"]}">' in html
    assert "&lt;a class" not in html
