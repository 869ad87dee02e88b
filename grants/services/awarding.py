"""Approving an application makes the offer: the decision and the award it creates, with its
amounts per financial year, payment schedule, reporting schedule, conditions and expiry, all in
one transaction, so there is never an approved application without its offer.

The schedules are worked out here from the terms the decider chose; the engine records the
decision, the award, and each scheduled payment and return as its own ledger event.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import LONDON
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardCondition,
    AwardYear,
    MonitoringReturn,
    Payment,
    User,
)
from grants.services.applications import application_for
from grants.services.errors import ServiceError
from workflows.engine import create, fire
from workflows.errors import WorkflowError

ADVANCE = "advance"
ARREARS = "arrears"
QUARTERLY = "quarterly"
HALF_YEARLY = "half_yearly"
END_ONLY = "end_only"
# Financial quarters and halves start in these months (April is the financial year's start).
PERIOD_STARTS = {QUARTERLY: (4, 7, 10, 1), HALF_YEARLY: (4, 10), END_ONLY: ()}
MAX_INSTALMENTS = 12
OFFER_OPEN_FOR_DAYS = 30
LONGEST_OFFER_DAYS = 90
OFFER_EXPIRES_AT = dt.time(17, 0)  # 5pm London on the expiry date
STANDARD_CONDITIONS = (
    "Bank details verified against a recent bank statement in the organisation's name",
    "Safeguarding policy reviewed in the last 12 months",
)


@dataclass(frozen=True)
class OfferTerms:
    """What the decider chose when approving; everything else follows from these."""

    amount_pence: int
    years: Mapping[int, int]  # financial year -> pence
    starts_on: dt.date
    ends_on: dt.date
    payment_timing: str = ADVANCE
    instalments: int = 1
    reporting: str = QUARTERLY
    pre_payment_conditions: Sequence[str] = STANDARD_CONDITIONS
    other_conditions: Sequence[str] = ()
    offer_expires_on: dt.date = field(default_factory=lambda: _default_expiry())


@dataclass(frozen=True)
class ScheduledPayment:
    due: dt.date
    financial_year: int
    amount_pence: int
    is_final: bool


@dataclass(frozen=True)
class ScheduledReturn:
    period_start: dt.date
    period_end: dt.date
    due: dt.date


def _default_expiry() -> dt.date:
    return london_today() + dt.timedelta(days=OFFER_OPEN_FOR_DAYS)


# Defaults ------------------------------------------------------------------------------------


def project_dates(application: Application) -> tuple[dt.date, dt.date]:
    """The project's dates as the applicant gave them; for a form without dates (a CSP plan),
    the round's financial year."""
    answers = application.answer_map
    try:
        start = dt.date.fromisoformat(answers.get("start_date") or "")
        end = dt.date.fromisoformat(answers.get("end_date") or "")
    except ValueError:
        year = application.round.financial_year
        return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    return (start, end) if start <= end else (end, start)


def split_by_year(application: Application, amount_pence: int) -> dict[int, int]:
    """The approved amount across financial years in the proportions of the applicant's budget
    (the round's year when the budget says nothing), in whole pence adding up exactly."""
    by_year: dict[int, int] = {}
    for line in application.budget_lines:
        by_year[line.financial_year] = by_year.get(line.financial_year, 0) + line.amount_pence
    total = sum(by_year.values())
    if total <= 0:
        return {application.round.financial_year: amount_pence}
    years = sorted(by_year)
    split = {year: amount_pence * by_year[year] // total for year in years}
    split[years[-1]] += amount_pence - sum(split.values())
    return split


def default_terms(application: Application, amount_pence: int | None = None) -> OfferTerms:
    """The usual offer: the recommended (or requested) amount, in advance, one instalment per
    financial year, quarterly returns, the standard conditions, open for 30 days."""
    amount = (
        amount_pence or application.recommended_amount_pence or application.amount_requested_pence
    )
    years = split_by_year(application, amount)
    start, end = project_dates(application)
    return OfferTerms(
        amount_pence=amount,
        years=years,
        starts_on=start,
        ends_on=end,
        instalments=max(1, len(years)),
    )


# Schedules -----------------------------------------------------------------------------------


def _slices(start: dt.date, end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The project's days cut into ``count`` runs of (nearly) equal length."""
    days = (end - start).days + 1
    count = max(1, min(count, days))
    bounds = [start + dt.timedelta(days=days * k // count) for k in range(count + 1)]
    return [(bounds[k], bounds[k + 1] - dt.timedelta(days=1)) for k in range(count)]


def end_of_next_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def payment_schedule(terms: OfferTerms, today: dt.date | None = None) -> list[ScheduledPayment]:
    """Instalments spread over the project; each financial year's amount is shared between the
    instalments that fall in it, so the schedule adds up to every year's amount exactly. In
    advance: due when its part of the project starts (not before today). In arrears: claimed
    after its part ends, due a month later."""
    today = today or london_today()
    years = {year: pence for year, pence in terms.years.items() if pence > 0}
    due_by_year: dict[int, list[dt.date]] = {year: [] for year in years}
    for first, last in _slices(terms.starts_on, terms.ends_on, terms.instalments):
        spent_in = financial_year_of(first if terms.payment_timing == ADVANCE else last)
        year = min(years, key=lambda y: (abs(y - spent_in), y))
        due_by_year[year].append(_due(terms, first, last, today))
    for year, dues in due_by_year.items():
        if not dues:  # a year the instalments missed still gets its money
            first = max(dt.date(year, 4, 1), terms.starts_on)
            last = min(dt.date(year + 1, 3, 31), terms.ends_on)
            dues.append(_due(terms, first, max(first, last), today))
    schedule = []
    for year, dues in due_by_year.items():
        share = years[year] // len(dues)
        amounts = [share] * len(dues)
        amounts[-1] += years[year] - share * len(dues)
        schedule += [(due, year, pence) for due, pence in zip(sorted(dues), amounts, strict=True)]
    schedule.sort()
    return [
        ScheduledPayment(due, year, pence, is_final=number == len(schedule))
        for number, (due, year, pence) in enumerate(schedule, start=1)
    ]


def _due(terms: OfferTerms, first: dt.date, last: dt.date, today: dt.date) -> dt.date:
    if terms.payment_timing == ADVANCE:
        return max(first, today)
    return end_of_next_month(last)


def reporting_schedule(terms: OfferTerms) -> list[ScheduledReturn]:
    """Returns for each financial quarter (or half, or the whole project) the project runs in,
    each due by the end of the following month; the last is the end-of-grant return."""
    starts = PERIOD_STARTS[terms.reporting]
    boundaries = []
    day = terms.starts_on
    while day <= terms.ends_on:
        boundaries.append(day)
        day = _next_period_start(day, starts) if starts else terms.ends_on + dt.timedelta(days=1)
    periods = []
    for number, first in enumerate(boundaries):
        following = boundaries[number + 1] if number + 1 < len(boundaries) else None
        last = following - dt.timedelta(days=1) if following else terms.ends_on
        periods.append(ScheduledReturn(first, last, end_of_next_month(last)))
    return periods


def _next_period_start(day: dt.date, months: tuple[int, ...]) -> dt.date:
    candidates = [dt.date(day.year + offset, m, 1) for offset in (0, 1) for m in months]
    return min(c for c in candidates if c > day)


# Checking and making the offer ---------------------------------------------------------------


def check_terms(terms: OfferTerms, today: dt.date | None = None) -> None:
    """Refuse terms that could not make a sound offer, naming the field at fault."""
    today = today or london_today()
    if sum(terms.years.values()) != terms.amount_pence:
        raise ServiceError(
            "The amounts for each financial year must add up to the amount approved",
            field="years",
        )
    if any(pence < 0 for pence in terms.years.values()):
        raise ServiceError("An amount for a financial year cannot be negative", field="years")
    if terms.payment_timing not in (ADVANCE, ARREARS):
        raise ServiceError("Choose whether the grant is paid in advance or in arrears",
                           field="payment_timing")  # fmt: skip
    if not 1 <= terms.instalments <= MAX_INSTALMENTS:
        raise ServiceError(
            f"The number of payments must be between 1 and {MAX_INSTALMENTS}", field="instalments"
        )
    if terms.reporting not in PERIOD_STARTS:
        raise ServiceError("Choose how often monitoring returns are due", field="reporting")
    if terms.offer_expires_on <= today:
        raise ServiceError("The offer must expire after today", field="offer_expires_on")
    if terms.offer_expires_on > today + dt.timedelta(days=LONGEST_OFFER_DAYS):
        raise ServiceError(
            f"The offer can be open for at most {LONGEST_OFFER_DAYS} days",
            field="offer_expires_on",
        )


def approve_and_offer(
    user: User,
    application_id: int,
    terms: OfferTerms,
    expected_version: int | None,
    reason: str | None = None,
    exemption: str | None = None,
) -> Award:
    """Approve the application and make the offer in one transaction: the decision, the award,
    its scheduled payments and returns. The engine checks the decision (authority, budget,
    segregation, interests) and each creation; any refusal leaves nothing behind."""
    application = application_for(user, application_id)
    check_terms(terms)
    payload: dict[str, object] = {"amount_pence": terms.amount_pence}
    if reason and reason.strip():
        payload["reason"] = reason.strip()
    if exemption and exemption.strip():
        payload["withheld_exemption"] = exemption.strip()
    try:
        fire(user, application, "approve", expected_version=expected_version, **payload)
        award = _make_award(user, application, terms)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return award


def _make_award(user: User, application: Application, terms: OfferTerms) -> Award:
    expires = dt.datetime.combine(terms.offer_expires_on, OFFER_EXPIRES_AT, tzinfo=LONDON)
    conditions = [(text, True) for text in terms.pre_payment_conditions]
    conditions += [(text, False) for text in terms.other_conditions]
    award = Award(
        reference=f"{application.reference}-A",
        programme=application.round.programme,
        organisation=application.organisation,
        application=application,
        title=application.project_title,
        amount_pence=terms.amount_pence,
        approved_by_id=user.id,
        recommended_by_id=application.recommended_by_id,
        offer_expires_at=expires.astimezone(dt.UTC),
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        years=[
            AwardYear(financial_year=year, amount_pence=pence)
            for year, pence in sorted(terms.years.items())
            if pence > 0
        ],
        conditions=[
            AwardCondition(position=number, text=text, before_first_payment=before)
            for number, (text, before) in enumerate(conditions, start=1)
        ],
    )
    create(user, award, reason="Offer made on approval")
    for payment in payment_schedule(terms):
        scheduled = Payment(
            award=award,
            financial_year=payment.financial_year,
            amount_pence=payment.amount_pence,
            due_date=payment.due,
            is_final=payment.is_final,
        )
        create(user, scheduled)
    for period in reporting_schedule(terms):
        create(
            user,
            MonitoringReturn(
                award=award,
                period_start=period.period_start,
                period_end=period.period_end,
                due_date=period.due,
            ),
        )
    return award


def award_of(application: Application) -> Award | None:
    """The offer an approval made, if any."""
    return db.session.scalar(select(Award).where(Award.application_id == application.id))


def approvable(user: User, application_id: int) -> Application:
    """The application for the approval page; refused unless it is in assessment."""
    application = application_for(user, application_id)
    if application.status is not ApplicationStatus.IN_ASSESSMENT:
        state = application.status.value.replace("_", " ")
        raise ServiceError(f"This application cannot be approved because it is {state}")
    return application
