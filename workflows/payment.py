"""Payment: scheduled → claimed → approved → paid; claimed → rejected. Scheduled payments in
advance are approved without a claim. Never beyond what remains of the award.

When an award's year is reduced (the award's ``reduce`` move) its instalments still to come
are lowered (``reduce``, which leaves the payment scheduled) or, lowered to nothing, cancelled
(``cancel``: scheduled → cancelled, so it holds nothing of the award).
"""

from __future__ import annotations

from sqlalchemy import select

from grants.extensions import db
from grants.models import Award, AwardStatus, ClaimLine, Document, Payment, PaymentStatus
from workflows.award import award_still_open, is_live
from workflows.declaration import (
    APPLICANT,
    DECISION_MAKER,
    FINANCE,
    OFFICER,
    STAYS,
    Lifecycle,
    Move,
)
from workflows.declaration import transition as t

S = PaymentStatus
COMMITTED = {S.CLAIMED, S.APPROVED, S.PAID}


def award_is_live(move: Move) -> str | None:
    if move.obj.award.status is not AwardStatus.ACTIVE:
        return "Payments can only be made on an active award"
    return None


def within_remaining_award(move: Move) -> str | None:
    """The payment, with every other claimed, approved or paid one, fits the award overall and
    in its financial year."""
    payment = move.obj
    award = payment.award
    others = [p for p in award.payments if p.id != payment.id and p.status in COMMITTED]
    if payment.amount_pence <= 0:
        return "The amount must be more than £0"
    if sum(p.amount_pence for p in others) + payment.amount_pence > award.amount_pence:
        return "This would pay more than the award"
    year = next((y for y in award.years if y.financial_year == payment.financial_year), None)
    if award.years and year is None:
        return "The award has nothing to pay in that financial year"
    if year is not None:
        same_year = sum(p.amount_pence for p in others if p.financial_year == year.financial_year)
        if same_year + payment.amount_pence > year.amount_pence:
            return "This would pay more than the award for that financial year"
    return None


def conditions_met(move: Move) -> str | None:
    """Conditions of the grant that come before any payment (bank details verified, say)."""
    unmet = [c for c in move.obj.award.conditions if c.before_first_payment and c.met_at is None]
    if unmet:
        return "These conditions must be met before a payment: " + "; ".join(c.text for c in unmet)
    return None


def claim_is_evidenced(move: Move) -> str | None:
    """A claim in arrears lists what was spent, each item with its evidence, adding up to it;
    a file already used as evidence for a claim cannot be claimed again."""
    payment = move.obj
    lines = payment.claim_lines
    if not lines:
        return "Add at least one item of spend to the claim"
    if sum(line.amount_pence for line in lines) != payment.amount_pence:
        return "The items of spend must add up to the amount claimed"
    if any(line.document_id is None for line in lines):
        return "Upload evidence for every item of spend"
    return _evidence_used_before(payment)


def _evidence_used_before(payment: Payment) -> str | None:
    """The same file (by SHA-256) claimed twice, in this claim or an earlier one of the same
    organisation that was not rejected."""
    ids = [line.document_id for line in payment.claim_lines]
    rows = db.session.execute(select(Document.id, Document.sha256).where(Document.id.in_(ids)))
    by_id = dict(rows.all())
    digests = [by_id.get(document_id) for document_id in ids]
    if len(set(digests)) != len(digests):
        return "The same file is used as evidence twice in this claim"
    earlier = db.session.scalar(
        select(Document.filename)
        .join(ClaimLine, ClaimLine.document_id == Document.id)
        .join(Payment, Payment.id == ClaimLine.payment_id)
        .join(Award, Award.id == Payment.award_id)
        .where(
            Document.sha256.in_(digests),
            ClaimLine.payment_id != payment.id,
            Payment.status.not_in([PaymentStatus.REJECTED, PaymentStatus.CANCELLED]),
            Award.organisation_id == payment.award.organisation_id,
        )
        .limit(1)
    )
    if earlier is not None:
        return f"A file like '{earlier}' has already been claimed: each receipt can be claimed once"
    return None


def stamp_claim(move: Move) -> None:
    move.obj.claimed_at = move.now


def not_the_award_approver(move: Move) -> str | None:
    award = move.obj.award
    if move.actor is not None and move.actor.id in {award.approved_by_id, award.recommended_by_id}:
        return "Someone who recommended or approved the award cannot approve its payments"
    return None


def not_the_payment_approver(move: Move) -> str | None:
    if move.actor is not None and move.actor.id == move.obj.approved_by_id:
        return "Someone who approved a payment cannot also record it as paid"
    return None


def record_approver(move: Move) -> None:
    move.obj.approved_by_id = move.actor.id if move.actor else None


def record_payment(move: Move) -> None:
    move.obj.paid_by_id = move.actor.id if move.actor else None
    move.obj.paid_on = move.payload["paid_on"]
    move.obj.payment_reference = move.payload["payment_reference"]


def reduction_leaves_something(move: Move) -> str | None:
    """A scheduled payment lowered by part of its amount: lowered by all of it, it is
    cancelled instead."""
    reduction = move.payload.get("reduction_pence")
    if not isinstance(reduction, int) or reduction <= 0:
        return "Enter the reduction in whole pence, more than 0"
    if reduction >= move.obj.amount_pence:
        return "A scheduled payment reduced to nothing is cancelled instead"
    return None


def lower_amount(move: Move) -> None:
    move.obj.amount_pence -= move.payload["reduction_pence"]


def final_passed_on(move: Move) -> str | None:
    """Only an instalment can be cancelled (a claim the organisation is still drafting is
    theirs to finish or leave). Cancelling the final payment names the award's payment that
    becomes final instead, if it has any left, so closing the award still waits for it."""
    payment = move.obj
    if payment.amount_pence <= 0:
        return "Only a payment scheduled in advance can be cancelled, not a claim being drafted"
    named = move.payload.get("final_passes_to")
    others = {p.id for p in payment.award.payments if p is not payment and is_live(p)}
    if not payment.is_final:
        return "Only the final payment passes being final on" if named is not None else None
    if others and named not in others:
        return "Choose which of the award's other payments becomes the final payment"
    return None


def pass_final_on(move: Move) -> None:
    named = move.payload.get("final_passes_to")
    if named is None:
        return
    successor = next(p for p in move.obj.award.payments if p.id == named)
    move.obj.is_final = False
    successor.is_final = True


LIFECYCLE = Lifecycle(
    name="payment",
    model=Payment,
    states=PaymentStatus,
    initial=S.SCHEDULED,
    owner_organisation=lambda payment: payment.award.organisation_id,
    amounts=lambda payment: {"amount_pence": payment.amount_pence},
    creation_guards=(award_still_open,),
    # The decider creates the schedule when approving makes the offer (grants/services/awarding.py).
    creators=frozenset({OFFICER, DECISION_MAKER, APPLICANT}),
    transitions=[
        t("claim", S.SCHEDULED, S.CLAIMED, [APPLICANT], "Claim the payment",
          guards=[award_is_live, within_remaining_award, claim_is_evidenced], effect=stamp_claim),
        t("approve", [S.SCHEDULED, S.CLAIMED], S.APPROVED, [OFFICER, DECISION_MAKER],
          "Approve the payment",
          guards=[award_is_live, within_remaining_award, conditions_met, not_the_award_approver],
          effect=record_approver),
        t("reject", S.CLAIMED, S.REJECTED, [OFFICER, DECISION_MAKER], "Reject the claim",
          requires={"reason": "Enter why the claim is rejected"}),
        t("pay", S.APPROVED, S.PAID, [FINANCE], "Record the payment as made",
          guards=[not_the_payment_approver], effect=record_payment,
          requires={"paid_on": "Enter the date the payment was made",
                    "payment_reference": "Enter the payment reference"}),
        # Re-profiling after the award's year was reduced: the new amount is on the ledger.
        t("reduce", S.SCHEDULED, STAYS, [OFFICER, DECISION_MAKER],
          "Reduce the scheduled payment", guards=[reduction_leaves_something],
          effect=lower_amount,
          requires={"reduction_pence": "Enter the reduction",
                    "reason": "Enter why the payment is reduced"}),
        t("cancel", S.SCHEDULED, S.CANCELLED, [OFFICER, DECISION_MAKER],
          "Cancel the scheduled payment", guards=[final_passed_on], effect=pass_final_on,
          requires={"reason": "Enter why the payment is cancelled"}),
    ],
)  # fmt: skip
