"""``flask demo load``: the LLR demo world, loaded once into an empty database, and every
printed sign-in working through the real sign-in pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.audit.verify import verify_ledger
from grants.demo import DemoAlreadyLoaded, load_demo
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardStatus,
    Base,
    Contract,
    ContractStatus,
    ExternalBid,
    ExternalBidStatus,
    Membership,
    MembershipRole,
    MonitoringReturn,
    Organisation,
    OrganisationType,
    OutboxJob,
    PaymentStatus,
    Place,
    Priority,
    Procurement,
    ProcurementStatus,
    Programme,
    ProgrammeKind,
    ReturnStatus,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.security import totp
from grants.services.assessment import CHECKS, mean_percent, moderation, ranking
from grants.services.programmes import open_rounds_summary
from grants.services.threesixty import recipient_identifier
from tests.conftest import post_form
from workflows import engine
from workflows.registry import BY_NAME

SIGN_IN_LINE = re.compile(
    r"^(?P<who>[^:]+): (?P<email>\S+@\S+) / (?P<password>\S+)"
    r"(?: / authenticator key (?P<key>\S+))?$"
)
LONDON = ZoneInfo("Europe/London")
REFERENCE = re.compile(r"^(PF|SG|SV|PZ|CSP)-\d{4}-\d{4}$")


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
        "officer2@opcc.example.org",
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
    assert recipient_identifier(catch22) == "GB-CHC-1124127"
    assert catch22.company_number == "06577534"

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
    assert len(applicants) == 8 + 1 + 10  # CSPs, Catch22, community groups
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
    # The current year's CSP plan round ran before the year began, as every year's does: open
    # from mid-February to mid-March once the allocations were confirmed, decided by April.
    year_began = dt.datetime(csp_round.financial_year, 4, 1, tzinfo=LONDON)
    assert csp_round.published_at < csp_round.opens_at < csp_round.closes_at < year_began
    assert csp_round.opens_at.astimezone(LONDON) == dt.datetime(
        csp_round.financial_year, 2, 17, 9, tzinfo=LONDON
    )
    assert csp_round.closes_at.astimezone(LONDON) == dt.datetime(
        csp_round.financial_year, 3, 14, 17, tzinfo=LONDON
    )
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
        sent_back = application.status is ApplicationStatus.DRAFT and application.reference
        if sent_back:
            # A draft again, under the reference it was sent in with: sent back for changes.
            assert last_move(application).action == "request_changes"
        if application.status is ApplicationStatus.DRAFT and not sent_back:
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


def applications_in(round_: Round) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.round_id == round_.id)))


def last_move(application: Application) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "application", AuditEvent.object_id == application.id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).one()


def scorers(application: Application) -> set[int]:
    return {score.assessor_id for score in application.scores}


def test_a_round_at_every_stage(app, ctx):
    """Open, being assessed, moderated and waiting for its decisions, and decided: the demo has
    a Prevention Fund round at each stage, the current year's three sharing its budget."""
    load_demo()
    now = utcnow()
    decision_maker = db.session.scalars(
        select(User).where(User.staff_role == StaffRole.DECISION_MAKER)
    ).one()
    in_assessment = ApplicationStatus.IN_ASSESSMENT

    open_round = round_named("Commissioner's community grants")
    assert open_round.is_open_at(now) and open_round in open_rounds_summary()

    assessing = round_named("Community small grants")
    assert assessing.published_at and assessing.criteria and assessing.closes_at < now
    assert now - assessing.closes_at < dt.timedelta(days=11)
    assessed = applications_in(assessing)
    assert len(assessed) == 6
    assert [a.status for a in assessed].count(ApplicationStatus.INFORMATION_REQUESTED) == 1
    assert {a.status for a in assessed} == {
        in_assessment,
        ApplicationStatus.INFORMATION_REQUESTED,
    }
    # Partly scored: some by two assessors, some by one, one by nobody yet.
    assert sorted(len(scorers(a)) for a in assessed) == [0, 1, 1, 1, 2, 2]
    assert all(a.recommendation is None and a.decision_record is None for a in assessed)
    for application in assessed:
        assigned = {assignment.assessor_id for assignment in application.assignments}
        # Whoever scored was assigned; the one nobody has scored is still to be assigned.
        assert scorers(application) <= assigned
        assert bool(assigned) == bool(scorers(application))
    assert not assessing.is_open_at(now) and assessing not in open_rounds_summary()

    moderated = round_named("Serious violence prevention grants")
    assert moderated.published_at and moderated.closes_at < now - dt.timedelta(weeks=4)
    waiting = applications_in(moderated)
    assert len(waiting) == 8
    threshold = moderated.funding_threshold_percent
    assert threshold == 65
    for application in waiting:
        assert application.status is in_assessment and application.decision_record is None
        assert len(scorers(application)) == 3
        assert len(application.checks) == len(CHECKS)
        assert all(check.passed for check in application.checks)
        # Approval recommended at or above the funding threshold, rejection below it.
        score = mean_percent(application)
        assert score is not None
        assert application.recommendation == ("approve" if score >= threshold else "reject")
        assert (application.recommended_amount_pence is None) == (score < threshold)
    recommended = [a for a in waiting if a.recommendation == "approve"]
    assert len(recommended) == 5
    assert sum(a.recommended_amount_pence or 0 for a in recommended) <= moderated.budget_pence
    # One is above the officers' approval limit: only the decision maker may approve it.
    limit = moderated.approval_limit_pence or 0
    assert any((a.recommended_amount_pence or 0) > limit for a in recommended)
    assert moderation(decision_maker, moderated.id).flagged == 1
    ranked = ranking(decision_maker, moderated.id)
    assert ranked.fits == 5 and ranked.approved_pence == 0

    people_zones = round_named("People Zones")
    decided = applications_in(people_zones)
    assert {a.status for a in decided} == {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}
    assert all(a.decision_record is not None for a in decided)

    year = open_round.financial_year
    assert assessing.financial_year == moderated.financial_year == year
    budget = {b.financial_year: b.amount_pence for b in open_round.programme.budgets}[year]
    assert sum(r.budget_pence for r in (open_round, assessing, moderated)) == budget


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
    # The rounds that closed earlier are for the same year, even when they opened before April.
    for earlier in ("Community small grants", "Serious violence prevention grants"):
        closed = round_named(earlier)
        assert closed.financial_year == 2030 and closed.name.endswith("2030/31")
        assert closed.closes_at < dt.datetime(2030, 4, 20, 10, tzinfo=dt.UTC)
    # The CSP plan round ran before the year; its awards started on 1 April, and by the 20th
    # only the first quarter's instalment has been released and paid.
    csp_round = round_named("CSP annual plans")
    assert csp_round.financial_year == 2030 and csp_round.name.endswith("2030/31")
    assert csp_round.closes_at < dt.datetime(2030, 4, 1, tzinfo=LONDON)
    csp_awards = db.session.scalars(
        select(Award).join(Application).where(Application.round_id == csp_round.id)
    ).all()
    assert len(csp_awards) == 6 and all(a.status is AwardStatus.ACTIVE for a in csp_awards)
    for award in csp_awards:
        paid = [p.due_date for p in award.payments if p.status is PaymentStatus.PAID]
        assert paid == [dt.date(2030, 4, 1)]
        assert all(r.status is ReturnStatus.SCHEDULED for r in award.returns)
    assert reconcile() == []


def test_loading_just_after_midnight_on_1_april_books_nothing_in_the_future(app, ctx):
    """Quarters end at midnight but their returns open at 06:00: a load in between must not book
    the opening of the quarter just gone (it would be a move after "now")."""
    load_demo(now=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))  # 00:30 BST on 1 April
    assert reconcile() == []
    assert verify_ledger().ok


def test_history_before_now_is_refused(app, ctx):
    # The fixed history (People Zones awards to November 2025) cannot be told as past before it.
    with pytest.raises(ValueError, match="after"):
        load_demo(now=dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC))
    assert count(User) == 0 and count(AuditEvent) == 0


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
    assert len(staff) == 7
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
    assert len(community) == 20
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


COMMITTED = {PaymentStatus.CLAIMED, PaymentStatus.APPROVED, PaymentStatus.PAID}
FINISHED = {ReturnStatus.ACCEPTED, ReturnStatus.WAIVED}


def events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_the_history_is_in_the_ledger_and_checkpointed(app, ctx):
    load_demo()
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.events > 50 and report.checkpoints == 1
    assert reconcile() == []

    history = events()
    # Told in the order it happened, all of it before loading.
    times = [event.occurred_at for event in history]
    assert times == sorted(times) and times[-1] <= utcnow()
    # Every object began at its lifecycle's initial state, with a creation event; every
    # state since came from a move (reconcile checks that its history ends at its status).
    first: dict[tuple[str, int], AuditEvent] = {}
    for event in history:
        first.setdefault((event.object_type, event.object_id), event)
    assert {e.object_type for e in first.values()} == set(BY_NAME)
    for (object_type, _), event in first.items():
        assert event.action == "create" and event.from_state is None
        assert event.to_state == BY_NAME[object_type].initial.value
    # The history's follow-ups (emails about decisions made long ago) are never sent now; only
    # the grant agreements are still to be drawn up, one per award.
    assert count(OutboxJob) > 0
    waiting = db.session.scalars(
        select(OutboxJob.job).where(OutboxJob.dispatched_at.is_(None))
    ).all()
    assert waiting and set(waiting) == {"agreement.render"}


def test_audit_commands_pass_on_the_demo(app):
    with app.app_context():
        load_demo()
    runner = app.test_cli_runner()
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("OK:") and "1 checkpoints agree" in verified.output
    reconciled = runner.invoke(args=["audit", "reconcile"])
    assert reconciled.exit_code == 0, reconciled.output


def test_awards_payments_and_returns(app, ctx):
    load_demo()
    today = utcnow().date()
    awards = db.session.scalars(select(Award).order_by(Award.reference)).all()
    people_zones = [a for a in awards if a.reference.startswith("PZ-2425-")]
    assert len(people_zones) == 6
    assert sum(a.amount_pence for a in people_zones) == 3_930_540
    for award in awards:
        if award.intervention_id is None:  # Safer Streets partner awards have no application
            application = db.session.get(Application, award.application_id)
            assert award.reference == f"{application.reference}-A"
        committed = [p for p in award.payments if p.status in COMMITTED]
        # A cancelled instalment (a CSP's, clawed back) holds none of the award.
        holding = [p for p in award.payments if p.status is not PaymentStatus.CANCELLED]
        assert sum(p.amount_pence for p in holding) <= award.amount_pence
        for year in award.years:
            in_year = [p for p in committed if p.financial_year == year.financial_year]
            assert sum(p.amount_pence for p in in_year) <= year.amount_pence
        for payment in award.payments:
            # Segregation of duties: no one approves payments on an award they recommended or
            # approved, and no one pays a payment they approved.
            if payment.approved_by_id is not None:
                assert payment.approved_by_id not in {
                    award.approved_by_id,
                    award.recommended_by_id,
                }
            if payment.status is PaymentStatus.PAID:
                assert payment.paid_by_id not in {None, payment.approved_by_id}
                assert payment.paid_on and payment.payment_reference

    closed = [a for a in awards if a.status is AwardStatus.CLOSED]
    assert closed
    for award in closed:
        assert award.returns and all(r.status in FINISHED for r in award.returns)
        final = [p for p in award.payments if p.is_final]
        assert final and all(p.status is PaymentStatus.PAID for p in final)
        assert sum(p.amount_pence for p in award.payments) == award.amount_pence

    offered = [a for a in awards if a.status is AwardStatus.OFFERED]
    assert offered and all(a.offer_expires_at > utcnow() for a in offered)
    assert {a.status for a in awards} >= {AwardStatus.ACCEPTED, AwardStatus.ACTIVE}
    assert {p.status for a in awards for p in a.payments} == set(PaymentStatus) - {
        PaymentStatus.REJECTED
    }

    returns = db.session.scalars(select(MonitoringReturn)).all()
    statuses = {r.status for r in returns}
    assert statuses >= {ReturnStatus.ACCEPTED, ReturnStatus.SUBMITTED, ReturnStatus.WAIVED}
    # "Overdue" is not a state: it is an open return whose due date has passed.
    assert any(r.status is ReturnStatus.OPEN and r.due_date < today for r in returns)


def test_victim_first_and_safer_streets(app, ctx):
    load_demo()
    first, second = db.session.scalars(select(Contract).order_by(Contract.starts_on)).all()
    assert first.provider.name == second.provider.name == "Catch22"
    assert first.status is ContractStatus.ENDED
    assert (first.starts_on, first.ends_on) == (dt.date(2018, 8, 1), dt.date(2023, 7, 31))
    assert first.extensions_used == first.extension_options == 1
    # In review once its review date has passed (the sweep's flag is in the demo's history):
    # tests/integration/test_demo_commissioning.py has the details.
    from grants.calendar import london_today
    from grants.services.contracts import review_date

    in_review = review_date(second) <= london_today()
    assert second.status is (ContractStatus.REVIEW_DUE if in_review else ContractStatus.ACTIVE)
    assert (second.starts_on, second.ends_on) == (dt.date(2024, 4, 1), dt.date(2027, 3, 31))

    procurement = db.session.scalars(select(Procurement)).one()
    assert procurement.status is ProcurementStatus.CONTRACTED
    assert procurement.replaces is first and procurement.awarded_to_id == first.provider_id
    assert procurement.estimated_value_pence == 150_000_000
    assert procurement.awarded_value_pence == 250_000_000
    awarded = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "procurement", AuditEvent.action == "award"
        )
    ).one()
    # Above the estimate, so the decision maker's.
    assert awarded.actor_role == StaffRole.DECISION_MAKER.value
    assert procurement.standstill_ends_on < awarded.occurred_at.date() + dt.timedelta(days=14)

    bid = db.session.scalars(select(ExternalBid)).one()
    assert bid.status is ExternalBidStatus.DELIVERING and bid.funder_name == "Home Office"
    assert bid.amount_requested_pence == bid.amount_awarded_pence == 96_059_134
    delivery = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "start_delivery")
    ).one()
    assert delivery.occurred_at.astimezone(LONDON).date() == dt.date(2023, 10, 1)


def test_csp_allocations_plans_and_underspend(app, ctx):
    # Imported here: this test alone reads the CSP tables.
    from grants.models.csp import CspAllocation, CspAllocationStatus, CspInvitation, CspUnderspend
    from grants.models.csp import UnderspendStatus as Underspend

    load_demo()
    csp_programme = programme(ProgrammeKind.CSP_ALLOCATION)
    budgets = {b.financial_year: b.amount_pence for b in csp_programme.budgets}
    this_year = round_named("CSP annual plans").financial_year
    for year in (this_year - 1, this_year):
        allocations = db.session.scalars(
            select(CspAllocation).where(CspAllocation.financial_year == year)
        ).all()
        assert len({a.organisation_id for a in allocations}) == len(allocations) == 8
        assert all(a.status is CspAllocationStatus.CONFIRMED for a in allocations)
        assert all(a.population and a.recorded_crime for a in allocations)
        assert 0 < sum(a.amount_pence for a in allocations) <= budgets[year]
    allocated = {
        (a.organisation_id, a.financial_year): a.amount_pence
        for a in db.session.scalars(select(CspAllocation))
    }

    awards = db.session.scalars(
        select(Award).where(Award.programme_id == csp_programme.id).order_by(Award.reference)
    ).all()
    assert awards and all(a.status is AwardStatus.ACTIVE for a in awards)
    today = utcnow().astimezone(LONDON).date()
    for award in awards:
        (year,) = award.years
        assert year.amount_pence <= allocated[(award.organisation_id, year.financial_year)]
        reported = [r for r in award.returns if r.status is ReturnStatus.ACCEPTED]
        if year.financial_year < this_year:
            assert len(reported) == 4
        else:
            # This year's, quarter by quarter: accepted the day after they fall due.
            assert {r.status for r in award.returns if r.due_date < today} <= {
                ReturnStatus.ACCEPTED
            }
            assert {r.status for r in award.returns if r.period_end >= today} <= {
                ReturnStatus.SCHEDULED
            }
        # Each signed off by the partnership's responsible officer, with their role.
        assert all(r.signed_off_by and r.signed_off_role for r in reported)
    last_years = {a.id for a in awards if a.years[0].financial_year == this_year - 1}
    assert len(last_years) == 8

    # This year's plans: all eight partnerships invited, six plans approved and awarded, one
    # sent back for changes (a draft under its reference), one partnership with no plan yet.
    plans = applications_in(round_named("CSP annual plans"))
    assert sorted(a.status.value for a in plans) == ["approved"] * 6 + ["draft"]
    assert {a.application_id for a in awards if a.id not in last_years} == {
        a.id for a in plans if a.status is ApplicationStatus.APPROVED
    }
    (sent_back,) = [a for a in plans if a.status is ApplicationStatus.DRAFT]
    asked = last_move(sent_back)
    assert sent_back.reference and asked.action == "request_changes"
    assert asked.actor_role == StaffRole.COMMISSIONING_OFFICER.value and asked.reason
    invited = db.session.scalars(
        select(CspInvitation.organisation_id).where(
            CspInvitation.round_id == round_named("CSP annual plans").id
        )
    ).all()
    assert len(set(invited)) == 8
    assert len(set(invited) - {a.organisation_id for a in plans}) == 1

    underspends = db.session.scalars(select(CspUnderspend).order_by(CspUnderspend.id)).all()
    by_decision = {flag.decision: flag for flag in underspends}
    assert len(underspends) == len(by_decision) == 3
    rolled, clawed, waiting = (by_decision[d] for d in ("roll_over", "claw_back", None))
    assert rolled.status is clawed.status is Underspend.DECIDED
    assert rolled.decision_pence == 1_800_000 <= rolled.forecast_unspent_pence
    assert 0 < clawed.decision_pence <= clawed.forecast_unspent_pence
    assert waiting.status is Underspend.FLAGGED and waiting.decision is None
    for flag in underspends:
        assert flag.forecast_unspent_pence > flag.threshold_pence == 1_500_000
        assert flag.award_id in last_years
        # Flagged in last year's history, not when the demo was loaded.
        assert flag.created_at < dt.datetime(this_year, 4, 1, tzinfo=dt.UTC)


def test_a_csp_claw_back_cancels_the_instalment_not_yet_paid(app, ctx):
    """Last year Harborough's second-quarter forecast left more than the threshold unspent;
    the Commissioner clawed back its fourth quarter's instalment, before it was released, so
    the instalment was cancelled and the third became the final payment."""
    from grants.models.csp import CspUnderspend

    load_demo()
    flag = db.session.scalars(
        select(CspUnderspend).where(CspUnderspend.decision == "claw_back")
    ).one()
    award = db.session.get(Award, flag.award_id)
    assert award.organisation.name == "Harborough Community Safety Partnership"
    flagged_on = db.session.get(MonitoringReturn, flag.return_id)
    assert flagged_on.period_start == dt.date(flag.financial_year, 7, 1)  # the second quarter
    assert flag.forecast_unspent_pence > flag.threshold_pence

    *paid, last = sorted(award.payments, key=lambda p: p.due_date)
    assert [p.status for p in paid] == [PaymentStatus.PAID] * 3
    assert last.status is PaymentStatus.CANCELLED and last.approved_by_id is None
    assert flag.decision_pence == last.amount_pence
    # Decided before the instalment would have been released, a week before its quarter.
    released = dt.datetime.combine(last.due_date - dt.timedelta(days=7), dt.time(11), LONDON)
    assert flag.decided_at < released
    # The year is lowered by exactly the instalment, and what was paid is the whole award.
    (year,) = award.years
    assert year.amount_pence == award.amount_pence == flag.funded_pence - flag.decision_pence
    assert sum(p.amount_pence for p in paid) == award.amount_pence
    assert [p.is_final for p in (*paid, last)] == [False, False, True, False]

    # The decision and the money it moved, together, by the decision maker, on the ledger.
    moves = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.occurred_at == flag.decided_at, AuditEvent.action != "create")
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.object_type, e.object_id, e.action) for e in moves] == [
        ("underspend", flag.id, "claw_back"),
        ("payment", last.id, "cancel"),
        ("award", award.id, "reduce"),
    ]
    assert {e.actor_role for e in moves} == {StaffRole.DECISION_MAKER.value}
    assert reconcile() == []

    # Its year is over and every return is in, so the officer can close it: the cancelled
    # instalment is not waited for.
    assert all(r.status is ReturnStatus.ACCEPTED for r in award.returns)
    officer = db.session.scalars(select(User).where(User.email == "officer@opcc.example.org")).one()
    engine.fire(officer, award, "close")
    assert award.status is AwardStatus.CLOSED
    assert reconcile() == []
