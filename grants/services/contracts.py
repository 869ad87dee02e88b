"""The contract register: commissioned services with their partners and KPIs (added by staff,
or let by a procurement), quarterly KPI returns rated by the officer, and the review before a
contract ends (an options appraisal, then extend, recommission or decommission through the
engine)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import london_date, pounds
from grants.models import (
    Organisation,
    OrganisationType,
    Programme,
    ProgrammeKind,
    User,
    utcnow,
)
from grants.models.commissioning import (
    Contract,
    ContractKpi,
    ContractPartner,
    ContractStatus,
    KpiRating,
    KpiReturn,
    KpiReturnStatus,
    KpiValue,
    MobilisationItem,
    OptionsAppraisal,
    Procurement,
)
from grants.services.errors import NotFound, ServiceError
from workflows.contract import MAX_EXTENSION_OPTIONS, years_at_value_a_year
from workflows.engine import available_triggers, create, fire
from workflows.errors import WorkflowError

# The configured setting wins (an environment setting, read through app.config).
DEFAULT_REVIEW_MONTHS = 9
KPI_RETURN_DAYS = 20  # days after a quarter ends that its KPI return is due
CHANGED = "Someone else changed this while you were looking at it. Check it and try again"
DECISIONS = ("extend", "recommission", "decommission")
RATINGS = {rating.value: rating.label for rating in KpiRating}
MOBILISATION_CHECKLIST = (
    "Staff transferred under TUPE, or recruited",
    "Insurance certificates received",
    "Data sharing agreement signed",
    "Safeguarding policy and DBS checks confirmed",
    "Referral routes and case management system live",
    "KPI reporting set up with the office",
)


# Dates ---------------------------------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def review_months() -> int:
    """How many months before its end a contract comes up for review (CONTRACT_REVIEW_MONTHS)."""
    return int(current_app.config.get("CONTRACT_REVIEW_MONTHS", DEFAULT_REVIEW_MONTHS))


def review_date(contract: Contract, months: int | None = None) -> dt.date:
    """The day a contract comes up for review: a configured number of months before its end."""
    return months_before(contract.ends_on, review_months() if months is None else months)


def contracts_due_for_review(today: dt.date, months: int | None = None) -> list[Contract]:
    """Active contracts whose review date has come and whose end has not passed."""
    active = db.session.scalars(
        select(Contract).where(Contract.status == ContractStatus.ACTIVE).order_by(Contract.ends_on)
    ).all()
    return [c for c in active if review_date(c, months) <= today <= c.ends_on]


def flag_contracts_due(today: dt.date | None = None) -> int:
    """The scheduler's part: flag every contract due for review, and open each KPI return whose
    quarter has ended. Returns how many contracts were flagged."""
    today = today or london_today()
    flagged = 0
    for contract in contracts_due_for_review(today):
        fire(None, contract, "flag_review")
        flagged += 1
    for kpi_return in db.session.scalars(
        select(KpiReturn).where(
            KpiReturn.status == KpiReturnStatus.SCHEDULED, KpiReturn.period_end < today
        )
    ):
        fire(None, kpi_return, "open")
    db.session.commit()
    return flagged


def start_review(
    user: User, contract_id: int, expected_version: int | None, today: dt.date | None = None
) -> None:
    """The officer starts the review of an active contract whose review date has come, without
    waiting for the sweep: the same move (``flag_review``) the sweep makes."""
    contract = contract_for(user, contract_id)
    today = today or london_today()
    due_on = review_date(contract)
    if contract.status is ContractStatus.ACTIVE and today < due_on:
        raise ServiceError(f"This contract comes up for review on {london_date(due_on)}")
    try:
        fire(
            user,
            contract,
            "flag_review",
            expected_version=expected_version,
            reason=f"Review started by the officer (due from {london_date(due_on)})",
        )
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal


# The register ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    contract: Contract
    partner_pence: int  # co-commissioners' contributions a year
    review_on: dt.date
    review_due: bool


@dataclass(frozen=True)
class Register:
    rows: list[RegisterRow]
    due: list[RegisterRow]
    procurements: list[Procurement]
    review_months: int


def register(today: dt.date | None = None) -> Register:
    today = today or london_today()
    months = review_months()
    contracts = db.session.scalars(
        select(Contract).order_by(Contract.ends_on.desc(), Contract.id)
    ).all()
    rows = [
        RegisterRow(
            contract=c,
            partner_pence=sum(p.contribution_pence for p in c.partners),
            review_on=review_date(c, months),
            review_due=c.status is ContractStatus.REVIEW_DUE
            or (c.status is ContractStatus.ACTIVE and review_date(c, months) <= today),
        )
        for c in contracts
    ]
    procurements = db.session.scalars(select(Procurement).order_by(Procurement.id.desc())).all()
    return Register(
        rows=rows,
        due=[r for r in rows if r.review_due],
        procurements=list(procurements),
        review_months=months,
    )


def contract_for(user: User, contract_id: int) -> Contract:
    """Staff see every contract; a provider's members see their organisation's only."""
    query = select(Contract).where(Contract.id == contract_id)
    if not user.is_staff:
        query = query.where(Contract.provider_id.in_(user.organisation_ids))
    contract = db.session.scalar(query)
    if contract is None:
        raise NotFound
    return contract


@dataclass(frozen=True)
class ContractPage:
    contract: Contract
    moves: list[str]
    review_on: dt.date
    partner_pence: int
    replaced_by: Procurement | None  # the procurement recommissioning it
    let_by: Procurement | None  # the procurement that let it
    checklist_done: bool
    # In review: the user may record the options appraisal and decision.
    deciding: bool
    # The review date has come (or passed).
    review_reached: bool
    # An active contract whose review date has come, and the user may start its review.
    review_can_start: bool

    @property
    def partners_over_value(self) -> bool:
        """Partners carried over from the contract it replaced may put in more than it is
        worth (adding a partner is refused beyond it)."""
        return self.partner_pence > self.contract.annual_value_pence


def contract_page(user: User, contract_id: int, today: dt.date | None = None) -> ContractPage:
    contract = contract_for(user, contract_id)
    moves = [t.trigger for t in available_triggers(user, contract)]
    review_on = review_date(contract)
    reached = (today or london_today()) >= review_on
    return ContractPage(
        contract=contract,
        moves=moves,
        review_on=review_on,
        partner_pence=sum(p.contribution_pence for p in contract.partners),
        replaced_by=db.session.scalar(
            select(Procurement)
            .where(Procurement.replaces_contract_id == contract.id)
            .order_by(Procurement.id.desc())
        ),
        let_by=db.session.scalar(
            select(Procurement).where(Procurement.let_contract_id == contract.id)
        ),
        checklist_done=all(item.done_at is not None for item in contract.checklist),
        deciding=any(decision in moves for decision in DECISIONS),
        review_reached=reached,
        review_can_start="flag_review" in moves and reached,
    )


def _partners_within_value(contract_value_pence: int, contributions: list[int]) -> str | None:
    """Co-commissioners put in part of the contract's value, never more than all of it."""
    total = sum(contributions)
    if total > contract_value_pence:
        return (
            f"Partners' contributions ({pounds(total)} a year) cannot be more than the "
            f"contract's value a year ({pounds(contract_value_pence)})"
        )
    return None


def add_partner(user: User, contract_id: int, name: str, contribution_pence: int) -> None:
    contract = contract_for(user, contract_id)
    if contract.status is ContractStatus.ENDED:
        raise ServiceError("This contract has ended", field="name")
    if contribution_pence <= 0:
        raise ServiceError("Enter the partner's contribution a year", field="contribution")
    too_much = _partners_within_value(
        contract.annual_value_pence,
        [p.contribution_pence for p in contract.partners] + [contribution_pence],
    )
    if too_much:
        raise ServiceError(too_much, field="contribution")
    contract.partners.append(
        ContractPartner(name=name.strip(), contribution_pence=contribution_pence)
    )
    db.session.commit()


def remove_partner(user: User, contract_id: int, partner_id: int) -> str:
    """Takes a co-commissioning partner off the contract, returning its name. A partner whose
    contribution changes (a recommissioned contract carries its predecessor's partners over at
    their old contributions) is removed and added again at the new one."""
    contract = contract_for(user, contract_id)
    partner = next((p for p in contract.partners if p.id == partner_id), None)
    if partner is None:
        raise NotFound
    if contract.status is ContractStatus.ENDED:
        raise ServiceError("This contract has ended, so its partners stay as they were")
    contract.partners.remove(partner)
    db.session.commit()
    return partner.name


def add_kpi(user: User, contract_id: int, name: str, unit: str, decimals: int, target: int) -> None:
    contract = contract_for(user, contract_id)
    if contract.status is ContractStatus.ENDED:
        raise ServiceError("This contract has ended", field="name")
    contract.kpis.append(
        ContractKpi(
            position=len(contract.kpis) + 1,
            name=name.strip(),
            unit=unit.strip(),
            decimals=decimals,
            target=target,
        )
    )
    db.session.commit()


# Adding a contract to the register -------------------------------------------------------------


@dataclass(frozen=True)
class PartnerEntry:
    name: str
    contribution_pence: int  # a year


@dataclass(frozen=True)
class KpiEntry:
    name: str
    unit: str
    decimals: int
    target: int  # scaled by 10^decimals


@dataclass(frozen=True)
class NewContract:
    """A contract let outside a procurement here (or before the register), as staff enter it."""

    programme_id: int | None
    title: str
    service: str
    provider_name: str
    provider_type: str | None  # only needed for a provider the office has no record of
    annual_value_pence: int
    starts_on: dt.date
    ends_on: dt.date
    extension_options: int
    extensions_used: int
    partners: tuple[PartnerEntry, ...] = ()
    kpis: tuple[KpiEntry, ...] = ()


def commissioning_programmes() -> list[Programme]:
    """The programmes contracts are let under."""
    return list(
        db.session.scalars(
            select(Programme)
            .where(Programme.kind == ProgrammeKind.COMMISSIONED_SERVICE)
            .order_by(Programme.name)
        )
    )


def programme_choices() -> list[tuple[str, str]]:
    return [(str(p.id), p.name) for p in commissioning_programmes()]


def organisation_type_choices() -> list[tuple[str, str]]:
    return [(t.value, t.label) for t in OrganisationType]


def find_organisation(name: str) -> Organisation | None:
    """The organisation of that name (any case), the longest-standing if two share it."""
    return db.session.scalar(
        select(Organisation)
        .where(func.lower(Organisation.name) == name.strip().lower())
        .order_by(Organisation.id)
        .limit(1)
    )


def _check_new_contract(entry: NewContract) -> Programme:
    programme = (
        db.session.get(Programme, entry.programme_id) if entry.programme_id is not None else None
    )
    if programme is None or programme.kind is not ProgrammeKind.COMMISSIONED_SERVICE:
        raise ServiceError("Choose the programme the contract is let under", field="programme")
    for field, value, missing in (
        ("title", entry.title, "Enter the contract's title"),
        ("service", entry.service, "Enter the service commissioned"),
        ("provider", entry.provider_name, "Enter the provider"),
    ):
        if not value.strip():
            raise ServiceError(missing, field=field)
    if entry.annual_value_pence < 0:
        raise ServiceError("The value a year cannot be less than £0", field="annual_value")
    if entry.ends_on <= entry.starts_on:
        raise ServiceError("The end date must be after the start date", field="ends_on")
    if not 0 <= entry.extension_options <= MAX_EXTENSION_OPTIONS:
        raise ServiceError(
            f"Extension options must be a whole number from 0 to {MAX_EXTENSION_OPTIONS}",
            field="extension_options",
        )
    if not 0 <= entry.extensions_used <= entry.extension_options:
        raise ServiceError(
            "Extensions used cannot be more than the extension options", field="extensions_used"
        )
    for partner in entry.partners:
        if not partner.name.strip() or partner.contribution_pence <= 0:
            raise ServiceError("Enter each partner's name and contribution a year")
    too_much = _partners_within_value(
        entry.annual_value_pence, [p.contribution_pence for p in entry.partners]
    )
    if too_much:
        raise ServiceError(too_much, field="partner_1_contribution")
    for kpi in entry.kpis:
        if not (kpi.name.strip() and kpi.unit.strip()) or kpi.decimals not in (0, 1):
            raise ServiceError("Enter each indicator's name, unit and target")
        if kpi.target < 0:
            raise ServiceError("An indicator's target cannot be negative")
    return programme


def add_contract(user: User, entry: NewContract) -> Contract:
    """Adds a contract to the register through the engine's ``create``: it starts mobilising,
    with the mobilisation checklist, its value held per financial year (the months of the term
    at the value a year), its partners and its KPIs. Its KPI returns are scheduled when the
    service starts. A provider the office has no record of is recorded, with the type given."""
    programme = _check_new_contract(entry)
    provider = find_organisation(entry.provider_name)
    if provider is None:
        known_types = {t.value for t in OrganisationType}
        if entry.provider_type not in known_types:
            raise ServiceError(
                f"The office has no record of {entry.provider_name.strip()}: choose its type of "
                "organisation to add it",
                field="provider_type",
            )
        provider = Organisation(
            name=entry.provider_name.strip(), org_type=OrganisationType(entry.provider_type)
        )
        db.session.add(provider)
    contract = Contract(
        programme=programme,
        provider=provider,
        title=entry.title.strip(),
        service=entry.service.strip(),
        annual_value_pence=entry.annual_value_pence,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        extension_options=entry.extension_options,
        extensions_used=entry.extensions_used,
        years=years_at_value_a_year(entry.annual_value_pence, entry.starts_on, entry.ends_on),
        partners=[
            ContractPartner(name=p.name.strip(), contribution_pence=p.contribution_pence)
            for p in entry.partners
        ],
        kpis=[
            ContractKpi(
                position=position,
                name=k.name.strip(),
                unit=k.unit.strip(),
                decimals=k.decimals,
                target=k.target,
            )
            for position, k in enumerate(entry.kpis, start=1)
        ],
    )
    add_checklist(contract)
    try:
        db.session.flush()  # the provider, if new, has an id before the ledger names it
        create(user, contract, reason="Added to the contract register")
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return contract


# Review: options appraisal and decision ------------------------------------------------------


def record_review(
    user: User,
    contract_id: int,
    expected_version: int | None,
    *,
    options_considered: str,
    costs: str,
    recommendation: str,
    decision: str,
    new_end_date: dt.date | None = None,
    estimated_value_pence: int | None = None,
) -> Procurement | None:
    """Record the options appraisal and act on it in one transaction: the decision moves the
    contract through the engine, and recommissioning opens the procurement that replaces it.
    A refusal leaves neither the appraisal nor anything else behind."""
    contract = contract_for(user, contract_id)
    if decision not in DECISIONS:
        raise ServiceError("Choose what to do with the contract", field="decision")
    if expected_version is None:
        raise ServiceError(CHANGED)
    if decision == "extend" and new_end_date is None:
        raise ServiceError("Enter the new end date", field="new_end_date")
    if decision == "recommission" and not estimated_value_pence:
        raise ServiceError("Enter the estimated value of the new contract", field="estimate")
    contract.appraisals.append(
        OptionsAppraisal(
            options_considered=options_considered.strip(),
            costs=costs.strip(),
            recommendation=recommendation.strip(),
            recorded_by_id=user.id,
            recorded_at=utcnow(),
        )
    )
    payload: dict[str, Any] = {"reason": recommendation.strip()}
    if decision == "extend":
        payload["new_end_date"] = new_end_date
    procurement = None
    old_end = contract.ends_on
    try:
        fire(user, contract, decision, expected_version=expected_version, **payload)
        if decision == "extend":
            schedule_extension_returns(user, contract, old_end)
        if decision == "recommission":
            assert estimated_value_pence is not None
            procurement = Procurement(
                programme=contract.programme,
                replaces=contract,
                title=f"Recommissioning: {contract.service or contract.title}",
                estimated_value_pence=estimated_value_pence,
            )
            create(user, procurement, reason=recommendation.strip())
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        field = "new_end_date" if decision == "extend" and "end date" in refusal.message else None
        raise ServiceError(refusal.message, field=field) from refusal
    return procurement


def move_contract(user: User, contract_id: int, trigger: str, expected_version: int | None) -> None:
    """Start the service (once mobilised) or end it. Starting a contract that a procurement let
    ends the contract it replaces, if that one is still winding down."""
    if trigger not in ("go_live", "end"):
        raise NotFound
    contract = contract_for(user, contract_id)
    try:
        fire(user, contract, trigger, expected_version=expected_version)
        if trigger == "go_live":
            schedule_kpi_returns(user, contract)
            let_by = db.session.scalar(
                select(Procurement).where(Procurement.let_contract_id == contract.id)
            )
            old = let_by.replaces if let_by is not None else None
            if old is not None and old.status is ContractStatus.RECOMMISSIONING:
                fire(user, old, "end", reason=f"Replaced by {contract.title}")
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal


def tick_item(user: User, contract_id: int, item_id: int) -> None:
    contract = contract_for(user, contract_id)
    if contract.status is not ContractStatus.MOBILISING:
        raise ServiceError("The checklist is only ticked while the contract is mobilising")
    item = next((i for i in contract.checklist if i.id == item_id), None)
    if item is None:
        raise NotFound
    if item.done_at is None:
        item.done_at, item.done_by_id = utcnow(), user.id
        db.session.commit()


def add_checklist(contract: Contract) -> None:
    for position, text in enumerate(MOBILISATION_CHECKLIST, start=1):
        contract.checklist.append(MobilisationItem(position=position, item=text))


# KPI returns -----------------------------------------------------------------------------------


def quarters(starts_on: dt.date, ends_on: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The contract's reporting quarters (April to June and so on), clipped to its term."""
    periods = []
    year, month = starts_on.year, ((starts_on.month - 1) // 3) * 3 + 1
    while True:
        first = dt.date(year, month, 1)
        if first > ends_on:
            return periods
        last_month = month + 2
        last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        periods.append((max(first, starts_on), min(last, ends_on)))
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)


def quarter_end(day: dt.date) -> dt.date:
    """The last day of the reporting quarter that holds ``day``."""
    last_month = ((day.month - 1) // 3) * 3 + 3
    return dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def schedule_kpi_returns(
    actor: User | None, contract: Contract, starts_on: dt.date | None = None
) -> list[KpiReturn]:
    """One KPI return per quarter of the contract's term (from ``starts_on``, when given),
    each due 20 days after it ends, created through the engine."""
    made = []
    for start, end in quarters(starts_on or contract.starts_on, contract.ends_on):
        kpi_return = KpiReturn(
            contract=contract,
            period_start=start,
            period_end=end,
            due_date=end + dt.timedelta(days=KPI_RETURN_DAYS),
        )
        create(actor, kpi_return)
        made.append(kpi_return)
    return made


def schedule_extension_returns(
    actor: User | None, contract: Contract, old_end: dt.date
) -> list[KpiReturn]:
    """The KPI returns of an extension's quarters, after the move has set the new end date.
    When the old term ended part way through a quarter, that quarter's return runs on to the
    quarter's end if it has not opened yet (the provider reports the quarter once); once open,
    the rest of the quarter gets a return of its own."""
    start = old_end + dt.timedelta(days=1)
    last = next((r for r in contract.kpi_returns if r.period_end == old_end), None)
    if last is not None and last.status is KpiReturnStatus.SCHEDULED:
        last.period_end = min(quarter_end(old_end), contract.ends_on)
        last.due_date = last.period_end + dt.timedelta(days=KPI_RETURN_DAYS)
        start = last.period_end + dt.timedelta(days=1)
    if start > contract.ends_on:
        return []
    return schedule_kpi_returns(actor, contract, start)


def kpi_return_for(user: User, contract_id: int, return_id: int) -> KpiReturn:
    contract = contract_for(user, contract_id)
    kpi_return = next((r for r in contract.kpi_returns if r.id == return_id), None)
    if kpi_return is None or (not user.is_staff and kpi_return.status is KpiReturnStatus.SCHEDULED):
        raise NotFound
    return kpi_return


@dataclass(frozen=True)
class KpiLine:
    kpi: ContractKpi
    value: int | None
    met: bool | None


def kpi_lines(kpi_return: KpiReturn) -> list[KpiLine]:
    lines = []
    for kpi in kpi_return.contract.kpis:
        value = kpi_return.value_of(kpi)
        lines.append(KpiLine(kpi, value, None if value is None else value >= kpi.target))
    return lines


def provider_contracts(user: User) -> list[Contract]:
    return list(
        db.session.scalars(
            select(Contract)
            .where(Contract.provider_id.in_(user.organisation_ids))
            .order_by(Contract.starts_on.desc())
        )
    )


def submit_kpi_return(
    user: User,
    contract_id: int,
    return_id: int,
    expected_version: int | None,
    values: Mapping[int, int],
    narrative: str | None,
) -> KpiReturn:
    """The provider's values for each KPI and its commentary, submitted through the engine."""
    kpi_return = kpi_return_for(user, contract_id, return_id)
    if kpi_return.status not in (KpiReturnStatus.OPEN, KpiReturnStatus.RETURNED):
        raise ServiceError(f"This return is {kpi_return.status.value} and cannot be changed")
    if expected_version is None or expected_version != kpi_return.version:
        raise ServiceError(CHANGED)
    known = {k.id for k in kpi_return.contract.kpis}
    kept = {v.kpi_id: v for v in kpi_return.values}
    for kpi_id, value in values.items():
        if kpi_id not in known:
            raise NotFound
        if kpi_id in kept:
            kept[kpi_id].value = value
        else:
            kpi_return.values.append(KpiValue(kpi_id=kpi_id, value=value))
    kpi_return.narrative = narrative.strip() if narrative and narrative.strip() else None
    try:
        db.session.flush()
        fire(user, kpi_return, "submit")
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return kpi_return


def review_kpi_return(
    user: User,
    contract_id: int,
    return_id: int,
    trigger: str,
    expected_version: int | None,
    rating: str | None = None,
    reason: str | None = None,
) -> KpiReturn:
    if trigger not in ("open", "accept", "send_back"):
        raise NotFound
    kpi_return = kpi_return_for(user, contract_id, return_id)
    payload: dict[str, Any] = {}
    if reason and reason.strip():
        payload["reason"] = reason.strip()
    if rating:
        payload["rating"] = rating
    try:
        fire(user, kpi_return, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(
            refusal.message, field="rating" if "rating" in refusal.message else None
        ) from refusal
    return kpi_return


def kpi_return_moves(user: User, kpi_return: KpiReturn) -> list[str]:
    return [t.trigger for t in available_triggers(user, kpi_return)]
