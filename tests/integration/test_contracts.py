"""The contract register, KPI returns (provider submits, officer rates), the review window and
the decisions at review: extend only while options remain, recommission, decommission."""

from __future__ import annotations

import datetime as dt

import pytest

from grants.extensions import db
from grants.models import Programme, ProgrammeKind, StaffRole
from grants.models.commissioning import (
    Contract,
    ContractKpi,
    ContractStatus,
    KpiRating,
    KpiReturnStatus,
    OptionsAppraisal,
    Procurement,
)
from grants.services import contracts
from grants.services.errors import ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as
from workflows.engine import create, fire
from workflows.errors import GuardFailed

TODAY = dt.date.today()


def make_contract(provider=None, *, ends_on=None, options=1, used=0, status=ContractStatus.ACTIVE):  # type: ignore[no-untyped-def]
    provider = provider or make_organisation("Catch22")
    programme = db.session.query(Programme).filter_by(slug="victims").one_or_none() or Programme(
        name="Victims", slug="victims", kind=ProgrammeKind.COMMISSIONED_SERVICE
    )
    contract = Contract(
        programme=programme,
        provider_id=provider.id,
        title="Victim First",
        service="Victims' services",
        annual_value_pence=50_000_000,
        starts_on=dt.date(2024, 4, 1),
        ends_on=ends_on or dt.date(2027, 3, 31),
        extension_options=options,
        extensions_used=used,
        status=status,
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
