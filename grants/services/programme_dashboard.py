"""The programme dashboard: one programme's money, returns, outputs and applications in one
financial year (1 April to 31 March, Europe/London).

Every figure comes from an aggregate query, so the page runs the same statements whether the
programme has ten applications or ten thousand. What each figure means:

- Budget: the programme's budget for the year (``ProgrammeBudget``, as the programme page shows
  it). What the year's rounds were given (``Round.budget_pence``) is shown beside it, since a
  round's budget is a share of the programme's, not an addition to it.
- Committed: the year's part (``AwardYear``) of every award accepted, active, suspended or closed.
  A terminated award counts only what was paid on it for the year: the rest will never be paid.
- Offered: the year's part of awards offered and not yet accepted; not committed until accepted.
- Paid: payments against the year (``Payment.financial_year``) that have been paid, whatever the
  award's state; approved, not yet paid: those approved and waiting to be paid.
- Remaining: budget less committed (negative when the year is over-committed).
- Returns: those due in the year, by whether they came in on time (submitted by the end of the
  due date in London), late, are overdue now (still with the organisation past their due date,
  as ``returns.is_overdue`` has it), not yet due (including any not yet opened), or waived.
- Outputs: the targets of the applications behind the year's funded awards (those counted in
  committed), added up by description, against what each award's latest accepted return says
  was achieved to date. Targets are for the whole project, so a project funded over two years
  counts its targets in each.
- Applications: those submitted to the programme's rounds for the year, by status. Drafts are
  the organisations' own business, as in the queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Date, and_, case, func, literal, or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import LONDON
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    OutputTarget,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeBudget,
    ReturnOutput,
    ReturnStatus,
    Round,
    User,
)
from grants.models.base import UTCDateTime
from grants.services.errors import NotFound, ServiceError
from grants.services.returns import EDITABLE

COMMITTED = (AwardStatus.ACCEPTED, AwardStatus.ACTIVE, AwardStatus.SUSPENDED, AwardStatus.CLOSED)
# Awards whose outputs the year answers for: those it has committed money to.
FUNDED = (*COMMITTED, AwardStatus.TERMINATED)
DONE_RETURNS = (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)
# The statuses an application reaches once submitted, in the order they are shown.
SUBMITTED_STATUSES = tuple(
    s for s in ApplicationStatus if s not in (ApplicationStatus.DRAFT, ApplicationStatus.LAPSED)
)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
CHOOSE_A_YEAR = "Select a financial year from the list"


@dataclass(frozen=True)
class Money:
    budget_pence: int
    allocated_to_rounds_pence: int
    committed_pence: int
    offered_pence: int
    paid_pence: int
    approved_not_paid_pence: int

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.committed_pence


@dataclass(frozen=True)
class ReturnsOnTime:
    on_time: int
    late: int
    overdue: int
    not_yet_due: int
    waived: int

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue + self.not_yet_due + self.waived


@dataclass(frozen=True)
class OutputProgress:
    description: str
    target: int
    achieved: int

    @property
    def percent_achieved(self) -> int | None:
        """Achieved as a whole percentage of the target (None for a target of nothing)."""
        return None if self.target <= 0 else self.achieved * 100 // self.target


@dataclass(frozen=True)
class ProgrammeYears:
    """A programme and the financial years it has anything in, for choosing a year."""

    programme: Programme
    years: tuple[int, ...]
    current_year: int

    def options(self, selected: int | None) -> tuple[int, ...]:
        """The years to offer, newest first: the programme's, this year, and the one shown."""
        extra = {self.current_year} | ({selected} if selected is not None else set())
        return tuple(sorted(set(self.years) | extra, reverse=True))


@dataclass(frozen=True)
class ProgrammeDashboard:
    programme: Programme
    year: int
    money: Money
    returns: ReturnsOnTime
    outputs: tuple[OutputProgress, ...]
    applications: tuple[tuple[ApplicationStatus, int], ...]
    today: dt.date

    @property
    def is_empty(self) -> bool:
        """Nothing budgeted, awarded, paid, due or applied for in the year."""
        money = self.money
        return (
            not any(
                (
                    money.budget_pence,
                    money.allocated_to_rounds_pence,
                    money.committed_pence,
                    money.offered_pence,
                    money.paid_pence,
                    money.approved_not_paid_pence,
                )
            )
            and self.returns.due == 0
            and not self.outputs
            and not any(count for _, count in self.applications)
        )


def parse_year(raw: str | None, default: int) -> int:
    """The financial year asked for in the query string (its starting year), or the default
    when none is given. Anything but a plausible year is refused."""
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        raise ServiceError(CHOOSE_A_YEAR, field="year")
    return int(text)


def programme_years(user: User, programme_id: int, today: dt.date | None = None) -> ProgrammeYears:
    """The programme, and the years it has a budget, rounds or awards in. Staff only: the
    dashboard adds up every organisation's awards, so there is no partial view of it."""
    if not user.is_staff:
        raise NotFound
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound
    years = db.session.scalars(
        union(
            select(Round.financial_year).where(Round.programme_id == programme_id),
            select(ProgrammeBudget.financial_year).where(
                ProgrammeBudget.programme_id == programme_id
            ),
            select(AwardYear.financial_year)
            .join(Award, Award.id == AwardYear.award_id)
            .where(Award.programme_id == programme_id),
        )
    )
    return ProgrammeYears(
        programme=programme,
        years=tuple(sorted(set(years))),
        current_year=financial_year_of(today or london_today()),
    )


def dashboard(
    user: User, chosen: ProgrammeYears, year: int, today: dt.date | None = None
) -> ProgrammeDashboard:
    """Every figure for the programme in the financial year starting in ``year``."""
    if not user.is_staff:
        raise NotFound
    today = today or london_today()
    programme_id = chosen.programme.id
    return ProgrammeDashboard(
        programme=chosen.programme,
        year=year,
        money=_money(programme_id, year),
        returns=_returns(programme_id, year, today),
        outputs=_outputs(programme_id, year),
        applications=_applications(programme_id, year),
        today=today,
    )


# The figures: aggregate statements, the same few whatever the number of rows ------------------


def _sum_where(condition: ColumnElement[bool], amount: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _money(programme_id: int, year: int) -> Money:
    budget, allocated = db.session.execute(
        select(
            select(func.coalesce(func.sum(ProgrammeBudget.amount_pence), 0))
            .where(
                ProgrammeBudget.programme_id == programme_id,
                ProgrammeBudget.financial_year == year,
            )
            .scalar_subquery(),
            select(func.coalesce(func.sum(Round.budget_pence), 0))
            .where(Round.programme_id == programme_id, Round.financial_year == year)
            .scalar_subquery(),
        )
    ).one()
    committed, offered = db.session.execute(
        select(
            _sum_where(Award.status.in_(COMMITTED), AwardYear.amount_pence),
            _sum_where(Award.status == AwardStatus.OFFERED, AwardYear.amount_pence),
        )
        .select_from(AwardYear)
        .join(Award, Award.id == AwardYear.award_id)
        .where(Award.programme_id == programme_id, AwardYear.financial_year == year)
    ).one()
    paid = Payment.status == PaymentStatus.PAID
    paid_total, approved, paid_on_terminated = db.session.execute(
        select(
            _sum_where(paid, Payment.amount_pence),
            _sum_where(Payment.status == PaymentStatus.APPROVED, Payment.amount_pence),
            _sum_where(and_(paid, Award.status == AwardStatus.TERMINATED), Payment.amount_pence),
        )
        .select_from(Payment)
        .join(Award, Award.id == Payment.award_id)
        .where(Award.programme_id == programme_id, Payment.financial_year == year)
    ).one()
    return Money(
        budget_pence=int(budget),
        allocated_to_rounds_pence=int(allocated),
        committed_pence=int(committed) + int(paid_on_terminated),
        offered_pence=int(offered),
        paid_pence=int(paid_total),
        approved_not_paid_pence=int(approved),
    )


def year_days(year: int) -> list[dt.date]:
    """Every day of the financial year starting in ``year``."""
    first, last = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def deadline_utc(due: dt.date) -> dt.datetime:
    """The moment a return due on ``due`` becomes late: the next midnight in London, in UTC."""
    next_day = due + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


def _returns(programme_id: int, year: int, today: dt.date) -> ReturnsOnTime:
    days = year_days(year)
    # The deadline of each possible due date, worked out here rather than in SQL: the London
    # midnight moves with British Summer Time, and date arithmetic differs between databases.
    deadline = case(
        {literal(day, Date()): literal(deadline_utc(day), UTCDateTime()) for day in days},
        value=MonitoringReturn.due_date,
    )
    done = MonitoringReturn.status.in_(DONE_RETURNS)
    submitted = MonitoringReturn.submitted_at
    in_time = and_(done, submitted < deadline)
    waiting = MonitoringReturn.status.in_(EDITABLE)
    overdue = and_(waiting, MonitoringReturn.due_date < today)
    row = db.session.execute(
        select(
            _count_where(in_time),
            _count_where(and_(done, or_(submitted.is_(None), submitted >= deadline))),
            _count_where(overdue),
            _count_where(
                (MonitoringReturn.status == ReturnStatus.SCHEDULED)
                | and_(waiting, MonitoringReturn.due_date >= today)
            ),
            _count_where(MonitoringReturn.status == ReturnStatus.WAIVED),
        )
        .select_from(MonitoringReturn)
        .join(Award, Award.id == MonitoringReturn.award_id)
        .where(
            Award.programme_id == programme_id,
            MonitoringReturn.due_date.between(days[0], days[-1]),
        )
    ).one()
    on_time, late, overdue_now, not_yet_due, waived = (int(n) for n in row)
    return ReturnsOnTime(on_time, late, overdue_now, not_yet_due, waived)


def _outputs(programme_id: int, year: int) -> tuple[OutputProgress, ...]:
    ranked = (
        select(
            MonitoringReturn.id,
            MonitoringReturn.award_id,
            func.row_number()
            .over(
                partition_by=MonitoringReturn.award_id,
                order_by=(MonitoringReturn.due_date.desc(), MonitoringReturn.id.desc()),
            )
            .label("newest_first"),
        )
        .where(MonitoringReturn.status == ReturnStatus.ACCEPTED)
        .subquery()
    )
    latest = select(ranked.c.id, ranked.c.award_id).where(ranked.c.newest_first == 1).subquery()
    # Applicants type their own descriptions: the same words in another case or with stray
    # spaces are the same output.
    key = func.lower(func.trim(OutputTarget.description))
    rows = db.session.execute(
        select(
            func.min(func.trim(OutputTarget.description)),
            func.coalesce(func.sum(OutputTarget.target), 0),
            func.coalesce(func.sum(ReturnOutput.achieved), 0),
        )
        .select_from(Award)
        .join(AwardYear, and_(AwardYear.award_id == Award.id, AwardYear.financial_year == year))
        .join(OutputTarget, OutputTarget.application_id == Award.application_id)
        .outerjoin(latest, latest.c.award_id == Award.id)
        .outerjoin(
            ReturnOutput,
            and_(
                ReturnOutput.return_id == latest.c.id,
                ReturnOutput.output_target_id == OutputTarget.id,
            ),
        )
        .where(Award.programme_id == programme_id, Award.status.in_(FUNDED))
        .group_by(key)
        .order_by(key)
    )
    return tuple(OutputProgress(description, int(t), int(a)) for description, t, a in rows)


def _applications(programme_id: int, year: int) -> tuple[tuple[ApplicationStatus, int], ...]:
    rows = db.session.execute(
        select(Application.status, func.count())
        .join(Round, Round.id == Application.round_id)
        .where(
            Round.programme_id == programme_id,
            Round.financial_year == year,
            Application.submitted_at.is_not(None),
        )
        .group_by(Application.status)
    )
    counts = dict(rows.all())
    return tuple((status, int(counts.get(status, 0))) for status in SUBMITTED_STATUSES)
