"""Claims in arrears, and a grant as the organisation that holds it sees it.

A claim is a payment the organisation starts itself (through the workflow engine, so the ledger
records its creation), fills with items of spend, each with one file as evidence, and then sends
with the ``claim`` move, which checks the evidence and what remains of the award again.

Which scheduled payments are claim drafts: nothing on the payment says who created it, so the
rule is that a claim draft is a scheduled payment with no due date that is not the final
payment. Payments the commissioning team schedules in advance always have a due date (and the
final payment is marked as such), so they are never offered to the organisation as a claim to
fill in.

While a claim is a draft its ``amount_pence`` stays at the £0 its creation recorded in the
ledger (the running total is worked out from its items): the amount is set only when the claim
is sent, in the same transaction as the ``claim`` event that records it, so the ledger and the
payment never disagree. Each added or removed item still bumps the payment's version, so a
"check and send" page that is out of date is refused rather than sending a different total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from grants.extensions import db
from grants.filters import financial_year, pounds
from grants.models import (
    Award,
    AwardStatus,
    ClaimLine,
    Document,
    Payment,
    PaymentStatus,
    User,
    Variation,
)
from grants.policy import visible_awards, visible_payments, visible_variations
from grants.services import documents
from grants.services.errors import NotFound, ServiceError
from storage.base import StorageError
from workflows.engine import create, fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

# Receipts and invoices: documents and pictures, not data files.
EVIDENCE_TYPES = ("pdf", "png", "jpeg", "docx", "xlsx", "odt", "ods")
EVIDENCE_PURPOSE = "claim_evidence"
# Money counted against the award: what has been claimed, approved or paid.
COMMITTED = {PaymentStatus.CLAIMED, PaymentStatus.APPROVED, PaymentStatus.PAID}
NOT_ACTIVE = "You can only claim on a grant that is active"
SENT_ALREADY = "This claim has been sent, so it can no longer be changed"
NOT_A_CLAIM = (
    "This is a payment the commissioning team has scheduled, not a claim: there is nothing "
    "to fill in"
)
DESCRIPTION_MAX = 300


class ClaimLocked(ServiceError):
    """A change to a claim that can no longer change (sent, or not a claim at all)."""


@dataclass(frozen=True)
class YearPosition:
    """One financial year of an award: its amount, and what is already claimed against it."""

    financial_year: int
    amount_pence: int
    committed_pence: int
    remaining_pence: int


@dataclass(frozen=True)
class AwardPosition:
    """An award with the money on it worked out, for the organisation's pages."""

    award: Award
    years: list[YearPosition]
    paid_pence: int
    committed_pence: int
    drafts: list[Payment]
    payments: list[Payment]
    variations: list[Variation]

    @property
    def can_claim(self) -> bool:
        return self.award.status is AwardStatus.ACTIVE and bool(self.claimable_years)

    @property
    def claimable_years(self) -> list[YearPosition]:
        return [year for year in self.years if year.remaining_pence > 0]

    @property
    def remaining_pence(self) -> int:
        return max(self.award.amount_pence - self.committed_pence, 0)


def is_claim_draft(payment: Payment) -> bool:
    """See the module's note: scheduled, no due date, not the final payment."""
    return (
        payment.status is PaymentStatus.SCHEDULED
        and payment.due_date is None
        and not payment.is_final
        and payment.claimed_at is None
    )


def claim_total(payment: Payment) -> int:
    """What a claim adds up to: the sent amount, or a draft's running total of its items."""
    if is_claim_draft(payment):
        return sum(line.amount_pence for line in payment.claim_lines)
    return payment.amount_pence


def position_of(award: Award, variations: list[Variation] | None = None) -> AwardPosition:
    committed = [p for p in award.payments if p.status in COMMITTED]
    committed_total = sum(p.amount_pence for p in committed)
    overall_left = max(award.amount_pence - committed_total, 0)
    years = []
    for year in award.years:
        in_year = sum(p.amount_pence for p in committed if p.financial_year == year.financial_year)
        years.append(
            YearPosition(
                financial_year=year.financial_year,
                amount_pence=year.amount_pence,
                committed_pence=in_year,
                # Never more than is left of the award as a whole.
                remaining_pence=max(min(year.amount_pence - in_year, overall_left), 0),
            )
        )
    return AwardPosition(
        award=award,
        years=years,
        paid_pence=sum(p.amount_pence for p in award.payments if p.status is PaymentStatus.PAID),
        committed_pence=committed_total,
        drafts=[p for p in award.payments if is_claim_draft(p)],
        payments=[p for p in award.payments if not is_claim_draft(p)],
        variations=variations or [],
    )


def _award_query(user: User) -> Select[tuple[Award]]:
    return visible_awards(user).options(
        selectinload(Award.years),
        selectinload(Award.payments).selectinload(Payment.claim_lines),
    )


def awards_of_organisation(user: User, organisation_id: int) -> list[AwardPosition]:
    """The organisation's active awards, each with what remains to claim in each year."""
    awards = db.session.scalars(
        _award_query(user)
        .where(Award.organisation_id == organisation_id, Award.status == AwardStatus.ACTIVE)
        .order_by(Award.created_at.desc(), Award.id.desc())
    )
    return [position_of(award) for award in awards]


def award_for(user: User, award_id: int) -> AwardPosition:
    """One award the user may see, with its payments, claims and variations; NotFound else."""
    award = db.session.scalar(_award_query(user).where(Award.id == award_id))
    if award is None:
        raise NotFound
    variations = list(
        db.session.scalars(
            visible_variations(user)
            .where(Variation.award_id == award.id)
            .order_by(Variation.created_at.desc(), Variation.id.desc())
        )
    )
    return position_of(award, variations)


def start_claim(user: User, award_id: int, financial_year_start: int) -> Payment:
    """A new claim draft for one financial year of an active award. A draft for that year that
    already exists is returned instead, so a double click does not leave two."""
    position = award_for(user, award_id)
    award = position.award
    if award.status is not AwardStatus.ACTIVE:
        raise ServiceError(NOT_ACTIVE, field="financial_year")
    year = next((y for y in position.years if y.financial_year == financial_year_start), None)
    if year is None:
        raise ServiceError("Select a financial year of this grant", field="financial_year")
    if year.remaining_pence <= 0:
        raise ServiceError(
            f"Nothing remains to claim for {financial_year(year.financial_year)}",
            field="financial_year",
        )
    existing = next((p for p in position.drafts if p.financial_year == year.financial_year), None)
    if existing is not None:
        return existing
    payment = Payment(
        award=award,
        financial_year=year.financial_year,
        amount_pence=0,
        is_final=False,
        due_date=None,
    )
    try:
        create(user, payment)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message, field="financial_year") from refusal
    return payment


def claim_for(user: User, payment_id: int) -> Payment:
    """A payment or claim the user may see, in any state; NotFound otherwise."""
    payment = db.session.scalar(
        visible_payments(user)
        .options(selectinload(Payment.claim_lines))
        .where(Payment.id == payment_id)
    )
    if payment is None:
        raise NotFound
    return payment


def remaining_for_year(payment: Payment) -> int:
    """What is left of the claim's financial year, not counting the claim itself."""
    position = position_of(payment.award)
    year = next((y for y in position.years if y.financial_year == payment.financial_year), None)
    if year is None:
        return 0
    if payment.status in COMMITTED:
        return year.remaining_pence + payment.amount_pence
    return year.remaining_pence


def evidence_documents(payment: Payment) -> dict[int, Document]:
    """The files behind a claim's items, by id, to show their names."""
    ids = [line.document_id for line in payment.claim_lines if line.document_id is not None]
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}


def draft_for(user: User, payment_id: int) -> Payment:
    """A claim draft the user may change; ClaimLocked once it has been sent (or if it is not
    a claim), NotFound if they may not see it."""
    payment = claim_for(user, payment_id)
    if not is_claim_draft(payment):
        raise ClaimLocked(
            SENT_ALREADY if payment.claimed_at or payment.claim_lines else NOT_A_CLAIM
        )
    return payment


def add_line(
    user: User,
    payment_id: int,
    description: str,
    amount_pence: int,
    stream: BinaryIO,
    filename: str | None,
) -> ClaimLine:
    """Add an item of spend with its evidence. The file is uploaded first (that is how its
    SHA-256 is known) and thrown away again, row and stored object, if it was already used as
    evidence: in this claim, or in any claim of the organisation that was not rejected."""
    payment = draft_for(user, payment_id)
    award = payment.award
    if award.status is not AwardStatus.ACTIVE:
        raise ServiceError(NOT_ACTIVE)
    description = (description or "").strip()
    if not description:
        raise ServiceError("Enter what the money was spent on", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(
            f"What the money was spent on must be {DESCRIPTION_MAX} characters or fewer",
            field="description",
        )
    if amount_pence <= 0:
        raise ServiceError("The amount must be more than £0", field="amount")
    left = remaining_for_year(payment) - claim_total(payment)
    if amount_pence > left:
        raise ServiceError(
            f"This would claim more than remains for {financial_year(payment.financial_year)}: "
            f"{pounds(max(left, 0))} is left to claim",
            field="amount",
        )
    organisation_id, seen_version = award.organisation_id, payment.version
    try:
        document = documents.upload(
            user,
            stream,
            filename,
            organisation_id=organisation_id,
            purpose=EVIDENCE_PURPOSE,
            payment_id=payment_id,
            allowed=EVIDENCE_TYPES,
        )
    except ServiceError as refusal:
        raise ServiceError(refusal.message, field="evidence") from refusal
    clash = _evidence_clash(payment_id, organisation_id, document)
    if clash is not None:
        _discard(document)
        raise ServiceError(clash, field="evidence")
    payment = claim_for(user, payment_id)
    if payment.version != seen_version or not is_claim_draft(payment):
        # Sent, or changed by a colleague, while the file was uploading.
        _discard(document)
        raise ServiceError(ChangedBySomeoneElse().message, field="description")
    line = ClaimLine(description=description, amount_pence=amount_pence, document_id=document.id)
    payment.claim_lines.append(line)
    _changed(payment)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        _discard(document)
        raise ServiceError(ChangedBySomeoneElse().message, field="description") from None
    return line


def _evidence_clash(payment_id: int, organisation_id: int, document: Document) -> str | None:
    """Why this file cannot be evidence, if it is the same file (by SHA-256) as one already
    used: the same rule the ``claim`` move checks, asked as soon as the file arrives."""
    used = db.session.execute(
        select(Payment.id, Document.filename)
        .join(ClaimLine, ClaimLine.document_id == Document.id)
        .join(Payment, Payment.id == ClaimLine.payment_id)
        .join(Award, Award.id == Payment.award_id)
        .where(
            Document.sha256 == document.sha256,
            Document.id != document.id,
            Payment.status != PaymentStatus.REJECTED,
            Award.organisation_id == organisation_id,
        )
        .order_by(Payment.id)
    ).all()
    if not used:
        return None
    if any(used_payment_id == payment_id for used_payment_id, _ in used):
        return "You have already added this file to this claim: each receipt can be claimed once"
    return (
        f"This file has already been claimed (as '{used[0][1]}' on another claim): "
        "each receipt can be claimed once"
    )


def _discard(document: Document) -> None:
    """Remove a document nothing should point at: the row first, then its stored object (if
    that fails, ``flask jobs sweep`` removes it later, as it does every object without a row)."""
    key = document.storage_key
    db.session.delete(document)
    db.session.commit()
    try:
        documents.store().delete(key)
    except StorageError as failure:
        current_app.logger.warning("could not delete discarded evidence %s: %s", key, failure)


def _changed(payment: Payment) -> None:
    # The amount stays at £0 until the claim is sent (see the module's note); writing it anyway
    # bumps the version, so anyone holding an older page of this claim is refused.
    flag_modified(payment, "amount_pence")


def remove_line(user: User, payment_id: int, line_id: int) -> Payment:
    """Take an item, and its evidence file, off a claim draft."""
    payment = draft_for(user, payment_id)
    line = next((line for line in payment.claim_lines if line.id == line_id), None)
    if line is None:
        raise NotFound
    document = db.session.get(Document, line.document_id) if line.document_id else None
    payment.claim_lines.remove(line)
    _changed(payment)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ServiceError(ChangedBySomeoneElse().message) from None
    if document is not None:
        _discard(document)
    return payment


def submit_claim(user: User, payment_id: int, expected_version: int) -> Payment:
    """Send the claim: its amount becomes the total of its items, and the ``claim`` move checks
    the evidence, that the award is active and that the claim fits what remains."""
    payment = draft_for(user, payment_id)
    if not payment.claim_lines and payment.version == expected_version:
        # The move would first refuse a £0 amount; say what is really missing.
        raise ServiceError("Add at least one item of spend to the claim")
    try:
        # Not flushed before the move checks the version the user saw: writing the amount
        # early would bump the version and make every claim look out of date.
        with db.session.no_autoflush:
            payment.amount_pence = sum(line.amount_pence for line in payment.claim_lines)
            fire(user, payment, "claim", expected_version=expected_version)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return payment
