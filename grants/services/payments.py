"""Payments as the commissioning team and finance see them: claims to approve and scheduled
payments coming due, one payment with the money on its award, approving or rejecting it, and
finance's payment run of everything approved and not yet paid, recording each as paid.

Every change goes through the workflow engine, which keeps the segregation of duties: whoever
recommended or approved an award cannot approve its payments, and whoever approved a payment
cannot record it as paid (only finance may). The lists cost the same statements however many
payments there are: each is one statement with its award, organisation and approver joined in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased, selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import LONDON, financial_year
from grants.models import (
    AuditEvent,
    Award,
    AwardCondition,
    Document,
    Organisation,
    Payment,
    PaymentStatus,
    StaffRole,
    User,
)
from grants.policy import MANAGING_STAFF, Rule, staff, visible_payments
from grants.services.claims import is_claim_draft
from grants.services.errors import NotFound, ServiceError
from grants.spreadsheets import safe_text
from workflows.engine import available_triggers, fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

DUE_WITHIN_DAYS = 30
REFERENCE_MAX = 60
DECISIONS = ("approve", "reject")
# Who decides claims (the engine checks each move's roles again).
DECIDERS: Rule = MANAGING_STAFF
# Finance runs the payments; those who manage awards may see what is waiting to be paid.
RUN_READERS: Rule = staff(
    StaffRole.FINANCE, StaffRole.COMMISSIONING_OFFICER, StaffRole.DECISION_MAKER
)
CHANGED = ChangedBySomeoneElse().message
# A spreadsheet runs a cell that starts with one of these as a formula.
CSV_HEADINGS = (
    "Payee organisation",
    "Award reference",
    "Amount (£)",
    "Financial year",
    "Approved by",
    "Due date",
    "Payment id",
)


def _visible(user: User) -> Any:
    """Ids of the payments the user may see, to scope queries that join their own tables."""
    return visible_payments(user).with_only_columns(Payment.id)


def _with_award(query: Select[Any]) -> Select[Any]:
    return query.join(Award, Payment.award_id == Award.id).join(
        Organisation, Award.organisation_id == Organisation.id
    )


# The list of payments to approve ----------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    id: int
    award_reference: str
    organisation: str
    financial_year: int
    amount_pence: int
    status: PaymentStatus
    due_date: dt.date | None
    claimed_at: dt.datetime | None
    is_overdue: bool


@dataclass(frozen=True)
class PaymentsOverview:
    claims: list[PaymentRow]
    scheduled: list[PaymentRow]

    @property
    def claims_total_pence(self) -> int:
        return sum(row.amount_pence for row in self.claims)

    @property
    def scheduled_total_pence(self) -> int:
        return sum(row.amount_pence for row in self.scheduled)


def overview(
    user: User, programme_id: int | None = None, today: dt.date | None = None
) -> PaymentsOverview:
    """Claims waiting for approval (oldest first), and scheduled payments due within 30 days
    or already overdue (soonest first). Claim drafts are the organisation's, so never shown."""
    today = today or london_today()
    horizon = today + dt.timedelta(days=DUE_WITHIN_DAYS)
    query = (
        _with_award(
            select(
                Payment.id,
                Award.reference,
                Organisation.name,
                Payment.financial_year,
                Payment.amount_pence,
                Payment.status,
                Payment.due_date,
                Payment.claimed_at,
            )
        )
        .where(
            Payment.id.in_(_visible(user)),
            or_(
                Payment.status == PaymentStatus.CLAIMED,
                and_(
                    Payment.status == PaymentStatus.SCHEDULED,
                    Payment.due_date.is_not(None),
                    Payment.due_date <= horizon,
                ),
            ),
        )
        .order_by(Payment.claimed_at, Payment.due_date, Payment.id)
    )
    if programme_id is not None:
        query = query.where(Award.programme_id == programme_id)
    claims, scheduled = [], []
    for row in db.session.execute(query):
        found = PaymentRow(
            *row,
            is_overdue=row.status is PaymentStatus.SCHEDULED and row.due_date < today,
        )
        (claims if found.status is PaymentStatus.CLAIMED else scheduled).append(found)
    scheduled.sort(key=lambda row: (row.due_date, row.id))
    return PaymentsOverview(claims=claims, scheduled=scheduled)


# One payment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearMoney:
    """One financial year of the award: its amount, what is paid, what is approved or claimed
    and not yet paid, and what remains."""

    financial_year: int
    amount_pence: int
    paid_pence: int
    committed_pence: int  # claimed or approved, not yet paid

    @property
    def remaining_pence(self) -> int:
        return self.amount_pence - self.paid_pence - self.committed_pence


@dataclass(frozen=True)
class PaymentDetails:
    payment: Payment
    years: list[YearMoney]
    conditions: list[AwardCondition]
    evidence: dict[int, Document]
    names: dict[int, str]  # staff names by user id: approver, payer, the award's deciders
    approved_on: dt.date | None
    moves: list[str]  # approve, reject or pay: what this user's role may do from the state
    is_draft: bool
    today: dt.date

    @property
    def award(self) -> Award:
        return self.payment.award

    @property
    def is_claim(self) -> bool:
        return bool(self.payment.claim_lines) or self.payment.claimed_at is not None

    @property
    def claim_total_pence(self) -> int:
        return sum(line.amount_pence for line in self.payment.claim_lines)

    @property
    def unmet_conditions(self) -> list[AwardCondition]:
        return [c for c in self.conditions if c.before_first_payment and c.met_at is None]

    def name_of(self, user_id: int | None) -> str | None:
        return self.names.get(user_id) if user_id is not None else None

    @property
    def award_deciders(self) -> list[str]:
        """The names of whoever recommended and approved the award, once each."""
        names = [
            self.name_of(self.award.recommended_by_id),
            self.name_of(self.award.approved_by_id),
        ]
        return list(dict.fromkeys(name for name in names if name))

    def decided_award(self, user: User) -> bool:
        """Whether the user recommended or approved the award (so cannot approve payments)."""
        return user.id in {self.award.approved_by_id, self.award.recommended_by_id}


def payment_details(user: User, payment_id: int, today: dt.date | None = None) -> PaymentDetails:
    """A payment with its claim lines and their evidence, its award's money per financial year
    and conditions, and what this user may do with it; NotFound if there is no such payment."""
    payment = db.session.scalar(
        visible_payments(user)
        .options(
            selectinload(Payment.claim_lines),
            selectinload(Payment.award).selectinload(Award.organisation),
            selectinload(Payment.award).selectinload(Award.programme),
            selectinload(Payment.award).selectinload(Award.years),
            selectinload(Payment.award).selectinload(Award.payments),
            selectinload(Payment.award).selectinload(Award.conditions),
        )
        .where(Payment.id == payment_id)
    )
    if payment is None:
        raise NotFound
    award = payment.award
    user_ids = {award.approved_by_id, award.recommended_by_id, payment.approved_by_id}
    user_ids |= {payment.paid_by_id}
    return PaymentDetails(
        payment=payment,
        years=_years(award),
        conditions=list(award.conditions),
        evidence=_evidence(payment),
        names=_names({i for i in user_ids if i is not None}),
        approved_on=approved_on(payment.id),
        moves=[t.trigger for t in available_triggers(user, payment)],
        is_draft=is_claim_draft(payment),
        today=today or london_today(),
    )


def _years(award: Award) -> list[YearMoney]:
    years = []
    for year in award.years:
        in_year = [p for p in award.payments if p.financial_year == year.financial_year]
        years.append(
            YearMoney(
                financial_year=year.financial_year,
                amount_pence=year.amount_pence,
                paid_pence=sum(p.amount_pence for p in in_year if p.status is PaymentStatus.PAID),
                committed_pence=sum(
                    p.amount_pence
                    for p in in_year
                    if p.status in (PaymentStatus.CLAIMED, PaymentStatus.APPROVED)
                ),
            )
        )
    return years


def _evidence(payment: Payment) -> dict[int, Document]:
    ids = [line.document_id for line in payment.claim_lines if line.document_id is not None]
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def approved_on(payment_id: int) -> dt.date | None:
    """The day (in Leicester) the payment was approved, from the ledger's approve event."""
    at = db.session.scalar(
        select(AuditEvent.occurred_at)
        .where(
            AuditEvent.object_type == "payment",
            AuditEvent.object_id == payment_id,
            AuditEvent.action == "approve",
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    return at.astimezone(LONDON).date() if at is not None else None


def _payment(user: User, payment_id: int) -> Payment:
    payment = db.session.scalar(visible_payments(user).where(Payment.id == payment_id))
    if payment is None:
        raise NotFound
    return payment


def decide(
    user: User,
    payment_id: int,
    trigger: str,
    expected_version: int | None,
    reason: str | None = None,
) -> Payment:
    """Approve a claim or scheduled payment, or reject a claim with a reason, through the
    engine, which checks the role, the version seen, the state, that the award is active, that
    the payment fits what remains of the award (overall and in its year), the conditions
    before payment, and that the user did not recommend or approve the award."""
    if trigger not in DECISIONS:
        raise NotFound
    payment = _payment(user, payment_id)
    if expected_version is None:
        raise ServiceError(CHANGED)
    payload = {"reason": reason.strip()} if reason and reason.strip() else {}
    try:
        fire(user, payment, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return payment


def record_paid(
    user: User,
    payment_id: int,
    expected_version: int | None,
    paid_on: dt.date | None,
    reference: str | None,
    today: dt.date | None = None,
) -> Payment:
    """Finance records an approved payment as made: the day it was paid (not in the future, not
    before it was approved) and the payment reference, through the engine's ``pay``."""
    payment = _payment(user, payment_id)
    today = today or london_today()
    if paid_on is None:
        raise ServiceError("Enter the date the payment was made", field="paid_on")
    if paid_on > today:
        raise ServiceError("The date the payment was made must be today or in the past", "paid_on")
    approved = approved_on(payment.id)
    if approved is not None and paid_on < approved:
        raise ServiceError(
            "The date the payment was made must be on or after the day it was approved, "
            f"{approved.day} {approved:%B %Y}",
            field="paid_on",
        )
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError("Enter the payment reference", field="payment_reference")
    if len(reference) > REFERENCE_MAX:
        raise ServiceError(
            f"The payment reference must be {REFERENCE_MAX} characters or fewer",
            field="payment_reference",
        )
    if expected_version is None:
        raise ServiceError(CHANGED)
    try:
        fire(
            user,
            payment,
            "pay",
            expected_version=expected_version,
            paid_on=paid_on,
            payment_reference=reference,
        )
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return payment


# Finance's payment run --------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    id: int
    organisation: str
    award_reference: str
    amount_pence: int
    financial_year: int
    approved_by: str | None
    due_date: dt.date | None


def _run_statement(user: User, programme_id: int | None) -> Select[Any]:
    approver = aliased(User)
    query = (
        _with_award(
            select(
                Payment.id,
                Organisation.name,
                Award.reference,
                Payment.amount_pence,
                Payment.financial_year,
                approver.full_name,
                Payment.due_date,
            )
        )
        .outerjoin(approver, approver.id == Payment.approved_by_id)
        .where(Payment.id.in_(_visible(user)), Payment.status == PaymentStatus.APPROVED)
        # Soonest due first; claims (paid when approved, so no due date) after them.
        .order_by(Payment.due_date.is_(None), Payment.due_date, Payment.id)
    )
    if programme_id is not None:
        query = query.where(Award.programme_id == programme_id)
    return query


def payment_run(user: User, programme_id: int | None = None) -> list[RunRow]:
    """Every approved payment not yet paid, in one statement."""
    return [RunRow(*row) for row in db.session.execute(_run_statement(user, programme_id))]


def in_pounds(pence: int) -> str:
    """12345 -> '123.45', without floats."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def csv_filename() -> str:
    return f"payment-run-{london_today().isoformat()}.csv"


def payment_run_csv(user: User, programme_id: int | None = None) -> Iterator[str]:
    """The payment run as CSV lines, read from the database as they are written, with a total
    at the end."""
    rows = db.session.execute(_run_statement(user, programme_id))
    yield _csv_line(CSV_HEADINGS)
    total = 0
    for row in rows:
        found = RunRow(*row)
        total += found.amount_pence
        yield _csv_line(
            (
                found.organisation,
                found.award_reference,
                in_pounds(found.amount_pence),
                financial_year(found.financial_year),
                found.approved_by or "",
                found.due_date.isoformat() if found.due_date else "",
                str(found.id),
            )
        )
    yield _csv_line(("Total", "", in_pounds(total), "", "", "", ""))


def _csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_text(cell) for cell in cells])
    return buffer.getvalue()
