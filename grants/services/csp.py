"""Community Safety Partnership funding: allocations per partnership and financial year by a
recorded method, checked against the programme's budget; invitations to a year's plan round
(only an invited partnership may start a plan there); forecasts of spend from the
partnerships' returns, flags when the forecast unspent is above the programme's threshold and
the decisions taken on them; and a page of figures per partnership for the Police and Crime
Panel.

Every change of an allocation, a flag or an award is a move through the workflow engine
(``csp_allocation``, ``underspend`` and ``award`` lifecycles), so each is checked there and
recorded in the ledger. An underspend decision moves the money it names: clawing back lowers
the partnership's award for the year (the award's ``reduce``), reallocating lowers the award
and gives the amount back to the year's unallocated pot (the allocation's ``release``), and
rolling over lets the partnership keep the amount, already paid, to spend in the next year as
well as that year's allocation (``csp_rules.rolled_over_into``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year, pounds
from grants.jobs import csp_emails
from grants.jobs.outbox import note_pending
from grants.models import (
    Application,
    Award,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    Organisation,
    OrganisationType,
    OutboxJob,
    OutputTarget,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeKind,
    ReturnStatus,
    Round,
    User,
    utcnow,
)
from grants.models.csp import (
    AllocationMethod,
    CspAllocation,
    CspAllocationBasis,
    CspAllocationStatus,
    CspForecast,
    CspInvitation,
    CspUnderspend,
    UnderspendStatus,
)
from grants.policy import MANAGING_STAFF, visible_organisations, visible_returns
from grants.services.errors import NotFound, ServiceError
from workflows.csp_rules import rolled_over_into
from workflows.engine import create, fire
from workflows.errors import WorkflowError
from workflows.underspend import DECISIONS

# Returns whose spend to date counts: the partnership has sent them in.
REPORTED = (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)
FUNDED = (AwardStatus.ACCEPTED, AwardStatus.ACTIVE, AwardStatus.SUSPENDED, AwardStatus.CLOSED)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
FLAT, FORMULA = AllocationMethod.FLAT, AllocationMethod.FORMULA


class NotCsp(Exception):
    """The programme, organisation or return exists but is not part of CSP funding."""


# The methods' arithmetic ----------------------------------------------------------------------


def flat_allocations(organisation_ids: list[int], flat_pence: int) -> dict[int, int]:
    """The same amount for every area."""
    return dict.fromkeys(organisation_ids, flat_pence)


def formula_allocations(
    pot_pence: int,
    inputs: Mapping[int, tuple[int, int]],
    population_weight: int,
    crime_weight: int,
) -> dict[int, int]:
    """The pot shared by each area's weighted share of the population and of recorded crime
    (weights in whole per cent adding up to 100). Worked in exact fractions, then rounded to
    whole pence by largest remainder, so the allocations add up to the pot exactly."""
    if population_weight + crime_weight != 100:
        raise ServiceError("The weights must add up to 100%", field="population_weight")
    total_population = sum(population for population, _ in inputs.values())
    total_crime = sum(crime for _, crime in inputs.values())
    if population_weight and total_population <= 0:
        raise ServiceError("Enter the population of at least one area", field="population_weight")
    if crime_weight and total_crime <= 0:
        raise ServiceError("Enter the recorded crime of at least one area", field="crime_weight")
    exact: dict[int, Fraction] = {}
    for organisation_id, (population, crime) in inputs.items():
        share = Fraction(0)
        if population_weight:
            share += Fraction(population_weight, 100) * Fraction(population, total_population)
        if crime_weight:
            share += Fraction(crime_weight, 100) * Fraction(crime, total_crime)
        exact[organisation_id] = share * pot_pence
    result = {key: int(value) for key, value in exact.items()}  # floor: never negative
    left_over = pot_pence - sum(result.values())
    # The pence left go to the largest remainders; ties to the lower id, so it is repeatable.
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - result[key]), key))
    for key in by_remainder[:left_over]:
        result[key] += 1
    return result


# Programmes and years -------------------------------------------------------------------------


def parse_year(raw: str | None, default: int | None = None) -> int:
    """The financial year in the query string (its starting year); the current one if none."""
    if raw is None or not raw.strip():
        return default if default is not None else financial_year_of(london_today())
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        raise ServiceError("Select a financial year from the list", field="year")
    return int(text)


def _staff_only(user: User) -> None:
    if not user.is_staff:
        raise NotFound


def csp_programme(user: User, programme_id: int) -> Programme:
    _staff_only(user)
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound
    if programme.kind is not ProgrammeKind.CSP_ALLOCATION:
        raise NotCsp
    return programme


def partnerships() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.org_type == OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
            .order_by(Organisation.name)
        )
    )


@dataclass(frozen=True)
class YearSummary:
    year: int
    budget_pence: int
    allocated_pence: int
    proposed: int
    confirmed: int

    @property
    def difference_pence(self) -> int:
        return self.budget_pence - self.allocated_pence


@dataclass(frozen=True)
class ProgrammeSummary:
    programme: Programme
    years: list[YearSummary]


def overview(user: User) -> list[ProgrammeSummary]:
    """Every CSP programme with each year it has a budget for, and where its allocations are."""
    _staff_only(user)
    programmes = db.session.scalars(
        select(Programme)
        .where(Programme.kind == ProgrammeKind.CSP_ALLOCATION)
        .order_by(Programme.name)
    ).all()
    summaries = []
    for programme in programmes:
        counts = {
            (year, status): (number, pence)
            for year, status, number, pence in db.session.execute(
                select(
                    CspAllocation.financial_year,
                    CspAllocation.status,
                    func.count(),
                    func.sum(CspAllocation.amount_pence),
                )
                .where(CspAllocation.programme_id == programme.id)
                .group_by(CspAllocation.financial_year, CspAllocation.status)
            )
        }
        years = []
        for budget in sorted(programme.budgets, key=lambda b: -b.financial_year):
            proposed = counts.get((budget.financial_year, CspAllocationStatus.PROPOSED), (0, 0))
            confirmed = counts.get((budget.financial_year, CspAllocationStatus.CONFIRMED), (0, 0))
            years.append(
                YearSummary(
                    year=budget.financial_year,
                    budget_pence=budget.amount_pence,
                    allocated_pence=int(proposed[1] or 0) + int(confirmed[1] or 0),
                    proposed=proposed[0],
                    confirmed=confirmed[0],
                )
            )
        summaries.append(ProgrammeSummary(programme, years))
    return summaries


# Allocations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRow:
    organisation: Organisation
    allocation: CspAllocation | None
    # Rolled over into this year by a decision on the year before's underspend.
    rolled_over_pence: int = 0

    @property
    def to_spend_pence(self) -> int:
        """What the partnership has to spend in the year: its allocation, which its plans may be
        approved up to and its award pays, and what it kept from the year before."""
        return (self.allocation.amount_pence if self.allocation else 0) + self.rolled_over_pence


@dataclass(frozen=True)
class AllocationsPage:
    programme: Programme
    year: int
    budget_pence: int | None
    basis: CspAllocationBasis | None
    rows: list[AllocationRow]
    year_options: list[int]

    @property
    def total_pence(self) -> int:
        return sum(row.allocation.amount_pence for row in self.rows if row.allocation)

    @property
    def difference_pence(self) -> int | None:
        """Budget less the allocations: negative when they are over the budget."""
        return None if self.budget_pence is None else self.budget_pence - self.total_pence

    @property
    def over_budget(self) -> bool:
        return self.difference_pence is not None and self.difference_pence < 0

    @property
    def rolled_over_pence(self) -> int:
        return sum(row.rolled_over_pence for row in self.rows)

    @property
    def has_allocations(self) -> bool:
        return any(row.allocation for row in self.rows)

    @property
    def any_confirmed(self) -> bool:
        return any(
            row.allocation and row.allocation.status is CspAllocationStatus.CONFIRMED
            for row in self.rows
        )

    @property
    def all_confirmed(self) -> bool:
        return self.has_allocations and all(
            row.allocation and row.allocation.status is CspAllocationStatus.CONFIRMED
            for row in self.rows
        )


def allocations_page(user: User, programme_id: int, year: int) -> AllocationsPage:
    programme = csp_programme(user, programme_id)
    allocations = {
        a.organisation_id: a
        for a in db.session.scalars(
            select(CspAllocation).where(
                CspAllocation.programme_id == programme.id, CspAllocation.financial_year == year
            )
        )
    }
    csps = partnerships()
    # A partnership no longer of the CSP type keeps its row while it has an allocation.
    known = {o.id for o in csps}
    extra = [a.organisation for a in allocations.values() if a.organisation_id not in known]
    rows = [
        AllocationRow(o, allocations.get(o.id), rolled_over_into(programme.id, o.id, year))
        for o in [*csps, *extra]
    ]
    basis = db.session.scalar(
        select(CspAllocationBasis).where(
            CspAllocationBasis.programme_id == programme.id,
            CspAllocationBasis.financial_year == year,
        )
    )
    budget = next((b.amount_pence for b in programme.budgets if b.financial_year == year), None)
    years = sorted({b.financial_year for b in programme.budgets} | {year}, reverse=True)
    return AllocationsPage(programme, year, budget, basis, rows, years)


@dataclass(frozen=True)
class MethodChoice:
    """What the officer chose on the method form."""

    method: AllocationMethod
    flat_pence: int | None = None
    pot_pence: int | None = None
    population_weight: int | None = None
    crime_weight: int | None = None
    # Organisation id -> (population, recorded crime).
    inputs: Mapping[int, tuple[int, int]] = field(default_factory=dict)


def set_method(
    user: User, programme_id: int, year: int, choice: MethodChoice, now: dt.datetime | None = None
) -> AllocationsPage:
    """Record the method and its inputs, and propose (or recalculate) every partnership's
    allocation from them. Refused once any of the year's allocations is confirmed."""
    now = now or utcnow()
    page = allocations_page(user, programme_id, year)
    if page.any_confirmed:
        raise ServiceError(
            f"The allocations for {financial_year(year)} are confirmed, so they cannot be "
            "recalculated"
        )
    organisation_ids = [row.organisation.id for row in page.rows]
    if not organisation_ids:
        raise ServiceError("There are no Community Safety Partnerships to allocate to")
    if choice.method is AllocationMethod.FLAT:
        if choice.flat_pence is None:
            raise ServiceError("Enter the amount for each area", field="flat_amount")
        amounts = flat_allocations(organisation_ids, choice.flat_pence)
    else:
        if choice.pot_pence is None:
            raise ServiceError("Enter the amount to share between the areas", field="pot")
        inputs = {key: choice.inputs.get(key, (0, 0)) for key in organisation_ids}
        amounts = formula_allocations(
            choice.pot_pence, inputs, choice.population_weight or 0, choice.crime_weight or 0
        )
    basis = page.basis or CspAllocationBasis(programme_id=page.programme.id, financial_year=year)
    basis.method = choice.method
    formula = choice.method is AllocationMethod.FORMULA
    basis.flat_amount_pence = None if formula else choice.flat_pence
    basis.pot_pence = choice.pot_pence if formula else None
    basis.population_weight = choice.population_weight if formula else None
    basis.crime_weight = choice.crime_weight if formula else None
    basis.set_by_id, basis.set_at = user.id, now
    db.session.add(basis)
    try:
        for row in page.rows:
            population, crime = choice.inputs.get(row.organisation.id, (None, None))
            if not formula:
                population = crime = None
            amount = amounts[row.organisation.id]
            if row.allocation is None:
                allocation = CspAllocation(
                    programme=page.programme,
                    organisation=row.organisation,
                    financial_year=year,
                    method=choice.method,
                    amount_pence=amount,
                    population=population,
                    recorded_crime=crime,
                )
                create(user, allocation, now=now, reason=describe(basis))
            else:
                payload: dict[str, object] = {
                    "amount_pence": amount,
                    "method": choice.method.value,
                    "reason": describe(basis),
                }
                if formula:
                    payload |= {"population": population, "recorded_crime": crime}
                fire(user, row.allocation, "revise", now=now, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return allocations_page(user, programme_id, year)


def describe(basis: CspAllocationBasis) -> str:
    """The method in words, as the ledger and the page give it."""
    if basis.method is AllocationMethod.FLAT:
        return f"A flat {pounds(basis.flat_amount_pence)} per area"
    return (
        f"{pounds(basis.pot_pence)} shared by formula: {basis.population_weight}% population "
        f"share, {basis.crime_weight}% recorded crime share"
    )


def confirm_allocations(
    user: User, programme_id: int, year: int, now: dt.datetime | None = None
) -> AllocationsPage:
    """Confirm every proposed allocation of the year, or none: the year's allocations must fit
    the programme's budget (the engine checks it again on each)."""
    page = allocations_page(user, programme_id, year)
    proposed = [
        row.allocation
        for row in page.rows
        if row.allocation and row.allocation.status is CspAllocationStatus.PROPOSED
    ]
    if not proposed:
        raise ServiceError("There are no proposed allocations to confirm: set the method first")
    if page.budget_pence is None:
        raise ServiceError(f"The programme has no budget for {financial_year(year)}: set one first")
    if page.over_budget:
        raise ServiceError(
            f"The allocations add up to {pounds(page.total_pence)}, which is "
            f"{pounds(-(page.difference_pence or 0))} more than the budget of "
            f"{pounds(page.budget_pence)} for {financial_year(year)}: change the method or "
            "its inputs"
        )
    try:
        for allocation in proposed:
            fire(user, allocation, "confirm", now=now)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return allocations_page(user, programme_id, year)


# Invitations to the plan round ----------------------------------------------------------------


def plan_rounds(user: User) -> list[Round]:
    """The CSP programmes' rounds, newest year first: each year's plans are sent to one."""
    _staff_only(user)
    return list(
        db.session.scalars(
            select(Round)
            .join(Programme, Programme.id == Round.programme_id)
            .options(selectinload(Round.programme))
            .where(Programme.kind == ProgrammeKind.CSP_ALLOCATION)
            .order_by(Round.financial_year.desc(), Round.opens_at.desc(), Round.id)
        )
    )


def plan_round(user: User, round_id: int) -> Round:
    _staff_only(user)
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound
    if round_.programme.kind is not ProgrammeKind.CSP_ALLOCATION:
        raise NotCsp
    return round_


@dataclass(frozen=True)
class InvitationRow:
    organisation: Organisation
    allocation: CspAllocation | None
    invitation: CspInvitation | None
    plan: Application | None

    @property
    def can_be_invited(self) -> bool:
        confirmed = self.allocation is not None and (
            self.allocation.status is CspAllocationStatus.CONFIRMED
        )
        return confirmed and self.invitation is None


@dataclass(frozen=True)
class InvitationsPage:
    round: Round
    rows: list[InvitationRow]

    @property
    def to_invite(self) -> list[InvitationRow]:
        return [row for row in self.rows if row.can_be_invited]

    @property
    def invited(self) -> int:
        return sum(1 for row in self.rows if row.invitation is not None)


def invitations_page(user: User, round_id: int) -> InvitationsPage:
    """Every partnership, with its allocation for the round's year, whether it is invited and
    the plan it has started, if any."""
    round_ = plan_round(user, round_id)
    allocations = {
        a.organisation_id: a
        for a in db.session.scalars(
            select(CspAllocation).where(
                CspAllocation.programme_id == round_.programme_id,
                CspAllocation.financial_year == round_.financial_year,
            )
        )
    }
    invitations = {
        i.organisation_id: i
        for i in db.session.scalars(
            select(CspInvitation).where(CspInvitation.round_id == round_.id)
        )
    }
    plans: dict[int, Application] = {}
    for application in db.session.scalars(
        select(Application).where(Application.round_id == round_.id).order_by(Application.id)
    ):
        plans.setdefault(application.organisation_id, application)
    rows = [
        InvitationRow(o, allocations.get(o.id), invitations.get(o.id), plans.get(o.id))
        for o in partnerships()
    ]
    return InvitationsPage(round_, rows)


def invite_partnerships(
    user: User, round_id: int, now: dt.datetime | None = None
) -> list[CspInvitation]:
    """Invite to the plan round every partnership with a confirmed allocation for its year
    that is not invited yet, and email each one's members. Gives the new invitations."""
    now = now or utcnow()
    if not MANAGING_STAFF.allows(user):
        raise NotFound
    page = invitations_page(user, round_id)
    round_ = page.round
    label = financial_year(round_.financial_year)
    if round_.closes_at <= now:
        raise ServiceError(f"{round_.name} has closed, so nobody can be invited to it")
    if not page.to_invite:
        if not any(
            row.allocation and row.allocation.status is CspAllocationStatus.CONFIRMED
            for row in page.rows
        ):
            raise ServiceError(
                f"No partnership has a confirmed allocation for {label}: confirm the year's "
                "allocations first"
            )
        raise ServiceError(
            f"Every partnership with a confirmed allocation for {label} is invited already"
        )
    invitations = [
        CspInvitation(
            round_id=round_.id,
            organisation_id=row.organisation.id,
            invited_by_id=user.id,
            invited_at=now,
        )
        for row in page.to_invite
    ]
    db.session.add_all(invitations)
    db.session.flush()
    for invitation in invitations:
        db.session.add(
            OutboxJob(
                job=csp_emails.INVITATION,
                payload=json.dumps({"invitation_id": invitation.id}),
                dedupe_key=f"{csp_emails.INVITATION}:{invitation.id}",
            )
        )
    db.session.commit()
    note_pending()
    return invitations


def is_invited(round_id: int, organisation_id: int) -> bool:
    return (
        db.session.scalar(
            select(CspInvitation.id).where(
                CspInvitation.round_id == round_id,
                CspInvitation.organisation_id == organisation_id,
            )
        )
        is not None
    )


def check_may_start_plan(round_: Round, organisation: Organisation) -> None:
    """A CSP round takes plans only from the partnerships invited to it: anyone else is
    refused with the reason, before anything is created."""
    if round_.programme.kind is not ProgrammeKind.CSP_ALLOCATION:
        return
    if organisation.org_type is not OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP:
        raise ServiceError(
            f"{round_.name} is for the Community Safety Partnerships invited to send their "
            f"annual plans. {organisation.name} cannot apply to it: find funding that is open "
            "to your organisation instead",
            "organisation",
        )
    if not is_invited(round_.id, organisation.id):
        raise ServiceError(
            f"{organisation.name} has not been invited to {round_.name}. A partnership can "
            "start its plan once the commissioning team has invited it",
            "organisation",
        )


def open_invitations(organisation_id: int, now: dt.datetime | None = None) -> list[CspInvitation]:
    """A partnership's invitations to plan rounds not yet closed where it has no plan yet:
    the plan it is asked to send, for its dashboard."""
    now = now or utcnow()
    started = select(Application.round_id).where(Application.organisation_id == organisation_id)
    return list(
        db.session.scalars(
            select(CspInvitation)
            .join(Round, Round.id == CspInvitation.round_id)
            .options(selectinload(CspInvitation.round))
            .where(
                CspInvitation.organisation_id == organisation_id,
                Round.closes_at > now,
                CspInvitation.round_id.not_in(started),
            )
            .order_by(Round.closes_at)
        )
    )


# The programme's underspend threshold ---------------------------------------------------------

# Anything above this is surely a slip of the finger (the whole CSP budget is about £500,000).
MOST_THRESHOLD_PENCE = 10_000_000_00


def threshold_programme(user: User, programme_id: int) -> Programme:
    """A CSP programme whose underspend threshold the user may change."""
    programme = csp_programme(user, programme_id)
    if not MANAGING_STAFF.allows(user):
        raise NotFound
    return programme


def set_underspend_threshold(user: User, programme_id: int, threshold_pence: int) -> Programme:
    """Change the programme's underspend threshold: whole pounds, £0 or more. It applies to
    forecasts recorded from now on; flags already raised keep the threshold they were raised
    at."""
    programme = threshold_programme(user, programme_id)
    if threshold_pence < 0:
        raise ServiceError("The threshold must be £0 or more", field="threshold")
    if threshold_pence % 100:
        raise ServiceError(
            "Enter the threshold in whole pounds, like 15,000 (no pence)", field="threshold"
        )
    if threshold_pence > MOST_THRESHOLD_PENCE:
        raise ServiceError(
            f"The threshold must be {pounds(MOST_THRESHOLD_PENCE, whole=True)} or less",
            field="threshold",
        )
    programme.underspend_threshold_pence = threshold_pence
    db.session.commit()
    return programme


# Forecasts and underspend ---------------------------------------------------------------------


def spent_to_date(monitoring_return: MonitoringReturn) -> int:
    return sum(line.spent_pence for line in monitoring_return.spend)


def funded_in_year(award: Award, year: int) -> int:
    return sum(y.amount_pence for y in award.years if y.financial_year == year)


@dataclass(frozen=True)
class ForecastPage:
    monitoring_return: MonitoringReturn
    award: Award
    year: int
    funded_pence: int
    spent_pence: int
    forecast: CspForecast | None
    threshold_pence: int


def csp_return(user: User, return_id: int) -> MonitoringReturn:
    _staff_only(user)
    monitoring_return = db.session.scalar(
        visible_returns(user).where(MonitoringReturn.id == return_id)
    )
    if monitoring_return is None:
        raise NotFound
    if monitoring_return.award.programme.kind is not ProgrammeKind.CSP_ALLOCATION:
        raise NotCsp
    return monitoring_return


def _forecast_of(return_id: int) -> CspForecast | None:
    return db.session.scalar(select(CspForecast).where(CspForecast.return_id == return_id))


def forecast_page(user: User, return_id: int) -> ForecastPage:
    monitoring_return = csp_return(user, return_id)
    award = monitoring_return.award
    year = financial_year_of(monitoring_return.period_end)
    return ForecastPage(
        monitoring_return,
        award,
        year,
        funded_in_year(award, year),
        spent_to_date(monitoring_return),
        _forecast_of(monitoring_return.id),
        award.programme.underspend_threshold_pence,
    )


def record_forecast(
    user: User,
    return_id: int,
    rest_of_year_pence: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> CspUnderspend | None:
    """Record what the partnership forecasts it will spend in the rest of the year, as at a
    return it has sent in; flag it if the forecast unspent is above the threshold. Gives the
    new flag, if there is one."""
    now = now or utcnow()
    page = forecast_page(user, return_id)
    if page.monitoring_return.status not in REPORTED:
        raise ServiceError(
            "A forecast goes with a return the partnership has sent in", field="rest_of_year"
        )
    forecast = page.forecast or CspForecast(return_id=return_id)
    forecast.rest_of_year_pence = rest_of_year_pence
    forecast.note = note.strip()
    forecast.recorded_by_id, forecast.recorded_at = user.id, now
    db.session.add(forecast)
    try:
        flag = flag_if_underspending(user, page.monitoring_return, forecast, now)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return flag


def forecast_unspent(funded_pence: int, spent_pence: int, rest_of_year_pence: int) -> int:
    return funded_pence - spent_pence - rest_of_year_pence


def is_flagged(unspent_pence: int, threshold_pence: int) -> bool:
    """Flagged when the forecast unspent is more than the threshold (at it is not)."""
    return unspent_pence > threshold_pence


def flag_if_underspending(
    actor: User | None,
    monitoring_return: MonitoringReturn,
    forecast: CspForecast,
    now: dt.datetime | None = None,
) -> CspUnderspend | None:
    """Inside the caller's transaction: a flag through the engine when the forecast unspent is
    above the threshold and the partnership has no flag for the year waiting already."""
    award = monitoring_return.award
    year = financial_year_of(monitoring_return.period_end)
    funded = funded_in_year(award, year)
    spent = spent_to_date(monitoring_return)
    unspent = forecast_unspent(funded, spent, forecast.rest_of_year_pence)
    # The threshold as the programme has it now: the flag keeps it, so a later change of the
    # setting leaves the flags already raised (and the ledger's record of them) as they were.
    threshold = award.programme.underspend_threshold_pence
    if not is_flagged(unspent, threshold):
        return None
    waiting = db.session.scalar(
        select(CspUnderspend).where(
            CspUnderspend.programme_id == award.programme_id,
            CspUnderspend.organisation_id == award.organisation_id,
            CspUnderspend.financial_year == year,
            CspUnderspend.status == UnderspendStatus.FLAGGED,
        )
    )
    if waiting is not None:
        return None
    flag = CspUnderspend(
        programme=award.programme,
        organisation=award.organisation,
        financial_year=year,
        award_id=award.id,
        return_id=monitoring_return.id,
        funded_pence=funded,
        spent_to_date_pence=spent,
        forecast_rest_pence=forecast.rest_of_year_pence,
        forecast_unspent_pence=unspent,
        threshold_pence=threshold,
        decision_pence=0,
    )
    if now is not None:
        # Flagged when the forecast was recorded, which the demo's history dates in the past.
        flag.created_at = now
    create(actor, flag, now=now)
    return flag


def underspends_waiting(user: User) -> list[CspUnderspend]:
    """Every flag waiting for a decision, largest forecast unspent first."""
    _staff_only(user)
    return list(
        db.session.scalars(
            select(CspUnderspend)
            .where(CspUnderspend.status == UnderspendStatus.FLAGGED)
            .order_by(CspUnderspend.forecast_unspent_pence.desc(), CspUnderspend.id)
        )
    )


def underspends_of(user: User, organisation_id: int) -> list[CspUnderspend]:
    partnership(user, organisation_id)
    return list(
        db.session.scalars(
            select(CspUnderspend)
            .where(CspUnderspend.organisation_id == organisation_id)
            .order_by(CspUnderspend.financial_year.desc(), CspUnderspend.id.desc())
        )
    )


def waiting_underspend(user: User, organisation_id: int) -> CspUnderspend | None:
    """The partnership's flag waiting for a decision (the oldest, if more than one)."""
    partnership(user, organisation_id)
    return db.session.scalar(
        select(CspUnderspend)
        .where(
            CspUnderspend.organisation_id == organisation_id,
            CspUnderspend.status == UnderspendStatus.FLAGGED,
        )
        .order_by(CspUnderspend.id)
    )


def decide_underspend(
    user: User,
    organisation_id: int,
    decision: str,
    amount_pence: int,
    reason: str,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> CspUnderspend:
    """Roll over, reallocate or claw back: the decision on the partnership's waiting flag,
    and the money moved as it says, all in one transaction (a refusal of any move leaves
    everything as it was)."""
    flag = waiting_underspend(user, organisation_id)
    if flag is None:
        raise NotFound
    if decision not in DECISIONS:
        raise ServiceError("Choose roll over, reallocate or claw back", field="decision")
    now = now or utcnow()
    try:
        fire(
            user,
            flag,
            decision,
            expected_version=expected_version,
            now=now,
            amount_pence=amount_pence,
            reason=reason.strip(),
        )
        move_underspend_money(user, flag, now)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message, field="amount") from refusal
    except ServiceError:
        db.session.rollback()
        raise
    return flag


def move_underspend_money(user: User | None, flag: CspUnderspend, now: dt.datetime) -> None:
    """Inside the caller's transaction, after the decision: the money moves it names, each
    through the engine. Rolling over needs no move of its own: the decision, on the ledger
    with its amount, is what next year's pages show as kept to spend (``rolled_over_into``)."""
    decision, amount = flag.decision, flag.decision_pence
    label = financial_year(flag.financial_year)
    if decision == "roll_over":
        return
    award = db.session.get(Award, flag.award_id) if flag.award_id else None
    if award is None:
        raise ServiceError(
            f"The partnership has no award for {label} to take the money from", field="decision"
        )
    why = "clawed back" if decision == "claw_back" else "reallocated"
    fire(
        user,
        award,
        "reduce",
        now=now,
        financial_year=flag.financial_year,
        reduction_pence=amount,
        reason=f"Forecast underspend {why}: {flag.decision_reason}",
    )
    if decision == "reallocate":
        allocation = db.session.scalar(
            select(CspAllocation).where(
                CspAllocation.programme_id == flag.programme_id,
                CspAllocation.organisation_id == flag.organisation_id,
                CspAllocation.financial_year == flag.financial_year,
            )
        )
        if allocation is None or allocation.status is not CspAllocationStatus.CONFIRMED:
            raise ServiceError(
                f"The partnership has no confirmed allocation for {label} to give the money "
                "back from",
                field="decision",
            )
        fire(
            user,
            allocation,
            "release",
            now=now,
            amount_pence=amount,
            reason=f"Forecast underspend reallocated: {flag.decision_reason}",
        )


def decision_label(decision: str | None) -> str:
    return DECISIONS.get(decision or "", "")


# The Police and Crime Panel's page ------------------------------------------------------------


def partnership(user: User, organisation_id: int) -> Organisation:
    _staff_only(user)
    organisation = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation_id)
    )
    if organisation is None:
        raise NotFound
    if organisation.org_type is not OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP:
        raise NotCsp
    return organisation


@dataclass(frozen=True)
class ReturnLine:
    monitoring_return: MonitoringReturn
    spent_pence: int
    forecast: CspForecast | None


@dataclass(frozen=True)
class OutputLine:
    description: str
    target: int
    achieved: int


@dataclass(frozen=True)
class PanelYear:
    year: int
    allocation: CspAllocation | None
    awarded_pence: int
    paid_pence: int
    spent_pence: int  # spend to date in the latest return sent in
    returns: list[ReturnLine]
    outputs: list[OutputLine]
    underspends: list[CspUnderspend]
    # Rolled over into this year by decisions on the year before's underspend.
    rolled_over_pence: int = 0


@dataclass(frozen=True)
class PanelPage:
    organisation: Organisation
    years: list[PanelYear]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "allocated": sum(y.allocation.amount_pence for y in self.years if y.allocation),
            "awarded": sum(y.awarded_pence for y in self.years),
            "paid": sum(y.paid_pence for y in self.years),
            "spent": sum(y.spent_pence for y in self.years),
        }


def panel_page(user: User, organisation_id: int) -> PanelPage:
    """Allocation, awards, payments made, spend reported, outputs and returns for each
    financial year of one partnership's CSP funding, newest first."""
    organisation = partnership(user, organisation_id)
    allocations = {
        a.financial_year: a
        for a in db.session.scalars(
            select(CspAllocation)
            .join(Programme, Programme.id == CspAllocation.programme_id)
            .where(
                CspAllocation.organisation_id == organisation.id,
                Programme.kind == ProgrammeKind.CSP_ALLOCATION,
            )
        )
    }
    awards = db.session.scalars(
        select(Award)
        .join(Programme, Programme.id == Award.programme_id)
        .where(
            Award.organisation_id == organisation.id,
            Programme.kind == ProgrammeKind.CSP_ALLOCATION,
            Award.status.in_(FUNDED),
        )
        .order_by(Award.id)
    ).all()
    awarded: dict[int, int] = {}
    for year, pence in db.session.execute(
        select(AwardYear.financial_year, func.sum(AwardYear.amount_pence))
        .where(AwardYear.award_id.in_([a.id for a in awards]))
        .group_by(AwardYear.financial_year)
    ):
        awarded[year] = int(pence)
    paid: dict[int, int] = {}
    for year, pence in db.session.execute(
        select(Payment.financial_year, func.sum(Payment.amount_pence))
        .where(Payment.award_id.in_([a.id for a in awards]), Payment.status == PaymentStatus.PAID)
        .group_by(Payment.financial_year)
    ):
        paid[year] = int(pence)
    returns_by_year: dict[int, list[ReturnLine]] = {}
    latest_by_award_year: dict[tuple[int, int], MonitoringReturn] = {}
    for award in awards:
        for monitoring_return in award.returns:
            year = financial_year_of(monitoring_return.period_end)
            returns_by_year.setdefault(year, []).append(
                ReturnLine(
                    monitoring_return,
                    spent_to_date(monitoring_return),
                    _forecast_of(monitoring_return.id),
                )
            )
            if monitoring_return.status in REPORTED:
                key = (award.id, year)
                known = latest_by_award_year.get(key)
                if known is None or known.period_end < monitoring_return.period_end:
                    latest_by_award_year[key] = monitoring_return
    spent: dict[int, int] = {}
    outputs: dict[int, dict[str, list[int]]] = {}
    for (award_id, year), monitoring_return in latest_by_award_year.items():
        spent[year] = spent.get(year, 0) + spent_to_date(monitoring_return)
        achieved = {o.output_target_id: o.achieved for o in monitoring_return.outputs}
        award = next(a for a in awards if a.id == award_id)
        for target in _targets(award):
            figures = outputs.setdefault(year, {}).setdefault(target.description, [0, 0])
            figures[0] += target.target
            figures[1] += achieved.get(target.id, 0)
    flags: dict[int, list[CspUnderspend]] = {}
    for flag in db.session.scalars(
        select(CspUnderspend)
        .where(CspUnderspend.organisation_id == organisation.id)
        .order_by(CspUnderspend.id)
    ):
        flags.setdefault(flag.financial_year, []).append(flag)
    rolled: dict[int, int] = {}
    for year_flags in flags.values():
        for flag in year_flags:
            if flag.status is UnderspendStatus.DECIDED and flag.decision == "roll_over":
                into = flag.financial_year + 1
                rolled[into] = rolled.get(into, 0) + flag.decision_pence
    years = sorted(
        set(allocations)
        | set(awarded)
        | set(paid)
        | set(returns_by_year)
        | set(flags)
        | set(rolled),
        reverse=True,
    )
    return PanelPage(
        organisation,
        [
            PanelYear(
                year=year,
                allocation=allocations.get(year),
                awarded_pence=awarded.get(year, 0),
                paid_pence=paid.get(year, 0),
                spent_pence=spent.get(year, 0),
                returns=sorted(
                    returns_by_year.get(year, []), key=lambda r: r.monitoring_return.period_start
                ),
                outputs=[
                    OutputLine(description, target, achieved)
                    for description, (target, achieved) in sorted(outputs.get(year, {}).items())
                ],
                underspends=flags.get(year, []),
                rolled_over_pence=rolled.get(year, 0),
            )
            for year in years
        ],
    )


def _targets(award: Award) -> list[OutputTarget]:
    return list(award.application.output_targets) if award.application else []
