"""Underspend early warning: the threshold's edges, a flag through the engine, the decision
recorded in the ledger, and the Police and Crime Panel's page of figures."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    AwardYear,
    BudgetLine,
    MonitoringReturn,
    OrganisationType,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    ReturnSpend,
    ReturnStatus,
    Round,
    StaffRole,
)
from grants.models.audit import AuditEvent
from grants.models.csp import CspUnderspend, UnderspendStatus
from grants.services import csp
from grants.services.errors import NotFound, ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as

YEAR = 2026
FUNDED = 6_000_000  # £60,000 released for the year


def csp_award() -> MonitoringReturn:
    """Melton CSP's award for 2026/27 on its approved plan (one budget line), with a Q2
    return sent in and nothing spent yet."""
    programme = Programme(name="CSP funding", slug="csp", kind=ProgrammeKind.CSP_ALLOCATION)
    programme.budgets.append(ProgrammeBudget(financial_year=YEAR, amount_pence=50_000_000))
    melton = make_organisation("Melton CSP", org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
    lucy = make_member(melton, "melton@csp.example.org")
    opens = dt.datetime(2026, 2, 16, 9, tzinfo=dt.UTC)
    round_ = Round(
        programme=programme, name="CSP annual plans 2026/27", reference_prefix="CSP",
        financial_year=YEAR, opens_at=opens, closes_at=opens + dt.timedelta(weeks=4),
        budget_pence=50_000_000, min_award_pence=1_000_000, max_award_pence=15_000_000,
        short_form_threshold_pence=0, invitation_only=True,
    )  # fmt: skip
    plan = Application(
        round=round_, organisation_id=melton.id, created_by_id=lucy.id,
        reference="CSP-2627-0001", project_title="Melton CSP plan 2026/27",
        status=ApplicationStatus.APPROVED, amount_requested_pence=FUNDED,
        amount_approved_pence=FUNDED,
        budget_lines=[BudgetLine(position=1, financial_year=YEAR, category="Anti-social behaviour",
                                 description="Town centre ASB case work", amount_pence=FUNDED)],
    )  # fmt: skip
    award = Award(
        reference="CSP-2627-0001-A", programme=programme, organisation_id=melton.id,
        application=plan, title="Melton CSP plan 2026/27", amount_pence=FUNDED,
        status=AwardStatus.ACTIVE, years=[AwardYear(financial_year=YEAR, amount_pence=FUNDED)],
    )  # fmt: skip
    paid = Payment(
        award=award, financial_year=YEAR, amount_pence=3_000_000, status=PaymentStatus.PAID
    )
    monitoring_return = MonitoringReturn(
        award=award, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30),
        due_date=dt.date(2026, 10, 31), status=ReturnStatus.ACCEPTED,
        signed_off_by="Lucy Hartley", signed_off_role="Head of Communities",
    )  # fmt: skip
    db.session.add_all([programme, round_, plan, award, paid, monitoring_return])
    db.session.commit()
    return monitoring_return


def spend(monitoring_return: MonitoringReturn, pence: int) -> None:
    """The return reports ``pence`` spent to date on the plan's budget line."""
    (line,) = monitoring_return.award.application.budget_lines
    monitoring_return.spend = [ReturnSpend(budget_line_id=line.id, spent_pence=pence)]
    db.session.commit()


@pytest.mark.parametrize(
    ("rest_of_year", "flagged"),
    [
        (2_500_000, False),  # £60,000 - £20,000 - £25,000 = £15,000: at the threshold, not over
        (2_499_999, True),  # a penny over the threshold
        (0, True),
    ],
)
def test_the_threshold_edges(ctx, rest_of_year, flagged):
    monitoring_return = csp_award()
    spend(monitoring_return, 2_000_000)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    flag = csp.record_forecast(officer, monitoring_return.id, rest_of_year)
    assert (flag is not None) is flagged
    if flagged:
        assert flag.forecast_unspent_pence == FUNDED - 2_000_000 - rest_of_year
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "underspend"))
        assert event.action == "create"


def test_a_second_forecast_does_not_flag_twice(ctx):
    monitoring_return = csp_award()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.record_forecast(officer, monitoring_return.id, 0)
    assert csp.record_forecast(officer, monitoring_return.id, 100) is None
    assert len(db.session.scalars(select(CspUnderspend)).all()) == 1


def test_a_decision_is_recorded_in_the_ledger(ctx):
    monitoring_return = csp_award()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    flag = csp.record_forecast(officer, monitoring_return.id, 2_000_000)  # £40,000 unspent
    organisation_id = flag.organisation_id
    with pytest.raises(ServiceError, match=r"more than the forecast unspent of £40,000\.00"):
        csp.decide_underspend(
            officer, organisation_id, "claw_back", 4_000_001, "Too much", flag.version
        )
    csp.decide_underspend(
        officer,
        organisation_id,
        "claw_back",
        1_500_000,
        "Actions 3 and 4 will not run",
        flag.version,
    )
    assert flag.status is UnderspendStatus.DECIDED
    assert (flag.decision, flag.decision_pence) == ("claw_back", 1_500_000)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claw_back"))
    assert event.reason == "Actions 3 and 4 will not run"
    assert '"decided_pence":"1500000"' in event.amounts.replace(" ", "")
    with pytest.raises(NotFound):  # nothing left waiting
        csp.decide_underspend(officer, organisation_id, "roll_over", 1, "Again", None)


def test_the_panel_page_shows_the_years_figures(app, client):
    with app.app_context():
        monitoring_return = csp_award()
        spend(monitoring_return, 2_000_000)
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        organisation_id = monitoring_return.award.organisation_id
        page = csp.panel_page(officer, organisation_id)
        (year,) = page.years
        assert (year.awarded_pence, year.paid_pence, year.spent_pence) == (
            FUNDED,
            3_000_000,
            2_000_000,
        )
        sign_in_as(client, officer)
    body = client.get(f"/staff/csp/partnerships/{organisation_id}").get_data(as_text=True)
    assert "Lucy Hartley, Head of Communities" in body
    assert "£60,000.00" in body and "£30,000.00" in body and "£20,000.00" in body


def test_forms_with_errors_are_400_and_missing_objects_404(app, client):
    with app.app_context():
        monitoring_return = csp_award()
        return_id = monitoring_return.id
        organisation_id = monitoring_return.award.organisation_id
        other = make_organisation("Boxing Club").id
        sign_in_as(client, make_staff(StaffRole.COMMISSIONING_OFFICER))
    url = f"/staff/csp/returns/{return_id}/forecast"
    assert post_form(client, url, {"rest_of_year": "lots"}).status_code == 400
    assert client.get("/staff/csp/returns/999999/forecast").status_code == 404
    assert client.get("/staff/csp/partnerships/999999").status_code == 404
    assert client.get(f"/staff/csp/partnerships/{other}").status_code == 302  # not a CSP
    decide = f"/staff/csp/partnerships/{organisation_id}/underspend"
    assert post_form(client, decide, {"decision": "claw_back"}).status_code == 404  # no flag
    assert post_form(client, url, {"rest_of_year": "0"}).status_code == 302
    response = post_form(client, decide, {"decision": "claw_back", "amount": "", "reason": ""})
    assert response.status_code == 400


# The programme's own threshold ---------------------------------------------------------------


def test_each_programme_has_its_own_threshold_starting_at_15000_pounds(ctx):
    monitoring_return = csp_award()
    programme = monitoring_return.award.programme
    other = Programme(name="Rutland CSP funding", slug="csp-2", kind=ProgrammeKind.CSP_ALLOCATION)
    db.session.add(other)
    db.session.commit()
    assert programme.underspend_threshold_pence == other.underspend_threshold_pence == 1_500_000

    csp.set_underspend_threshold(make_staff(StaffRole.DECISION_MAKER), programme.id, 5_000_000)

    assert (programme.underspend_threshold_pence, other.underspend_threshold_pence) == (
        5_000_000,
        1_500_000,
    )


def test_the_rule_uses_the_programmes_threshold_and_a_flag_keeps_the_one_it_was_raised_at(ctx):
    monitoring_return = csp_award()
    programme_id = monitoring_return.award.programme_id
    spend(monitoring_return, 2_000_000)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    csp.set_underspend_threshold(officer, programme_id, 4_000_000)
    # £60,000 - £20,000 - £0 = £40,000 forecast unspent: at the programme's £40,000, not over.
    assert csp.record_forecast(officer, monitoring_return.id, 0) is None
    assert csp.forecast_page(officer, monitoring_return.id).threshold_pence == 4_000_000

    csp.set_underspend_threshold(officer, programme_id, 3_999_900)
    flag = csp.record_forecast(officer, monitoring_return.id, 0)

    assert flag is not None and flag.threshold_pence == 3_999_900
    csp.set_underspend_threshold(officer, programme_id, 0)
    assert flag.threshold_pence == 3_999_900
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "underspend"))
    assert '"threshold_pence":"3999900"' in event.amounts.replace(" ", "")


@pytest.mark.parametrize(
    ("pence", "message"),
    [
        (-100, "£0 or more"),
        (1_500_050, "whole pounds"),
        (10_000_000_00 + 100, "£10,000,000 or less"),
    ],
)
def test_a_threshold_that_is_not_whole_pounds_or_is_negative_is_refused(ctx, pence, message):
    monitoring_return = csp_award()
    programme = monitoring_return.award.programme
    with pytest.raises(ServiceError, match=message) as refusal:
        csp.set_underspend_threshold(
            make_staff(StaffRole.COMMISSIONING_OFFICER), programme.id, pence
        )
    assert refusal.value.field == "threshold"
    db.session.rollback()
    assert programme.underspend_threshold_pence == 1_500_000


def test_only_officers_and_decision_makers_set_the_threshold_and_only_on_csp_funding(ctx):
    monitoring_return = csp_award()
    programme_id = monitoring_return.award.programme_id
    community = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    db.session.add(community)
    db.session.commit()
    for role in (StaffRole.ASSESSOR, StaffRole.FINANCE, StaffRole.ADMINISTRATOR):
        with pytest.raises(NotFound):
            csp.set_underspend_threshold(make_staff(role), programme_id, 100)
    with pytest.raises(NotFound):
        csp.set_underspend_threshold(make_member(make_organisation(), "a@b.example.org"), 1, 100)
    with pytest.raises(csp.NotCsp):
        csp.set_underspend_threshold(make_staff(StaffRole.COMMISSIONING_OFFICER), community.id, 100)
    assert monitoring_return.award.programme.underspend_threshold_pence == 1_500_000


def test_the_threshold_page_saves_whole_pounds_and_shows_errors_changing_nothing(app, client):
    with app.app_context():
        programme_id = csp_award().award.programme_id
        community = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
        db.session.add(community)
        db.session.commit()
        community_id = community.id
        sign_in_as(client, make_staff(StaffRole.COMMISSIONING_OFFICER))
    url = f"/staff/csp/{programme_id}/underspend-threshold"
    page = client.get(url)
    assert page.status_code == 200 and 'value="15,000"' in page.text
    assert f'href="{url}"' in client.get("/staff/csp").text

    for typed, message in [
        ("15,000.50", "Enter the threshold in whole pounds, like 15,000 (no pence)"),
        ("-5", "Enter the threshold in whole pounds, like 15,000"),
        ("", "Enter the threshold in whole pounds, like 15,000"),
        ("lots", "Enter the threshold in whole pounds, like 15,000"),
        ("20,000,000", "The threshold must be £10,000,000 or less"),
    ]:
        response = post_form(client, url, {"threshold": typed})
        assert response.status_code == 400, typed
        assert "govuk-error-summary" in response.text and message in response.text, typed
        assert 'href="#threshold"' in response.text, typed
    with app.app_context():
        assert db.session.get(Programme, programme_id).underspend_threshold_pence == 1_500_000

    response = post_form(client, url, {"threshold": "£20,000"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/csp#thresholds")
    overview = client.get("/staff/csp").text
    assert "Underspend threshold for CSP funding saved." in overview and "£20,000" in overview
    with app.app_context():
        assert db.session.get(Programme, programme_id).underspend_threshold_pence == 2_000_000

    # Not CSP funding: a GET goes back to the overview, a POST is not found.
    other = f"/staff/csp/{community_id}/underspend-threshold"
    assert client.get(other).status_code == 302
    assert post_form(client, other, {"threshold": "1"}, token_from=url).status_code == 404
    assert client.get("/staff/csp/999999/underspend-threshold").status_code == 404


def test_staff_who_do_not_manage_funding_see_the_threshold_but_cannot_change_it(app, client):
    with app.app_context():
        programme_id = csp_award().award.programme_id
        sign_in_as(client, make_staff(StaffRole.FINANCE))
    url = f"/staff/csp/{programme_id}/underspend-threshold"
    overview = client.get("/staff/csp").text
    assert "£15,000" in overview and url not in overview
    assert client.get(url).status_code == 403
    assert post_form(client, url, {"threshold": "1"}, token_from="/staff/csp").status_code == 403
    with app.app_context():
        assert db.session.get(Programme, programme_id).underspend_threshold_pence == 1_500_000


# Decisions move the money ----------------------------------------------------------------------


def flagged(unspent_pence: int = 3_000_000) -> CspUnderspend:
    """Melton CSP flagged with ``unspent_pence`` forecast unspent: £30,000 of its £60,000 paid,
    the other £30,000 scheduled in two instalments, and its allocation for the year confirmed."""
    monitoring_return = csp_award()
    award = monitoring_return.award
    for due in (dt.date(2026, 10, 1), dt.date(2027, 1, 1)):
        award.payments.append(Payment(financial_year=YEAR, amount_pence=1_500_000, due_date=due))
    db.session.commit()
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    programme_id = award.programme_id
    csp.set_method(officer, programme_id, YEAR, csp.MethodChoice(csp.FLAT, flat_pence=FUNDED))
    csp.confirm_allocations(officer, programme_id, YEAR)
    return csp.record_forecast(officer, monitoring_return.id, FUNDED - unspent_pence)


def last_event(object_type: str, action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.action == action)
        .order_by(AuditEvent.seq.desc())
    ).first()


def decide(flag: CspUnderspend, decision: str, pence: int) -> CspUnderspend:
    return csp.decide_underspend(
        make_staff(StaffRole.DECISION_MAKER, f"{decision}@opcc.example.org"),
        flag.organisation_id,
        decision,
        pence,
        "The vacant post will not be filled this year",
        flag.version,
    )


def test_clawing_back_lowers_the_award_for_the_year_and_its_scheduled_payments(ctx):
    flag = flagged()
    award = db.session.get(Award, flag.award_id)
    decide(flag, "claw_back", 2_000_000)
    (year,) = award.years
    assert (award.amount_pence, year.amount_pence) == (4_000_000, 4_000_000)
    # The latest instalment goes first: £15,000 cancelled, then £5,000 off the one before.
    scheduled = sorted((p.due_date, p.amount_pence, p.status) for p in award.payments if p.due_date)
    assert scheduled == [
        (dt.date(2026, 10, 1), 1_000_000, PaymentStatus.SCHEDULED),
        (dt.date(2027, 1, 1), 1_500_000, PaymentStatus.CANCELLED),
    ]
    reduce = last_event("award", "reduce")
    assert reduce.object_id == award.id and "clawed back" in reduce.reason
    # What reconcile compares: the ledger's last amounts are the award's amounts now.
    assert '"amount_pence":"4000000"' in reduce.amounts.replace(" ", "")


def test_a_claw_back_below_what_is_paid_is_refused_by_the_engine_and_changes_nothing(ctx):
    flag = flagged(4_500_000)
    award = db.session.get(Award, flag.award_id)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    # £30,000 is paid: the year can come down by £30,000 at most.
    with pytest.raises(ServiceError, match=r"reduced by £30,000\.00 at most"):
        decide(flag, "claw_back", 4_000_000)
    db.session.expire_all()
    assert flag.status is UnderspendStatus.FLAGGED and flag.decision is None
    assert award.amount_pence == FUNDED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_reallocating_gives_the_amount_back_to_the_years_unallocated_pot(ctx):
    flag = flagged()
    award = db.session.get(Award, flag.award_id)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "reader@opcc.example.org")
    before = csp.allocations_page(officer, flag.programme_id, YEAR)
    allocated, unallocated = before.total_pence, before.difference_pence
    decide(flag, "reallocate", 2_500_000)
    after = csp.allocations_page(officer, flag.programme_id, YEAR)
    assert after.total_pence == allocated - 2_500_000
    assert after.difference_pence == unallocated + 2_500_000
    assert award.amount_pence == FUNDED - 2_500_000
    release = last_event("csp_allocation", "release")
    assert '"allocation_pence":"3500000"' in release.amounts.replace(" ", "")
    assert last_event("award", "reduce").object_id == award.id


def test_rolling_over_is_kept_to_spend_next_year_and_never_paid_twice(ctx):
    flag = flagged()
    programme_id, organisation_id = flag.programme_id, flag.organisation_id
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, "reader@opcc.example.org")
    db.session.add(
        ProgrammeBudget(programme_id=programme_id, financial_year=YEAR + 1, amount_pence=FUNDED)
    )
    db.session.commit()
    csp.set_method(officer, programme_id, YEAR + 1, csp.MethodChoice(csp.FLAT, flat_pence=FUNDED))
    csp.confirm_allocations(officer, programme_id, YEAR + 1)
    award = db.session.get(Award, flag.award_id)

    decide(flag, "roll_over", 1_800_000)

    assert award.amount_pence == FUNDED  # this year's award and payments stay as they were
    page = csp.allocations_page(officer, programme_id, YEAR + 1)
    (row,) = page.rows
    assert (row.allocation.amount_pence, row.rolled_over_pence) == (FUNDED, 1_800_000)
    assert row.to_spend_pence == FUNDED + 1_800_000
    assert page.total_pence == FUNDED  # it does not count against next year's budget
    (next_year, _) = csp.panel_page(officer, organisation_id).years
    assert (next_year.year, next_year.rolled_over_pence) == (YEAR + 1, 1_800_000)


def test_the_decision_page_shows_an_engine_refusal_and_changes_nothing(app, client):
    with app.app_context():
        flag = flagged(4_500_000)
        organisation_id, award_id, version = flag.organisation_id, flag.award_id, flag.version
        flag_id = flag.id
        sign_in_as(client, make_staff(StaffRole.DECISION_MAKER, "dm@opcc.example.org"))
    url = f"/staff/csp/partnerships/{organisation_id}/underspend"
    form = {
        "decision": "claw_back",
        "amount": "40,000",
        "reason": "The post will not be filled",
        "version": str(version),
    }
    response = post_form(client, url, form)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and "£30,000.00 at most" in response.text
    with app.app_context():
        assert db.session.get(CspUnderspend, flag_id).status is UnderspendStatus.FLAGGED
        assert db.session.get(Award, award_id).amount_pence == FUNDED
    response = post_form(client, url, {**form, "amount": "10,000"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Award, award_id).amount_pence == FUNDED - 1_000_000
