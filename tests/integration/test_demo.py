"""``flask demo load``: the LLR demo world, loaded once into an empty database, and every
printed sign-in working through the real sign-in pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from grants.demo import DemoAlreadyLoaded, load_demo
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Base,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
    Place,
    Priority,
    Programme,
    ProgrammeKind,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.security import totp
from grants.services.programmes import open_rounds_summary
from tests.conftest import post_form

SIGN_IN_LINE = re.compile(
    r"^(?P<who>[^:]+): (?P<email>\S+@\S+) / (?P<password>\S+)"
    r"(?: / authenticator key (?P<key>\S+))?$"
)
LONDON = ZoneInfo("Europe/London")
REFERENCE = re.compile(r"^(PF|PZ|CSP)-\d{4}-\d{4}$")


def sign_ins(lines: list[str]) -> list[dict[str, str]]:
    return [match.groupdict() for line in lines if (match := SIGN_IN_LINE.match(line))]


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def programme(kind: ProgrammeKind) -> Programme:
    return db.session.scalars(select(Programme).where(Programme.kind == kind)).one()


def round_named(name: str) -> Round:
    return db.session.scalars(select(Round).where(Round.name.contains(name))).one()


def test_load_prints_a_sign_in_for_every_user(app, ctx):
    lines = load_demo()
    people = sign_ins(lines)
    assert len(people) == count(User)
    assert len({person["password"] for person in people}) == 1
    assert len(people[0]["password"]) >= 12

    staff = [person for person in people if person["key"]]
    assert {person["email"] for person in staff} >= {
        "officer@opcc.example.org",
        "assessor@opcc.example.org",
        "assessor2@opcc.example.org",
        "decisions@opcc.example.org",
        "finance@opcc.example.org",
        "admin@opcc.example.org",
    }
    keys = [person["key"] for person in staff]
    assert all(re.fullmatch(r"[A-Z2-7]{32}", key) for key in keys)
    assert len(set(keys)) == len(keys)
    roles = db.session.scalars(select(User.staff_role).where(User.staff_role.is_not(None)))
    assert set(roles) == set(StaffRole)
    assert "flask users code EMAIL" in lines[-1] and "/demo/outbox" in lines[-1]


def test_load_builds_the_llr_world(app, ctx):
    load_demo()
    assert count(Priority) == 14
    assert db.session.scalar(select(Priority.name).where(Priority.code == "vawg")) == (
        "Violence against women and girls"
    )
    places = dict(db.session.execute(select(Place.name, Place.gss_code)).all())
    assert len(places) == 9
    assert places["Leicester"] == "E06000016" and places["Oadby and Wigston"] == "E07000135"

    csps = db.session.scalars(
        select(Organisation).where(
            Organisation.org_type == OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP
        )
    ).all()
    assert len(csps) == 8
    codes = {csp.name: csp.local_authority_code for csp in csps}
    assert codes["Safer Leicester Partnership"] == "E06000016"
    assert codes["Safer Rutland Partnership"] == "E06000017"
    catch22 = db.session.scalars(select(Organisation).where(Organisation.name == "Catch22")).one()
    assert catch22.org_identifier == "GB-CHC-1124127" and catch22.company_number == "06577534"

    councils = db.session.scalars(
        select(Organisation.name).where(Organisation.org_type == OrganisationType.LOCAL_AUTHORITY)
    ).all()
    assert len(councils) == 6 and "Leicestershire County Council" in councils

    # Every organisation but the councils has an owner who can sign in for it.
    applicants = db.session.scalars(
        select(Organisation).where(Organisation.org_type != OrganisationType.LOCAL_AUTHORITY)
    ).all()
    owners = db.session.scalars(
        select(Membership.organisation_id).where(Membership.role == MembershipRole.OWNER)
    ).all()
    assert sorted(owners) == sorted(org.id for org in applicants)
    assert len(applicants) == 8 + 1 + 7  # CSPs, Catch22, community groups
    members = db.session.scalars(
        select(Membership).where(Membership.role == MembershipRole.MEMBER)
    ).all()
    assert len(members) == 1


def test_programmes_budgets_and_rounds(app, ctx):
    load_demo()
    now = utcnow()
    assert count(Programme) == 4
    safer_streets = programme(ProgrammeKind.EXTERNAL_BID)
    assert safer_streets.funder_name == "Home Office"
    assert {budget.financial_year for budget in safer_streets.budgets} == {2023, 2024}
    assert safer_streets.total_budget_pence == 96_059_134
    prevention = programme(ProgrammeKind.COMMUNITY_GRANT)
    assert {b.financial_year: b.amount_pence for b in prevention.budgets}.items() >= {
        2024: 25_000_000,
        2025: 25_000_000,
        2026: 25_000_000,
    }.items()
    assert prevention.priorities and prevention.summary
    assert programme(ProgrammeKind.CSP_ALLOCATION).budgets[0].amount_pence == 50_000_000
    assert programme(ProgrammeKind.COMMISSIONED_SERVICE).budgets[0].amount_pence == 138_688_500

    open_round = round_named("Commissioner's community grants")
    assert open_round.is_open_at(now) and open_round.reference_prefix == "PF"
    assert open_round.programme is prevention
    assert open_round.closes_at.astimezone(LONDON).time() == dt.time(17)
    assert open_round in open_rounds_summary()
    csp_round = round_named("CSP annual plans")
    assert csp_round.invitation_only and csp_round not in open_rounds_summary()
    assert csp_round.financial_year == open_round.financial_year
    people_zones = round_named("People Zones")
    assert people_zones.opens_at == dt.datetime(2024, 9, 30, 8, tzinfo=dt.UTC)  # 9am BST
    assert people_zones.closes_at == dt.datetime(2024, 10, 28, 17, tzinfo=dt.UTC)  # 5pm GMT


def test_applications_in_every_state_and_the_historic_round(app, ctx):
    load_demo()
    applications = db.session.scalars(select(Application)).all()
    statuses = {application.status for application in applications}
    assert statuses >= {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_ASSESSMENT,
        ApplicationStatus.INFORMATION_REQUESTED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
    }
    for application in applications:
        assert application.amount_requested_pence == application.budget_total_pence > 0
        if application.status is ApplicationStatus.DRAFT:
            assert application.reference is None and application.submitted_at is None
        else:
            assert REFERENCE.match(application.reference or "")
            assert application.round.opens_at <= application.submitted_at
            assert application.submitted_at < application.round.closes_at

    people_zones = round_named("People Zones")
    historic = [a for a in applications if a.round is people_zones]
    approved = [a for a in historic if a.status is ApplicationStatus.APPROVED]
    assert len(historic) == 12 and len(approved) == 6
    assert sum(a.amount_requested_pence for a in approved) == 3_930_540
    assert all(a.status is ApplicationStatus.REJECTED for a in historic if a not in approved)
    assert sorted(a.reference for a in historic)[0] == "PZ-2425-0001"


def test_current_rounds_follow_the_date_of_loading(app, ctx):
    load_demo(now=dt.datetime(2030, 4, 20, 10, tzinfo=dt.UTC))
    open_round = round_named("Commissioner's community grants")
    assert open_round.financial_year == 2030 and open_round.name.endswith("2030/31")
    budget_years = {b.financial_year for b in programme(ProgrammeKind.COMMUNITY_GRANT).budgets}
    assert 2030 in budget_years
    references = db.session.scalars(
        select(Application.reference).where(Application.round_id == open_round.id)
    )
    assert "PF-3031-0001" in set(references)


def test_second_load_refuses_and_changes_nothing(app, ctx):
    load_demo()

    def counts() -> dict[str, int]:
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }

    before = counts()
    with pytest.raises(DemoAlreadyLoaded):
        load_demo()
    assert counts() == before


def test_every_printed_staff_sign_in_works(app):
    with app.app_context():
        lines = load_demo()
    staff = [person for person in sign_ins(lines) if person["key"]]
    assert len(staff) == 6
    for person in staff:
        client = app.test_client()
        password = post_form(
            client,
            "/sign-in/password",
            {"email": person["email"], "password": person["password"]},
        )
        assert password.headers["Location"] == "/sign-in/code", person["email"]
        code = post_form(client, "/sign-in/code", {"code": totp.current_code(person["key"])})
        assert code.status_code == 302 and code.headers["Location"] == "/dashboard"
        assert client.get("/staff").status_code == 200, person["email"]


def test_every_printed_community_sign_in_works(app):
    with app.app_context():
        lines = load_demo()
    community = [person for person in sign_ins(lines) if not person["key"]]
    assert len(community) == 17
    for person in community:
        client = app.test_client()
        response = post_form(
            client,
            "/sign-in/password",
            {"email": person["email"], "password": person["password"]},
        )
        assert response.status_code == 302, person["email"]
        assert response.headers["Location"] == "/dashboard"
        dashboard = client.get("/dashboard")
        assert dashboard.headers["Location"].startswith("/organisations/")
        assert client.get(dashboard.headers["Location"]).status_code == 200, person["email"]
