"""The financial-year ledger: for each programme and financial year (1 April to 31 March,
Europe/London), the budget and what is committed, claimed, approved, paid and remaining.

The figures mean what the programme dashboard's mean (grants/services/programme_dashboard.py),
and are built from the same definitions (``COMMITTED``):

- Budget: the programme's budget for the year (``ProgrammeBudget``).
- Committed: the year's part (``AwardYear``) of every award accepted, active, suspended or
  closed, so a multi-year award counts in each of its years. A terminated award counts only
  what was paid on it for the year (``Payment.financial_year``): the rest will never be paid.
  Offers not yet accepted are not committed (the dashboard shows them apart; the ledger does not).
- Claimed: claims made and not yet approved (payments in the ``claimed`` state). The
  dashboard has no such figure.
- Approved: payments approved and not yet paid (the dashboard's "approved, not yet paid").
- Paid: payments paid against the year, whatever the award's state now.
- Remaining: budget less committed (negative when the year is over-committed).

Claimed, approved and paid are by the payment's financial year, not the date it was paid, so a
year's payments and its awards' years answer for the same money. A programme and year appears
when it has a budget, an award's year or a payment in any state but rejected or scheduled.

Every figure comes from three aggregate statements (budgets; awards' years; payments), grouped
by programme and year, so the page costs the same whatever the number of awards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

from sqlalchemy import and_, case, func, select, union
from sqlalchemy.sql.elements import ColumnElement

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year
from grants.models import (
    Award,
    AwardStatus,
    AwardYear,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeBudget,
    User,
)
from grants.policy import FINANCE_READERS
from grants.services.errors import NotFound
from grants.services.programme_dashboard import COMMITTED

# The payments the ledger counts: a scheduled payment is not yet money anyone has asked for, and
# a rejected claim never will be.
COUNTED_PAYMENTS = (PaymentStatus.CLAIMED, PaymentStatus.APPROVED, PaymentStatus.PAID)


@dataclass(frozen=True)
class Figures:
    budget_pence: int = 0
    committed_pence: int = 0
    claimed_pence: int = 0
    approved_pence: int = 0
    paid_pence: int = 0

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.committed_pence

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Figures)))


@dataclass(frozen=True)
class LedgerLine:
    """One programme in one financial year."""

    programme_id: int
    programme: str
    year: int
    figures: Figures


@dataclass(frozen=True)
class ProgrammeLedger:
    programme_id: int
    name: str
    lines: tuple[LedgerLine, ...]

    @property
    def total(self) -> Figures:
        return _sum(line.figures for line in self.lines)


@dataclass(frozen=True)
class Ledger:
    programmes: tuple[ProgrammeLedger, ...]
    programme_id: int | None = None
    year: int | None = None
    by_year: tuple[tuple[int, Figures], ...] = field(default=())

    @property
    def lines(self) -> Iterator[LedgerLine]:
        for programme in self.programmes:
            yield from programme.lines

    @property
    def total(self) -> Figures:
        return _sum(programme.total for programme in self.programmes)

    @property
    def is_empty(self) -> bool:
        return not self.programmes


@dataclass(frozen=True)
class LedgerOptions:
    """What the ledger can be filtered by: every programme, and the years with anything in."""

    programmes: tuple[tuple[int, str], ...]
    years: tuple[int, ...]
    current_year: int

    def programme_choices(self) -> list[tuple[str, str]]:
        return [(str(programme_id), name) for programme_id, name in self.programmes]

    def year_choices(self) -> list[tuple[str, str]]:
        years = sorted(set(self.years) | {self.current_year}, reverse=True)
        return [(str(year), financial_year(year)) for year in years]


def _sum(figures: Iterator[Figures] | tuple[Figures, ...]) -> Figures:
    total = Figures()
    for one in figures:
        total = total + one
    return total


def _check(user: User) -> None:
    # Every organisation's money is added up here: there is no partial view to give anyone else.
    if not FINANCE_READERS.allows(user):
        raise NotFound


def ledger_options(user: User) -> LedgerOptions:
    _check(user)
    programmes = db.session.execute(
        select(Programme.id, Programme.name).order_by(Programme.name, Programme.id)
    ).all()
    years = db.session.scalars(
        union(
            select(ProgrammeBudget.financial_year),
            select(AwardYear.financial_year),
            select(Payment.financial_year).where(Payment.status.in_(COUNTED_PAYMENTS)),
        )
    )
    return LedgerOptions(
        programmes=tuple((int(i), name) for i, name in programmes),
        years=tuple(sorted(set(years))),
        current_year=financial_year_of(london_today()),
    )


def _sum_where(condition: ColumnElement[bool], amount: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def ledger(
    user: User,
    options: LedgerOptions,
    programme_id: int | None = None,
    year: int | None = None,
) -> Ledger:
    """The ledger for every programme and year, or the one programme and/or year asked for.
    ``options`` names the programmes (from ``ledger_options``), so that is not asked again."""
    _check(user)
    cells: dict[tuple[int, int], dict[str, int]] = {}

    def add(programme: int, fy: int, **amounts: int) -> None:
        cell = cells.setdefault((int(programme), int(fy)), {})
        for name, amount in amounts.items():
            cell[name] = cell.get(name, 0) + int(amount)

    budgets = select(
        ProgrammeBudget.programme_id,
        ProgrammeBudget.financial_year,
        func.sum(ProgrammeBudget.amount_pence),
    ).group_by(ProgrammeBudget.programme_id, ProgrammeBudget.financial_year)
    committed = (
        select(Award.programme_id, AwardYear.financial_year, func.sum(AwardYear.amount_pence))
        .select_from(AwardYear)
        .join(Award, Award.id == AwardYear.award_id)
        .where(Award.status.in_(COMMITTED))
        .group_by(Award.programme_id, AwardYear.financial_year)
    )
    paid = Payment.status == PaymentStatus.PAID
    payments = (
        select(
            Award.programme_id,
            Payment.financial_year,
            _sum_where(Payment.status == PaymentStatus.CLAIMED, Payment.amount_pence),
            _sum_where(Payment.status == PaymentStatus.APPROVED, Payment.amount_pence),
            _sum_where(paid, Payment.amount_pence),
            _sum_where(and_(paid, Award.status == AwardStatus.TERMINATED), Payment.amount_pence),
        )
        .select_from(Payment)
        .join(Award, Award.id == Payment.award_id)
        .where(Payment.status.in_(COUNTED_PAYMENTS))
        .group_by(Award.programme_id, Payment.financial_year)
    )
    if programme_id is not None:
        budgets = budgets.where(ProgrammeBudget.programme_id == programme_id)
        committed = committed.where(Award.programme_id == programme_id)
        payments = payments.where(Award.programme_id == programme_id)
    if year is not None:
        budgets = budgets.where(ProgrammeBudget.financial_year == year)
        committed = committed.where(AwardYear.financial_year == year)
        payments = payments.where(Payment.financial_year == year)

    for programme, fy, amount in db.session.execute(budgets):
        add(programme, fy, budget_pence=amount)
    for programme, fy, amount in db.session.execute(committed):
        add(programme, fy, committed_pence=amount)
    for programme, fy, claimed, approved, paid_total, paid_terminated in db.session.execute(
        payments
    ):
        add(
            programme,
            fy,
            claimed_pence=claimed,
            approved_pence=approved,
            paid_pence=paid_total,
            committed_pence=paid_terminated,
        )

    names = dict(options.programmes)
    ordered = sorted(cells, key=lambda key: (names.get(key[0], ""), key[0], key[1]))
    grouped: dict[int, list[LedgerLine]] = {}
    for key in ordered:
        programme, fy = key
        grouped.setdefault(programme, []).append(
            LedgerLine(programme, names.get(programme, ""), fy, Figures(**cells[key]))
        )
    by_year: dict[int, Figures] = {}
    for lines in grouped.values():
        for line in lines:
            by_year[line.year] = by_year.get(line.year, Figures()) + line.figures
    return Ledger(
        programmes=tuple(
            ProgrammeLedger(programme, names.get(programme, ""), tuple(lines))
            for programme, lines in grouped.items()
        ),
        programme_id=programme_id,
        year=year,
        by_year=tuple(sorted(by_year.items())),
    )
