"""The engine's rules for Community Safety Partnership money: allocations within the
programme's budget for the year, and a CSP's approved plan within its confirmed allocation."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.extensions import db
from grants.filters import financial_year, pounds
from grants.models import Application, ApplicationStatus, ProgrammeBudget, ProgrammeKind, Round
from grants.models.csp import CspAllocation, CspAllocationStatus, CspUnderspend, UnderspendStatus
from workflows.declaration import Move


def budget_for(programme_id: int, year: int) -> int | None:
    return db.session.scalar(
        select(ProgrammeBudget.amount_pence).where(
            ProgrammeBudget.programme_id == programme_id, ProgrammeBudget.financial_year == year
        )
    )


def allocations_total(programme_id: int, year: int) -> int:
    # PostgreSQL's SUM is a numeric (Decimal): money is whole pence, so make it an int.
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(CspAllocation.amount_pence), 0)).where(
                CspAllocation.programme_id == programme_id, CspAllocation.financial_year == year
            )
        )
    )


def within_programme_budget(move: Move) -> str | None:
    """The year's allocations, all of them, never add up to more than the programme's budget
    for the year: checked as each is confirmed."""
    allocation = move.obj
    year = allocation.financial_year
    budget = budget_for(allocation.programme_id, year)
    if budget is None:
        return f"The programme has no budget for {financial_year(year)}: set one first"
    total = allocations_total(allocation.programme_id, year)
    if total > budget:
        return (
            f"The allocations for {financial_year(year)} add up to {pounds(total)}, which is "
            f"{pounds(total - budget)} more than the budget of {pounds(budget)}"
        )
    return None


def amount_given(move: Move) -> str | None:
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int) or amount < 0:
        return "Enter the allocation in whole pence"
    return None


def confirmed_allocation(programme_id: int, organisation_id: int, year: int) -> int | None:
    return db.session.scalar(
        select(CspAllocation.amount_pence).where(
            CspAllocation.programme_id == programme_id,
            CspAllocation.organisation_id == organisation_id,
            CspAllocation.financial_year == year,
            CspAllocation.status == CspAllocationStatus.CONFIRMED,
        )
    )


def rolled_over_into(programme_id: int, organisation_id: int, year: int) -> int:
    """What was rolled over into ``year`` by underspend decisions on the year before: money the
    partnership was paid last year and keeps to spend this year. It is not paid again, so it
    neither raises what this year's plan can be approved up to nor counts against this year's
    budget."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(CspUnderspend.decision_pence), 0)).where(
                CspUnderspend.programme_id == programme_id,
                CspUnderspend.organisation_id == organisation_id,
                CspUnderspend.financial_year == year - 1,
                CspUnderspend.status == UnderspendStatus.DECIDED,
                CspUnderspend.decision == "roll_over",
            )
        )
    )


def within_csp_allocation(move: Move) -> str | None:
    """For a CSP's annual plan: the amount approved, with the partnership's other approved
    plans for the year, is within its confirmed allocation for the year. (Money rolled over
    into the year was paid the year before, so an award never pays it again.) Other
    programmes' applications pass untouched. A guard on the application's ``approve``."""
    application = move.obj
    round_ = application.round
    if round_.programme.kind is not ProgrammeKind.CSP_ALLOCATION:
        return None
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int):
        return None  # approved_amount_fits says what is wrong with it
    year = round_.financial_year
    allocation = confirmed_allocation(round_.programme_id, application.organisation_id, year)
    if allocation is None:
        return (
            f"The partnership has no confirmed allocation for {financial_year(year)}: confirm the "
            "year's allocations before approving its plan"
        )
    approved = db.session.scalar(
        select(func.coalesce(func.sum(Application.amount_approved_pence), 0))
        .join(Round, Round.id == Application.round_id)
        .where(
            Round.programme_id == round_.programme_id,
            Round.financial_year == year,
            Application.organisation_id == application.organisation_id,
            Application.status == ApplicationStatus.APPROVED,
            Application.id != application.id,
        )
    )
    approved = int(approved)  # a Decimal from PostgreSQL's SUM
    if approved + amount > allocation:
        left = max(allocation - approved, 0)
        return (
            f"This is more than the partnership's allocation for {financial_year(year)} allows: "
            f"{pounds(left)} of {pounds(allocation)} is left"
        )
    return None
