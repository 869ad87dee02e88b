"""CSP allocations: the methods' arithmetic, recording them through the engine, confirming
only within the programme's budget, and a CSP plan approved only within its allocation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    BudgetLine,
    OrganisationType,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    StaffRole,
    User,
)
from grants.models.csp import CspAllocation, CspAllocationStatus, CspUnderspend, UnderspendStatus
from grants.services import csp
from grants.services.errors import ServiceError
from tests.conftest import (
    approve_via_page,
    make_organisation,
    make_staff,
    open_round,
    post_form,
    ready_for_decision,
    sign_in_as,
)
from workflows.csp_rules import rolled_over_into, within_csp_allocation
from workflows.declaration import Move
from workflows.engine import fire
from workflows.errors import GuardFailed

YEAR = 2026
# Mid-2022 population estimates and a year's recorded crime, rounded: real-looking inputs.
AREAS = {
    "Safer Leicester Partnership": (368_600, 45_100),
    "Charnwood CSP": (183_900, 12_200),
    "Safer Rutland Partnership": (41_000, 1_900),
}


def csp_world(budget_pence: int = 50_000_000) -> tuple[Programme, dict[str, int]]:
    programme = Programme(name="CSP funding", slug="csp", kind=ProgrammeKind.CSP_ALLOCATION)
    programme.budgets.append(ProgrammeBudget(financial_year=YEAR, amount_pence=budget_pence))
    db.session.add(programme)
    db.session.commit()
    ids = {
        name: make_organisation(name, org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP).id
        for name in AREAS
    }
    return programme, ids


def formula(ids: dict[str, int], pot: int = 50_000_000) -> csp.MethodChoice:
    return csp.MethodChoice(
        csp.FORMULA,
        pot_pence=pot,
        population_weight=60,
        crime_weight=40,
        inputs={ids[name]: AREAS[name] for name in AREAS},
    )


# The arithmetic ----------------------------------------------------------------------------


def test_flat_gives_every_area_the_same():
    assert csp.flat_allocations([3, 1, 2], 3_500_000) == {3: 3_500_000, 1: 3_500_000, 2: 3_500_000}


def test_formula_weights_population_and_crime_shares():
    # Two areas: A has all the people, B all the crime; 60/40 gives 60% and 40% of the pot.
    assert csp.formula_allocations(1_000_000, {1: (100, 0), 2: (0, 50)}, 60, 40) == {
        1: 600_000,
        2: 400_000,
    }


def test_formula_rounds_to_pence_adding_up_to_the_pot_exactly():
    # Three equal areas cannot have a third of a penny each: the odd penny goes to one.
    result = csp.formula_allocations(100, {1: (1, 1), 2: (1, 1), 3: (1, 1)}, 50, 50)
    assert sum(result.values()) == 100
    assert sorted(result.values()) == [33, 33, 34]


@settings(max_examples=200, deadline=None)
@given(
    pot=st.integers(min_value=0, max_value=10**10),
    areas=st.lists(
        st.tuples(st.integers(0, 10**7), st.integers(0, 10**6)), min_size=1, max_size=10
    ).filter(lambda areas: sum(p for p, _ in areas) > 0 and sum(c for _, c in areas) > 0),
    weight=st.integers(min_value=0, max_value=100),
)
def test_formula_always_adds_up_and_never_goes_negative(pot, areas, weight):
    result = csp.formula_allocations(pot, dict(enumerate(areas)), weight, 100 - weight)
    assert sum(result.values()) == pot
    assert min(result.values()) >= 0


def test_weights_not_adding_to_100_are_refused():
    with pytest.raises(ServiceError, match="add up to 100"):
        csp.formula_allocations(100, {1: (1, 1)}, 60, 30)


# Recording and confirming ------------------------------------------------------------------


def test_setting_the_method_proposes_each_allocation_through_the_engine(ctx):
    programme, ids = csp_world()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    page = csp.set_method(officer, programme.id, YEAR, formula(ids))
    assert page.total_pence == 50_000_000
    assert page.basis.population_weight == 60 and page.basis.pot_pence == 50_000_000
    leicester = next(
        r.allocation for r in page.rows if r.organisation.id == ids["Safer Leicester Partnership"]
    )
    assert (leicester.population, leicester.recorded_crime) == AREAS["Safer Leicester Partnership"]
    created = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "csp_allocation")
    ).all()
    assert [e.action for e in created] == ["create"] * 3

    # Changing the method recalculates: a ``revise`` move per allocation, with its inputs.
    flat = csp.MethodChoice(csp.FLAT, flat_pence=10_000_000)
    page = csp.set_method(officer, programme.id, YEAR, flat)
    assert page.total_pence == 30_000_000 and page.difference_pence == 20_000_000
    revised = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "revise")).all()
    assert len(revised) == 3 and all('"10000000"' in e.amounts for e in revised)


def test_confirming_within_budget_records_each_in_the_ledger(ctx):
    programme, ids = csp_world()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_method(officer, programme.id, YEAR, formula(ids))
    page = csp.confirm_allocations(officer, programme.id, YEAR)
    assert page.all_confirmed
    assert all(r.allocation.confirmed_by_id == officer.id for r in page.rows)
    confirms = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "confirm")).all()
    assert len(confirms) == 3
    with pytest.raises(ServiceError, match="cannot be recalculated"):
        csp.set_method(officer, programme.id, YEAR, formula(ids))


def test_over_budget_allocations_are_refused_showing_the_difference(ctx):
    programme, _ = csp_world(budget_pence=25_000_000)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_method(officer, programme.id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=9_000_000))
    with pytest.raises(
        ServiceError, match=r"£270,000.00, which is £20,000.00 more than the budget"
    ):
        csp.confirm_allocations(officer, programme.id, YEAR)
    statuses = db.session.scalars(select(CspAllocation.status)).all()
    assert set(statuses) == {CspAllocationStatus.PROPOSED}
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "confirm")).all()


def test_the_engine_refuses_a_confirmation_over_budget_even_without_the_service(ctx):
    from workflows.engine import fire
    from workflows.errors import GuardFailed

    programme, _ = csp_world(budget_pence=25_000_000)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_method(officer, programme.id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=9_000_000))
    allocation = db.session.scalars(select(CspAllocation)).first()
    with pytest.raises(GuardFailed, match="more than the budget"):
        fire(officer, allocation, "confirm")


def test_the_pages_refuse_over_budget_with_400_and_change_nothing(app, client):
    with app.app_context():
        programme, _ = csp_world(budget_pence=25_000_000)
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        programme_id = programme.id
        sign_in_as(client, officer)
    url = f"/staff/csp/{programme_id}/allocations?year={YEAR}"
    response = post_form(client, url, {"method": "flat", "flat_amount": "90,000"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "£270,000.00" in page and "cannot be confirmed" in page
    confirm = f"/staff/csp/{programme_id}/allocations/confirm?year={YEAR}"
    response = post_form(client, confirm, {}, token_from=url)
    assert response.status_code == 400
    assert "£20,000.00 more than the budget" in response.get_data(as_text=True)
    # A method form with a wrong input is a 400 that changes nothing.
    response = post_form(
        client, url, {"method": "formula", "pot": "250,000", "population_weight": "70",
                      "crime_weight": "40"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The two weights must add up to 100" in response.get_data(as_text=True)


def test_pages_for_programmes_that_are_not_csp_funding(app, client):
    with app.app_context():
        round_ = open_round()
        db.session.add(round_)
        db.session.commit()
        programme_id = round_.programme_id
        sign_in_as(client, make_staff(StaffRole.COMMISSIONING_OFFICER))
    assert client.get(f"/staff/csp/{programme_id}/allocations").status_code == 302
    assert client.get("/staff/csp/999999/allocations").status_code == 404
    assert client.get("/staff/csp/1/allocations?year=nonsense").status_code == 400
    assert post_form(client, "/staff/csp/999999/allocations", {}, "/staff/csp").status_code == 404


def test_community_users_cannot_use_the_pages(app, client):
    from tests.conftest import make_member

    with app.app_context():
        programme, ids = csp_world()
        owner = make_member(make_organisation("Charnwood member org"), "m@example.org")
        programme_id = programme.id
        sign_in_as(client, owner)
    assert client.get("/staff/csp").status_code == 403
    assert client.get(f"/staff/csp/{programme_id}/allocations").status_code == 403
    assert client.get(f"/staff/csp/partnerships/{ids['Charnwood CSP']}").status_code == 403


# The guard on approving a CSP plan ---------------------------------------------------------


def plan(programme: Programme, organisation_id: int) -> Application:
    round_ = open_round()
    db.session.add(round_)
    round_.programme = programme
    round_.invitation_only = True
    creator = make_staff(StaffRole.ASSESSOR)  # who started it does not matter here
    application = Application(
        round=round_,
        organisation_id=organisation_id,
        created_by_id=creator.id,
        project_title="Charnwood CSP plan 2026/27",
        amount_requested_pence=8_000_000,
        status=ApplicationStatus.IN_ASSESSMENT,
    )
    db.session.add(application)
    db.session.commit()
    return application


def guard(application: Application, amount: int) -> str | None:
    from grants.models import utcnow

    move = Move(None, "decision_maker", application, "approve", {"amount_pence": amount}, utcnow())
    return within_csp_allocation(move)


def test_a_plan_cannot_be_approved_beyond_the_confirmed_allocation(ctx):
    programme, ids = csp_world()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    application = plan(programme, ids["Charnwood CSP"])
    assert "no confirmed allocation for 2026/27" in guard(application, 1_000_000)
    csp.set_method(officer, programme.id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=6_000_000))
    assert "no confirmed allocation" in guard(application, 1_000_000)  # proposed is not enough
    csp.confirm_allocations(officer, programme.id, YEAR)
    assert guard(application, 6_000_000) is None  # exactly the allocation
    assert guard(application, 6_000_001) == (
        "This is more than the partnership's allocation for 2026/27 allows: "
        "£60,000.00 of £60,000.00 is left"
    )


def test_money_rolled_over_into_the_year_is_not_approved_again(ctx):
    """A roll-over was paid the year before and kept: the plan is still held to the allocation,
    so the award never pays that money twice."""
    programme, ids = csp_world()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_method(officer, programme.id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=6_000_000))
    csp.confirm_allocations(officer, programme.id, YEAR)
    db.session.add(
        CspUnderspend(
            programme_id=programme.id, organisation_id=ids["Charnwood CSP"],
            financial_year=YEAR - 1, status=UnderspendStatus.DECIDED, funded_pence=6_000_000,
            spent_to_date_pence=3_000_000, forecast_rest_pence=1_200_000,
            forecast_unspent_pence=1_800_000, threshold_pence=1_500_000, decision="roll_over",
            decision_pence=1_800_000, decision_reason="Youth diversion starts late",
        )
    )  # fmt: skip
    db.session.commit()
    application = plan(programme, ids["Charnwood CSP"])
    assert rolled_over_into(programme.id, ids["Charnwood CSP"], YEAR) == 1_800_000
    assert guard(application, 6_000_000) is None
    assert "£60,000.00 of £60,000.00 is left" in guard(application, 6_000_001)


def confirmed_plan() -> tuple[Application, User]:
    """Charnwood's plan for £80,000, recommended, in assessment; its confirmed allocation
    £60,000. Gives the plan and a decision maker who may decide it."""
    programme, ids = csp_world()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_method(officer, programme.id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=6_000_000))
    csp.confirm_allocations(officer, programme.id, YEAR)
    application = plan(programme, ids["Charnwood CSP"])
    application.budget_lines.append(
        BudgetLine(position=1, financial_year=YEAR, category="ASB", amount_pence=8_000_000)
    )
    decider = make_staff(StaffRole.DECISION_MAKER)
    ready_for_decision(application, decider)
    db.session.commit()
    return application, decider


def test_the_engine_refuses_approving_a_plan_beyond_the_allocation(ctx):
    application, decider = confirmed_plan()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(GuardFailed, match=r"£60,000\.00 of £60,000\.00 is left"):
        fire(decider, application, "approve", amount_pence=6_000_001)
    db.session.rollback()
    assert application.status is ApplicationStatus.IN_ASSESSMENT
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    fire(decider, application, "approve", amount_pence=6_000_000)
    assert application.status is ApplicationStatus.APPROVED


def test_the_approval_page_refuses_a_plan_beyond_the_allocation_and_makes_no_offer(app, client):
    with app.test_request_context():
        application, decider = confirmed_plan()
        application_id, version = application.id, application.version
        sign_in_as(client, decider)
    refused = approve_via_page(client, application_id, version, "60,000.01", year_2026="60,000.01")
    assert refused.status_code == 400
    assert "govuk-error-summary" in refused.text
    assert "£60,000.00 of £60,000.00 is left" in refused.text
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.IN_ASSESSMENT
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0
    approved = approve_via_page(client, application_id, version, "60,000", year_2026="60,000")
    assert approved.status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status is ApplicationStatus.APPROVED
        assert db.session.scalar(select(Award.amount_pence)) == 6_000_000


def test_other_programmes_are_untouched_by_the_csp_guard(ctx):
    round_ = open_round()
    organisation = make_organisation()
    application = Application(
        round=round_, organisation_id=organisation.id, project_title="Boxing",
        created_by_id=make_staff(StaffRole.ASSESSOR).id,
        amount_requested_pence=100, status=ApplicationStatus.IN_ASSESSMENT,
    )  # fmt: skip
    db.session.add(application)
    db.session.commit()
    assert guard(application, 10**9) is None
