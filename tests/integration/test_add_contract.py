"""Adding a contract to the register (one let outside a procurement recorded here): created
through the engine in mobilisation with its checklist, its value held per financial year, its
partners and KPIs; refused, with nothing changed, when the dates, money, partners or extension
options do not make sense."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from markupsafe import escape

from grants.extensions import db
from grants.models import AuditEvent, Organisation, Programme, ProgrammeKind, StaffRole
from grants.models.commissioning import Contract, ContractStatus
from grants.services import contracts
from grants.services.errors import ServiceError
from tests.conftest import make_organisation, make_staff, post_form, sign_in_as

URL = "/staff/contracts/new"


def commissioning_programme() -> Programme:
    programme = Programme(
        name="Victim First victims' service",
        slug="victim-first",
        kind=ProgrammeKind.COMMISSIONED_SERVICE,
    )
    db.session.add(programme)
    db.session.commit()
    return programme


def entry(programme: Programme, **changes) -> contracts.NewContract:  # type: ignore[no-untyped-def]
    base = contracts.NewContract(
        programme_id=programme.id,
        title="Victim First: support for victims and witnesses (2024 to 2027)",
        service="Victims' services",
        provider_name="catch22",  # any case finds the organisation
        provider_type=None,
        annual_value_pence=83_333_333,
        starts_on=dt.date(2024, 4, 1),
        ends_on=dt.date(2027, 3, 31),
        extension_options=1,
        extensions_used=0,
        partners=(
            contracts.PartnerEntry("Leicester City Council", 4_500_000),
            contracts.PartnerEntry("Rutland County Council", 500_000),
        ),
        kpis=(
            contracts.KpiEntry("Victims referred", "referrals", 0, 4_000),
            contracts.KpiEntry("Satisfied with the service", "%", 1, 950),
        ),
    )
    return dataclasses.replace(base, **changes)


def test_a_contract_added_to_the_register_is_created_through_the_engine(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    catch22 = make_organisation("Catch22")
    contract = contracts.add_contract(officer, entry(commissioning_programme()))
    assert contract.status is ContractStatus.MOBILISING and contract.provider_id == catch22.id
    assert len(contract.checklist) == len(contracts.MOBILISATION_CHECKLIST)
    assert [(p.name, p.contribution_pence) for p in contract.partners] == [
        ("Leicester City Council", 4_500_000),
        ("Rutland County Council", 500_000),
    ]
    assert [(k.position, k.name, k.decimals, k.target) for k in contract.kpis] == [
        (1, "Victims referred", 0, 4_000),
        (2, "Satisfied with the service", 1, 950),
    ]
    # Three whole years at £833,333.33 a year.
    assert [(y.financial_year, y.value_pence) for y in contract.years] == [
        (2024, 83_333_333),
        (2025, 83_333_333),
        (2026, 83_333_333),
    ]
    created = db.session.query(AuditEvent).filter_by(object_type="contract").one()
    assert created.action == "create" and created.actor_id == officer.id
    assert created.reason == "Added to the contract register"
    assert created.amounts == '{"annual_value_pence":"83333333","total_value_pence":"249999999"}'
    # KPI returns come when the service starts.
    assert contract.kpi_returns == []


def test_a_provider_the_office_has_no_record_of_needs_its_type(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    programme = commissioning_programme()
    with pytest.raises(ServiceError, match="no record of Harbour Support Ltd") as refusal:
        contracts.add_contract(officer, entry(programme, provider_name="Harbour Support Ltd"))
    assert refusal.value.field == "provider_type"
    assert db.session.query(Organisation).count() == 0
    assert db.session.query(Contract).count() == 0
    contract = contracts.add_contract(
        officer,
        entry(programme, provider_name="Harbour Support Ltd", provider_type="private_company"),
    )
    assert contract.provider.name == "Harbour Support Ltd"
    assert contract.provider.org_type.value == "private_company"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": dt.date(2024, 4, 1)}, "ends_on", "end date must be after the start date"),
        ({"annual_value_pence": -1}, "annual_value", "cannot be less than £0"),
        ({"extensions_used": 2}, "extensions_used", "cannot be more than the extension options"),
        ({"extension_options": 6}, "extension_options", "from 0 to 5"),
        (
            {"partners": (contracts.PartnerEntry("Leicester City Council", 83_333_334),)},
            "partner_1_contribution",
            "cannot be more than the contract's value a year",
        ),
        ({"title": "  "}, "title", "Enter the contract's title"),
    ],
)
def test_a_contract_that_does_not_make_sense_is_refused_and_nothing_is_kept(
    ctx, changes, field, message
):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    make_organisation("Catch22")
    with pytest.raises(ServiceError, match=message) as refusal:
        contracts.add_contract(officer, entry(commissioning_programme(), **changes))
    assert refusal.value.field == field
    assert db.session.query(Contract).count() == 0
    assert db.session.query(AuditEvent).filter_by(object_type="contract").count() == 0


def test_only_a_commissioned_services_programme_takes_contracts(ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    make_organisation("Catch22")
    grants_programme = Programme(
        name="Prevention Fund", slug="prevention", kind=ProgrammeKind.COMMUNITY_GRANT
    )
    db.session.add(grants_programme)
    db.session.commit()
    with pytest.raises(ServiceError, match="Choose the programme"):
        contracts.add_contract(officer, entry(grants_programme))
    assert db.session.query(Contract).count() == 0


# The page ----------------------------------------------------------------------------------------


def form_data(programme: Programme, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "programme": str(programme.id),
        "title": "Victim First: support for victims and witnesses (2024 to 2027)",
        "service": "Victims' services",
        "provider": "Catch22",
        "annual_value": "833,333.33",
        "starts_on": ["1", "4", "2024"],
        "ends_on": ["31", "3", "2027"],
        "extension_options": "1",
        "extensions_used": "0",
        "partner_1_name": "Leicester City Council",
        "partner_1_contribution": "45,000",
        "kpi_1_name": "Victims referred",
        "kpi_1_unit": "referrals",
        "kpi_1_decimals": "0",
        "kpi_1_target": "4,000",
        "kpi_2_name": "Satisfied with the service",
        "kpi_2_unit": "%",
        "kpi_2_decimals": "1",
        "kpi_2_target": "95.0",
    }
    data.update(changes)
    return data


def test_an_officer_adds_a_contract_from_the_register(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    make_organisation("Catch22")
    programme = commissioning_programme()
    sign_in_as(client, officer)
    register = client.get("/staff/contracts").get_data(as_text=True)
    assert "Add a contract to the register" in register
    page = client.get(URL)
    assert page.status_code == 200 and "Partner 1" in page.get_data(as_text=True)
    added = post_form(client, URL, form_data(programme))
    assert added.status_code == 302
    contract = db.session.query(Contract).one()
    assert added.headers["Location"].endswith(f"/staff/contracts/{contract.id}")
    assert contract.annual_value_pence == 83_333_333 and contract.total_value_pence == 249_999_999
    assert [k.target for k in contract.kpis] == [4_000, 950]
    assert [p.contribution_pence for p in contract.partners] == [4_500_000]
    shown = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "added to the register: it is mobilising" in shown and "Mobilising" in shown


def test_bad_input_shows_the_error_summary_and_adds_nothing(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    make_organisation("Catch22")
    programme = commissioning_programme()
    sign_in_as(client, officer)
    organisations = db.session.query(Organisation).count()
    cases = [
        (
            {"starts_on": ["1", "4", "2027"], "ends_on": ["31", "3", "2027"]},
            "The end date must be after the start date",
        ),
        ({"annual_value": "833,333.333"}, "Enter an amount in pounds and pence"),
        ({"annual_value": "-5"}, "Enter an amount in pounds and pence"),
        ({"partner_1_contribution": "900,000"}, "cannot be more than the contract"),
        ({"partner_1_name": ""}, "Enter the name of partner 1"),
        ({"partner_1_contribution": "lots"}, "Partner 1's contribution: Enter an amount"),
        ({"kpi_1_unit": ""}, "Enter indicator 1's unit"),
        ({"kpi_2_target": "95.05"}, "up to 1 decimal place"),
        ({"extensions_used": "2"}, "Extension options used cannot be more than the options"),
        ({"extension_options": "six"}, "Extension options must be a whole number from 0 to 5"),
        ({"provider": "Nobody We Know Ltd"}, "no record of Nobody We Know Ltd"),
        ({"provider_type": "pirate_ship"}, "from the list"),
        ({"title": ""}, "Enter the contract's title"),
    ]
    for changes, message in cases:
        response = post_form(client, URL, form_data(programme, **changes))
        body = response.get_data(as_text=True)
        assert response.status_code == 400, changes
        assert "There is a problem" in body and escape(message) in body, (changes, message)
        assert "<title>Error:" in body
    assert db.session.query(Contract).count() == 0
    assert db.session.query(Organisation).count() == organisations
    assert db.session.query(AuditEvent).count() == 0


def test_only_managing_staff_add_contracts(client, ctx):
    programme = commissioning_programme()
    make_organisation("Catch22")
    sign_in_as(client, make_staff(StaffRole.ASSESSOR))
    assert "Add a contract to the register" not in client.get("/staff/contracts").get_data(
        as_text=True
    )
    assert client.get(URL).status_code == 403
    response = post_form(client, URL, form_data(programme), token_from="/staff/contracts")
    assert response.status_code == 403
    assert db.session.query(Contract).count() == 0
