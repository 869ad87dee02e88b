"""The contract register, KPI returns (provider submits, officer rates), the review window (the
sweep flags a contract, or the officer starts its review once its review date has come) and the
decisions at review: extend only while options remain (scheduling the added quarters' KPI
returns and adding the months' value), recommission, decommission."""

from __future__ import annotations

import datetime as dt

import pytest

from grants.calendar import london_today
from grants.extensions import db
from grants.models import AuditEvent, Programme, ProgrammeKind, StaffRole
from grants.models.commissioning import (
    Contract,
    ContractKpi,
    ContractStatus,
    KpiRating,
    KpiReturn,
    KpiReturnStatus,
    OptionsAppraisal,
    Procurement,
)
from grants.services import contracts
from grants.services.errors import ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as
from workflows.contract import years_at_value_a_year
from workflows.engine import create, fire
from workflows.errors import GuardFailed

TODAY = dt.date.today()


def make_contract(provider=None, *, ends_on=None, options=1, used=0, status=ContractStatus.ACTIVE):  # type: ignore[no-untyped-def]
    provider = provider or make_organisation("Catch22")
    programme = db.session.query(Programme).filter_by(slug="victims").one_or_none() or Programme(
        name="Victims", slug="victims", kind=ProgrammeKind.COMMISSIONED_SERVICE
    )
    ends_on = ends_on or dt.date(2027, 3, 31)
    contract = Contract(
        programme=programme,
        provider_id=provider.id,
        title="Victim First",
        service="Victims' services",
        annual_value_pence=50_000_000,
        starts_on=dt.date(2024, 4, 1),
        ends_on=ends_on,
        extension_options=options,
        extensions_used=used,
        status=status,
        years=years_at_value_a_year(50_000_000, dt.date(2024, 4, 1), ends_on),
    )
    contract.kpis.append(
        ContractKpi(position=1, name="Victims referred", unit="referrals", target=4000)
    )
    contract.kpis.append(
        ContractKpi(position=2, name="Satisfied", unit="%", decimals=1, target=950)
    )
    db.session.add(contract)
    db.session.commit()
    return contract


def appraise(contract: Contract, officer) -> None:  # type: ignore[no-untyped-def]
    contract.appraisals.append(
        OptionsAppraisal(
            options_considered="Extend or re-tender",
            costs="£500,000 a year",
            recommendation="Extend",
            recorded_by_id=officer.id,
            recorded_at=dt.datetime.now(dt.UTC),
        )
    )


# Engine refusals -----------------------------------------------------------------------------


def test_extend_is_refused_when_no_options_remain(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(options=1, used=1, status=ContractStatus.REVIEW_DUE)
    appraise(contract, officer)
    with pytest.raises(GuardFailed, match="no extension options left"):
        fire(officer, contract, "extend", new_end_date=contract.ends_on + dt.timedelta(days=365))
    assert contract.status is ContractStatus.REVIEW_DUE and contract.extensions_used == 1


def test_extend_needs_an_options_appraisal_and_a_later_end_date(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(status=ContractStatus.REVIEW_DUE)
    with pytest.raises(GuardFailed, match="options appraisal"):
        fire(officer, contract, "extend", new_end_date=contract.ends_on + dt.timedelta(days=365))
    appraise(contract, officer)
    with pytest.raises(GuardFailed, match="after the current end date"):
        fire(officer, contract, "extend", new_end_date=contract.ends_on)
    fire(officer, contract, "extend", new_end_date=dt.date(2028, 3, 31))
    assert contract.status is ContractStatus.ACTIVE and contract.ends_on == dt.date(2028, 3, 31)
    assert contract.extensions_used == 1 and contract.appraisals[0].decision == "extend"


def test_go_live_is_refused_while_the_mobilisation_checklist_has_unticked_items(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(status=ContractStatus.MOBILISING)
    contracts.add_checklist(contract)
    db.session.commit()
    with pytest.raises(ServiceError, match="Tick every mobilisation item first"):
        contracts.move_contract(officer, contract.id, "go_live", contract.version)
    for item in contract.checklist:
        contracts.tick_item(officer, contract.id, item.id)
    contracts.move_contract(officer, contract.id, "go_live", contract.version)
    assert contract.status is ContractStatus.ACTIVE
    # The quarterly KPI returns are scheduled for the whole term.
    assert len(contract.kpi_returns) == 12
    assert contract.kpi_returns[0].period_end == dt.date(2024, 6, 30)


# The review window -----------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert contracts.months_before(dt.date(2027, 3, 31), 9) == dt.date(2026, 6, 30)
    assert contracts.months_before(dt.date(2027, 3, 31), 1) == dt.date(2027, 2, 28)
    assert contracts.months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_a_contract_is_due_from_nine_months_before_its_end_until_it_ends(ctx):
    contract = make_contract(ends_on=dt.date(2027, 3, 31))
    assert contracts.contracts_due_for_review(dt.date(2026, 6, 29)) == []
    assert contracts.contracts_due_for_review(dt.date(2026, 6, 30)) == [contract]
    assert contracts.contracts_due_for_review(dt.date(2027, 3, 31)) == [contract]
    assert contracts.contracts_due_for_review(dt.date(2027, 4, 1)) == []
    assert contracts.contracts_due_for_review(dt.date(2026, 9, 29), months=6) == []
    assert contracts.contracts_due_for_review(dt.date(2026, 9, 30), months=6) == [contract]


def test_the_review_period_is_configurable(app, ctx):
    contract = make_contract(ends_on=dt.date(2027, 3, 31))
    app.config["CONTRACT_REVIEW_MONTHS"] = 3
    try:
        assert contracts.contracts_due_for_review(dt.date(2026, 12, 30)) == []
        assert contracts.contracts_due_for_review(dt.date(2026, 12, 31)) == [contract]
    finally:
        del app.config["CONTRACT_REVIEW_MONTHS"]


def test_the_sweep_flags_due_contracts_and_opens_ended_quarters(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=dt.date(2027, 3, 31))
    not_due = make_contract(make_organisation("Other"), ends_on=dt.date(2029, 3, 31))
    contracts.schedule_kpi_returns(officer, contract)
    db.session.commit()
    assert contracts.flag_contracts_due(dt.date(2026, 7, 1)) == 1
    assert contract.status is ContractStatus.REVIEW_DUE and not_due.status is ContractStatus.ACTIVE
    opened = [r for r in contract.kpi_returns if r.status is KpiReturnStatus.OPEN]
    assert [r.period_end for r in opened][-1] == dt.date(2026, 6, 30)
    assert all(r.period_end < dt.date(2026, 7, 1) for r in opened)


# Register and contract pages ---------------------------------------------------------------------


def test_register_lists_contracts_and_reviews_due(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=TODAY + dt.timedelta(days=100))
    sign_in_as(client, officer)
    page = client.get("/staff/contracts").get_data(as_text=True)
    assert "Victim First" in page and "£500,000.00" in page
    assert 'id="reviews-due"' in page and "1 of 1" in page
    page = client.get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    assert "Victims referred" in page and "4,000 referrals" in page and "95.0 %" in page


def test_partners_and_kpis_are_added_and_bad_input_changes_nothing(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract()
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}"
    bad = post_form(
        client,
        f"{url}/partners",
        {"partner-name": "", "partner-contribution": "lots"},
        token_from=url,
    )
    assert bad.status_code == 400
    assert "Enter the co-commissioning partner" in bad.get_data(as_text=True)
    ok = post_form(
        client,
        f"{url}/partners",
        {"partner-name": "Leicester City Council", "partner-contribution": "45,000"},
        token_from=url,
    )
    assert ok.status_code == 302
    bad = post_form(
        client,
        f"{url}/kpis",
        {"kpi-name": "RJ", "kpi-unit": "people", "kpi-decimals": "0", "kpi-target": "1.5"},
        token_from=url,
    )
    assert bad.status_code == 400 and "must be a number" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert [p.contribution_pence for p in contract.partners] == [4_500_000]
    assert len(contract.kpis) == 2


def test_an_assessor_cannot_change_the_register(client, ctx):
    contract = make_contract()
    sign_in_as(client, make_staff(StaffRole.ASSESSOR))
    url = f"/staff/contracts/{contract.id}"
    assert client.get(url).status_code == 200
    response = post_form(
        client,
        f"{url}/partners",
        {"partner-name": "X", "partner-contribution": "1"},
        token_from=url,
    )
    assert response.status_code == 403


def test_review_page_extends_and_refuses_when_options_are_used(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(options=1, status=ContractStatus.REVIEW_DUE)
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}/review"
    base = {
        "options_considered": "Extend or re-tender",
        "costs": "£500k a year",
        "recommendation": "Extend",
    }
    missing = post_form(
        client, url, {**base, "version": str(contract.version), "decision": "extend"}
    )
    assert missing.status_code == 400 and "Enter the new end date" in missing.get_data(as_text=True)
    done = post_form(
        client,
        url,
        {
            **base,
            "version": str(contract.version),
            "decision": "extend",
            "new_end_date": ["31", "3", "2028"],
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert contract.ends_on == dt.date(2028, 3, 31) and contract.extensions_remaining == 0
    contract.status = ContractStatus.REVIEW_DUE  # the next review
    db.session.commit()
    refused = post_form(
        client,
        url,
        {
            **base,
            "version": str(contract.version),
            "decision": "extend",
            "new_end_date": ["31", "3", "2029"],
        },
    )
    assert refused.status_code == 400
    assert "no extension options left" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(contract.appraisals) == 1  # the refused decision left no appraisal behind


def test_recommissioning_opens_a_procurement_that_replaces_the_contract(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(options=0, status=ContractStatus.REVIEW_DUE)
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}/review"
    data = {
        "version": str(contract.version),
        "options_considered": "Re-tender or end",
        "costs": "Up to £1.5m",
        "recommendation": "Re-tender",
        "decision": "recommission",
        "estimate": "1,500,000",
    }
    response = post_form(client, url, data)
    assert response.status_code == 302
    db.session.expire_all()
    procurement = db.session.query(Procurement).one()
    assert procurement.replaces_contract_id == contract.id
    assert procurement.estimated_value_pence == 150_000_000
    assert contract.status is ContractStatus.RECOMMISSIONING


def test_only_the_decision_maker_decommissions(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(status=ContractStatus.REVIEW_DUE)
    with pytest.raises(ServiceError, match="permission"):
        contracts.record_review(
            officer,
            contract.id,
            contract.version,
            options_considered="a",
            costs="b",
            recommendation="End",
            decision="decommission",
        )
    decider = make_staff(StaffRole.DECISION_MAKER)
    contracts.record_review(
        decider,
        contract.id,
        contract.version,
        options_considered="a",
        costs="b",
        recommendation="End",
        decision="decommission",
    )
    assert contract.status is ContractStatus.DECOMMISSIONING


# KPI returns: the provider submits, the officer rates --------------------------------------------


def open_return(contract: Contract, officer):  # type: ignore[no-untyped-def]
    made = contracts.schedule_kpi_returns(officer, contract)
    fire(officer, made[0], "open")
    db.session.commit()
    return made[0]


def test_provider_submits_values_and_the_officer_rates_the_quarter(client, ctx):
    provider = make_organisation("Catch22")
    member = make_member(provider, "olivia@catch22.example.org")
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(provider)
    kpi_return = open_return(contract, officer)
    referrals, satisfied = contract.kpis
    sign_in_as(client, member)
    assert "Victim First" in client.get("/contracts").get_data(as_text=True)
    url = f"/contracts/{contract.id}/kpi-returns/{kpi_return.id}"
    empty = post_form(client, url, {"version": str(kpi_return.version)})
    assert empty.status_code == 400 and "Enter a value for Victims referred" in empty.get_data(
        as_text=True
    )
    wrong = post_form(
        client,
        url,
        {
            "version": str(kpi_return.version),
            f"kpi_{referrals.id}": "4,012",
            f"kpi_{satisfied.id}": "97.55",
        },
    )
    assert wrong.status_code == 400 and "up to 1 decimal place" in wrong.get_data(as_text=True)
    done = post_form(
        client,
        url,
        {
            "version": str(kpi_return.version),
            f"kpi_{referrals.id}": "4,012",
            f"kpi_{satisfied.id}": "97.5",
            "narrative": "Busy",
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert kpi_return.status is KpiReturnStatus.SUBMITTED
    assert (kpi_return.value_of(referrals), kpi_return.value_of(satisfied)) == (4012, 975)
    again = post_form(
        client,
        url,
        {
            "version": str(kpi_return.version),
            f"kpi_{referrals.id}": "1",
            f"kpi_{satisfied.id}": "1",
        },
    )
    assert again.status_code == 400 and "cannot be changed" in again.get_data(as_text=True)

    sign_in_as(client, officer)
    review = f"/staff/contracts/{contract.id}/kpi-returns/{kpi_return.id}"
    page = client.get(review).get_data(as_text=True)
    assert "4,012 referrals" in page and "97.5 %" in page and "Met" in page
    unrated = post_form(
        client, f"{review}/accept", {"accept-version": str(kpi_return.version)}, token_from=review
    )
    assert unrated.status_code == 400 and "Choose a rating for the quarter" in unrated.get_data(
        as_text=True
    )
    rated = post_form(
        client,
        f"{review}/accept",
        {"accept-version": str(kpi_return.version), "accept-rating": "good"},
        token_from=review,
    )
    assert rated.status_code == 302
    db.session.expire_all()
    assert kpi_return.status is KpiReturnStatus.ACCEPTED and kpi_return.rating is KpiRating.GOOD


def test_another_organisations_kpi_return_is_not_found(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract()
    kpi_return = open_return(contract, officer)
    outsider = make_member(make_organisation("Somewhere Else"), "someone@else.example.org")
    sign_in_as(client, outsider)
    url = f"/contracts/{contract.id}/kpi-returns/{kpi_return.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"version": "1"}).status_code in (400, 404)
    token_url = "/contracts"
    response = post_form(client, url, {"version": str(kpi_return.version)}, token_from=token_url)
    assert response.status_code == 404
    assert "Victim First" not in client.get("/contracts").get_data(as_text=True)
    # Staff pages are for staff.
    assert client.get(f"/staff/contracts/{contract.id}").status_code == 403


def test_a_scheduled_return_is_not_shown_to_the_provider(client, ctx):
    provider = make_organisation("Catch22")
    member = make_member(provider, "olivia@catch22.example.org")
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(provider)
    scheduled = contracts.schedule_kpi_returns(officer, contract)[1]
    db.session.commit()
    sign_in_as(client, member)
    assert client.get(f"/contracts/{contract.id}/kpi-returns/{scheduled.id}").status_code == 404


def test_creating_a_kpi_return_is_for_staff_and_the_scheduler(ctx):
    provider = make_organisation("Catch22")
    member = make_member(provider, "olivia@catch22.example.org")
    contract = make_contract(provider)
    from grants.models.commissioning import KpiReturn
    from workflows.errors import NotPermitted

    with pytest.raises(NotPermitted):
        create(
            member,
            KpiReturn(contract=contract, period_start=TODAY, period_end=TODAY, due_date=TODAY),
        )


# Extending: the added quarters' KPI returns and the added months' value -------------------------


def live_contract(ends_on: dt.date, officer):  # type: ignore[no-untyped-def]
    """A contract from 1 April 2024 started through the service (so its KPI returns are
    scheduled for its term), then flagged for review by the sweep."""
    contract = make_contract(ends_on=ends_on, status=ContractStatus.MOBILISING)
    contracts.move_contract(officer, contract.id, "go_live", contract.version)
    fire(None, contract, "flag_review")
    db.session.commit()
    return contract


def extend(officer, contract, new_end: dt.date) -> None:  # type: ignore[no-untyped-def]
    contracts.record_review(
        officer,
        contract.id,
        contract.version,
        options_considered="Extend, or re-tender",
        costs="£500,000 a year",
        recommendation="Extend for a year",
        decision="extend",
        new_end_date=new_end,
    )


def periods(contract: Contract) -> list[tuple[dt.date, dt.date]]:
    return [(r.period_start, r.period_end) for r in contract.kpi_returns]


def test_extending_schedules_the_kpi_returns_of_the_added_quarters(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = live_contract(dt.date(2027, 3, 31), officer)
    assert len(contract.kpi_returns) == 12
    extend(officer, contract, dt.date(2028, 3, 31))
    db.session.expire_all()
    assert contract.status is ContractStatus.ACTIVE and len(contract.kpi_returns) == 16
    assert periods(contract)[-4:] == [
        (dt.date(2027, 4, 1), dt.date(2027, 6, 30)),
        (dt.date(2027, 7, 1), dt.date(2027, 9, 30)),
        (dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
        (dt.date(2028, 1, 1), dt.date(2028, 3, 31)),
    ]
    added = contract.kpi_returns[-4:]
    assert all(r.status is KpiReturnStatus.SCHEDULED for r in added)
    assert added[0].due_date == dt.date(2027, 7, 20)
    # Each was created through the engine, by the officer who extended.
    created = (
        db.session.query(AuditEvent)
        .filter(
            AuditEvent.object_type == "kpi_return",
            AuditEvent.action == "create",
            AuditEvent.object_id.in_([r.id for r in added]),
        )
        .all()
    )
    assert len(created) == 4 and {e.actor_id for e in created} == {officer.id}


def test_extending_adds_the_months_at_the_value_a_year_and_the_ledger_records_it(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = live_contract(dt.date(2027, 3, 31), officer)
    assert contract.total_value_pence == 150_000_000
    extend(officer, contract, dt.date(2028, 3, 31))
    db.session.expire_all()
    assert [(y.financial_year, y.value_pence) for y in contract.years][-1] == (2027, 50_000_000)
    assert contract.total_value_pence == 200_000_000
    extended = db.session.query(AuditEvent).filter_by(object_type="contract", action="extend").one()
    assert '"total_value_pence":"200000000"' in extended.amounts


def test_an_extension_from_part_way_through_a_quarter_reports_that_quarter_once(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = live_contract(dt.date(2027, 7, 31), officer)
    assert periods(contract)[-1] == (dt.date(2027, 7, 1), dt.date(2027, 7, 31))
    extend(officer, contract, dt.date(2028, 7, 31))
    db.session.expire_all()
    # The July return had not opened: it runs on to the end of September.
    assert periods(contract)[-5:] == [
        (dt.date(2027, 7, 1), dt.date(2027, 9, 30)),
        (dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
        (dt.date(2028, 1, 1), dt.date(2028, 3, 31)),
        (dt.date(2028, 4, 1), dt.date(2028, 6, 30)),
        (dt.date(2028, 7, 1), dt.date(2028, 7, 31)),
    ]
    assert contract.kpi_returns[-5].due_date == dt.date(2027, 10, 20)
    # April to July, then August to March: one whole financial year between the two terms.
    assert [(y.financial_year, y.months) for y in contract.years][-2:] == [(2027, 12), (2028, 4)]


def test_an_extension_after_the_last_quarter_opened_gives_the_rest_of_it_a_return(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = live_contract(dt.date(2027, 7, 31), officer)
    fire(officer, contract.kpi_returns[-1], "open")
    db.session.commit()
    extend(officer, contract, dt.date(2027, 12, 31))
    db.session.expire_all()
    assert periods(contract)[-3:] == [
        (dt.date(2027, 7, 1), dt.date(2027, 7, 31)),
        (dt.date(2027, 8, 1), dt.date(2027, 9, 30)),
        (dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
    ]


def test_a_refused_extension_schedules_nothing_and_adds_no_value(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = live_contract(dt.date(2027, 3, 31), officer)
    contract.extensions_used = 1  # the one option is used
    db.session.commit()
    with pytest.raises(ServiceError, match="no extension options left"):
        extend(officer, contract, dt.date(2028, 3, 31))
    db.session.expire_all()
    assert len(contract.kpi_returns) == 12 and contract.total_value_pence == 150_000_000
    assert contract.status is ContractStatus.REVIEW_DUE and contract.appraisals == []
    assert db.session.query(KpiReturn).count() == 12


# Starting the review without waiting for the sweep -----------------------------------------------


def test_the_officer_starts_the_review_of_a_contract_whose_review_date_has_come(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=london_today() + dt.timedelta(days=100))
    contracts.start_review(officer, contract.id, contract.version)
    assert contract.status is ContractStatus.REVIEW_DUE
    flagged = db.session.query(AuditEvent).filter_by(action="flag_review").one()
    assert flagged.actor_id == officer.id and flagged.actor_role == "commissioning_officer"
    # The sweep finds nothing more to do.
    assert contracts.flag_contracts_due() == 0


def test_a_review_cannot_start_before_the_review_date_or_by_the_decision_maker(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=dt.date(2029, 3, 31))
    with pytest.raises(ServiceError, match="comes up for review on 30 June 2028"):
        contracts.start_review(officer, contract.id, contract.version, today=dt.date(2028, 6, 29))
    assert contract.status is ContractStatus.ACTIVE
    decider = make_staff(StaffRole.DECISION_MAKER)
    with pytest.raises(ServiceError, match="permission"):
        contracts.start_review(decider, contract.id, contract.version, today=dt.date(2028, 7, 1))
    assert contract.status is ContractStatus.ACTIVE
    assert db.session.query(AuditEvent).filter_by(action="flag_review").count() == 0


def test_the_review_page_offers_to_start_the_review_then_takes_the_appraisal(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=london_today() + dt.timedelta(days=100))
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}/review"
    assert "Start the review" in client.get(f"/staff/contracts/{contract.id}").get_data(
        as_text=True
    )
    page = client.get(url).get_data(as_text=True)
    assert "Start the review now" in page and "Record the decision" not in page
    started = post_form(client, f"{url}/start", {"start-version": str(contract.version)})
    assert started.status_code == 302 and started.headers["Location"].endswith(url)
    db.session.expire_all()
    assert contract.status is ContractStatus.REVIEW_DUE
    page = client.get(url).get_data(as_text=True)
    assert "Record the decision" in page and "Start the review now" not in page


def test_starting_a_review_too_early_or_from_a_stale_page_changes_nothing(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    early = make_contract(ends_on=london_today() + dt.timedelta(days=800))
    sign_in_as(client, officer)
    url = f"/staff/contracts/{early.id}/review"
    page = client.get(url).get_data(as_text=True)
    assert "Start the review now" not in page and "comes up for review on" in page
    refused = post_form(client, f"{url}/start", {"start-version": str(early.version)})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "There is a problem" in body and "comes up for review on" in body
    due = make_contract(make_organisation("Other"), ends_on=london_today() + dt.timedelta(days=9))
    url = f"/staff/contracts/{due.id}/review"
    stale = post_form(client, f"{url}/start", {"start-version": str(due.version + 1)})
    assert stale.status_code == 400 and "Someone else changed this" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert early.status is due.status is ContractStatus.ACTIVE
    assert db.session.query(AuditEvent).filter_by(action="flag_review").count() == 0


def test_a_decision_posted_for_a_contract_not_in_review_is_refused_with_the_summary(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract(ends_on=london_today() + dt.timedelta(days=100))
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}/review"
    response = post_form(
        client,
        url,
        {
            "version": str(contract.version),
            "options_considered": "Extend or re-tender",
            "costs": "£500k a year",
            "recommendation": "Extend",
            "decision": "extend",
            "new_end_date": ["31", "3", "2030"],
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in body
    assert "This contract is active: there is no review to record" in body
    db.session.expire_all()
    assert contract.status is ContractStatus.ACTIVE and contract.appraisals == []


def test_partners_cannot_put_in_more_than_the_contract_is_worth(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    contract = make_contract()  # £500,000 a year
    sign_in_as(client, officer)
    url = f"/staff/contracts/{contract.id}"
    post_form(
        client,
        f"{url}/partners",
        {"partner-name": "Leicester City Council", "partner-contribution": "450,000"},
        token_from=url,
    )
    too_much = post_form(
        client,
        f"{url}/partners",
        {"partner-name": "Rutland County Council", "partner-contribution": "50,000.01"},
        token_from=url,
    )
    body = too_much.get_data(as_text=True)
    assert too_much.status_code == 400 and "There is a problem" in body
    assert "(£500,000.01 a year) cannot be more than" in body
    db.session.expire_all()
    assert [p.contribution_pence for p in contract.partners] == [45_000_000]
