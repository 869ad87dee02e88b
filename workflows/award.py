"""Award: offered → accepted | declined | lapsed; accepted → active ⇄ suspended;
active → closed once everything is in; active or suspended → terminated with a clawback.
While it runs (accepted, active or suspended) staff rate it red, amber or green, which leaves it
in its state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grants.filters import financial_year, pounds
from grants.models import (
    Award,
    AwardRating,
    AwardStatus,
    Payment,
    PaymentStatus,
    Rag,
    ReturnStatus,
)
from workflows.bid_rules import within_funder_award
from workflows.declaration import (
    APPLICANT,
    DECISION_MAKER,
    OFFICER,
    STAYS,
    SYSTEM,
    Lifecycle,
    Move,
    owner_id,
)
from workflows.declaration import transition as t

S = AwardStatus
OPEN_AWARD = {S.OFFERED, S.ACCEPTED, S.ACTIVE, S.SUSPENDED}
FINISHED_RETURNS = {ReturnStatus.ACCEPTED, ReturnStatus.WAIVED}
# Payments that hold money the organisation has asked for or been promised for good.
COMMITTED = frozenset({PaymentStatus.CLAIMED, PaymentStatus.APPROVED, PaymentStatus.PAID})


def award_still_open(move: Move) -> str | None:
    """For things added to an award (payments, returns, variations): not once it has ended."""
    if move.obj.award.status not in OPEN_AWARD:
        state = move.obj.award.status.value
        return f"Nothing can be added to an award that is {state}"
    return None


# Awards that no longer hold any of an intervention's budget.
RELEASED = {S.DECLINED, S.LAPSED}


def within_intervention_budget(move: Move) -> str | None:
    """A partner award issued from an intervention of a bid, with the intervention's other
    awards, never goes beyond the intervention's budget in any financial year. (A reduction
    approved after the funder lowered its cap lowers both the budget and the award's year.)"""
    award = move.obj
    intervention = award.intervention
    if intervention is None:
        return None
    if not award.years:
        return "Give the partner award's amount for each financial year"
    budgets = {year.financial_year: year.budget_pence for year in intervention.years}
    others = [a for a in intervention.awards if a is not award and a.status not in RELEASED]
    for year in award.years:
        label = financial_year(year.financial_year)
        if year.financial_year not in budgets:
            return f"{intervention.title} has no budget in {label}"
        committed = sum(
            y.amount_pence
            for a in others
            for y in a.years
            if y.financial_year == year.financial_year
        )
        if committed + year.amount_pence > budgets[year.financial_year]:
            return (
                f"This would award more than {intervention.title}'s budget for {label}: "
                "partner awards never go beyond the intervention's budget in a year"
            )
    return None


def offer_not_expired(move: Move) -> str | None:
    expires = move.obj.offer_expires_at
    if expires is not None and move.now >= expires:
        return "This offer has expired"
    return None


def offer_expired(move: Move) -> str | None:
    expires = move.obj.offer_expires_at
    if expires is None or move.now < expires:
        return "The offer has not expired yet"
    return None


def everything_in(move: Move) -> str | None:
    award = move.obj
    outstanding = [r for r in award.returns if r.status not in FINISHED_RETURNS]
    if outstanding:
        return f"{len(outstanding)} monitoring returns are not yet accepted or waived"
    final = [p for p in award.payments if p.is_final]
    if final:
        if any(p.status is not PaymentStatus.PAID for p in final):
            return "The final payment has not been made"
        return None
    # Paid only by claims in arrears (a Safer Streets partner award, say): no payment is
    # final, so closing waits instead for every claim sent and every instalment to be paid (or
    # rejected, or cancelled); a claim still being drafted holds nothing and does not count.
    waiting = [p for p in award.payments if p.status in COMMITTED - {PaymentStatus.PAID}]
    waiting += [p for p in award.payments if is_instalment(p)]
    if waiting:
        return f"{len(waiting)} payments or claims are not yet paid"
    if not any(p.status is PaymentStatus.PAID for p in award.payments):
        return "Nothing has been paid on this award yet"
    return None


def clawback_within_paid(move: Move) -> str | None:
    clawback = move.payload.get("clawback_pence", 0)
    if not isinstance(clawback, int) or clawback < 0:
        return "Enter the clawback in whole pence, or 0"
    paid = sum(p.amount_pence for p in move.obj.payments if p.status is PaymentStatus.PAID)
    if clawback > paid:
        return "The clawback cannot be more than has been paid"
    return None


def record_signatory(move: Move) -> None:
    award = move.obj
    award.signatory_name = move.payload["signatory"].strip()
    role = move.payload.get("signatory_role")
    award.signatory_role = role.strip() if isinstance(role, str) and role.strip() else None
    award.accepted_at = move.now


RATED = ("delivery", "spend", "risk")
RAG_VALUES = {rag.value for rag in Rag}


def ratings_are_red_amber_or_green(move: Move) -> str | None:
    for field in RATED:
        if move.payload.get(field) not in RAG_VALUES:
            return f"Rate {field} as red, amber or green"
    return None


def record_rating(move: Move) -> None:
    move.obj.ratings.append(
        AwardRating(
            delivery=Rag(move.payload["delivery"]),
            spend=Rag(move.payload["spend"]),
            risk=Rag(move.payload["risk"]),
            comment=move.payload["reason"].strip(),
            rated_by_id=move.actor.id if move.actor else None,
            rated_at=move.now,
        )
    )


def reduction_fits(move: Move) -> str | None:
    """A reduction of one financial year's amount: more than nothing, a year the award has,
    and never below what is already claimed, approved or paid in that year (only payments
    still scheduled are re-profiled; money claimed or committed stays as it is)."""
    amount = move.payload.get("reduction_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the reduction in whole pence, more than 0"
    year = next(
        (y for y in move.obj.years if y.financial_year == move.payload.get("financial_year")),
        None,
    )
    if year is None:
        return "The award has no amount in that financial year"
    committed = sum(
        p.amount_pence
        for p in move.obj.payments
        if p.financial_year == year.financial_year and p.status in COMMITTED
    )
    if year.amount_pence - amount < committed:
        label = financial_year(year.financial_year)
        most = year.amount_pence - committed
        return (
            f"{move.obj.reference} cannot be reduced by {pounds(amount)} in {label}: "
            f"{pounds(committed)} of that year is already claimed, approved or paid, so it can "
            f"be reduced by {pounds(most)} at most"
        )
    return None


def is_instalment(payment: Payment) -> bool:
    """A payment scheduled in advance and not yet claimed or approved. A claim the
    organisation is still drafting is scheduled too, but its amount stays at £0 until it is
    sent (grants/services/claims.py), so it holds none of the year."""
    return payment.status is PaymentStatus.SCHEDULED and payment.amount_pence > 0


def is_live(payment: Payment) -> bool:
    """A payment that holds part of the award: committed, or an instalment still to come."""
    return payment.status in COMMITTED or is_instalment(payment)


@dataclass(frozen=True)
class Cut:
    """A scheduled instalment lowered to ``amount_pence`` (0: cancelled)."""

    payment: Payment
    amount_pence: int


def _due_order(payment: Payment) -> tuple[dt.date, int]:
    # An instalment without a due date (a final payment, say) comes after the dated ones.
    return (payment.due_date or dt.date.max, payment.id or 0)


def instalment_cuts(award: Award, financial_year: int, new_amount_pence: int) -> list[Cut]:
    """How the year's scheduled instalments are re-profiled to a new amount for the year:
    what is claimed, approved or paid stays, and the instalments still to come are lowered,
    the latest first, until the year's payments add up to no more than the new amount (to
    exactly it when the schedule covered the whole year, as an offer's schedule does). An
    instalment lowered to nothing is cancelled."""
    in_year = [p for p in award.payments if p.financial_year == financial_year]
    instalments = [p for p in in_year if is_instalment(p)]
    excess = sum(p.amount_pence for p in in_year if is_live(p)) - new_amount_pence
    cuts = []
    for payment in sorted(instalments, key=_due_order, reverse=True):
        if excess <= 0:
            break
        cut = min(excess, payment.amount_pence)
        cuts.append(Cut(payment, payment.amount_pence - cut))
        excess -= cut
    return cuts


def _successor(award: Award, cancelled: set[Payment]) -> Payment | None:
    """The payment that becomes the final one when the final instalment is cancelled, so
    closing the award still waits for the last money: the latest instalment still to come,
    else the latest payment not yet made, else the latest paid."""

    def lateness(payment: Payment) -> tuple[int, int, dt.date, int]:
        rank = 2 if is_instalment(payment) else int(payment.status is not PaymentStatus.PAID)
        return (rank, payment.financial_year, *_due_order(payment))

    left = [p for p in award.payments if is_live(p) and p not in cancelled]
    return max(left, key=lateness, default=None)


def apply_reduction(move: Move) -> None:
    """Lower the year and the award, and re-profile the year's scheduled instalments to fit
    (``instalment_cuts``), each through the payment's own move so the ledger records every
    new amount. The payments move first: the guard has already made sure they can."""
    # Imported here: the engine reads every lifecycle, this one among them, when it loads.
    from workflows.engine import fire

    award = move.obj
    amount = move.payload["reduction_pence"]
    year = next(y for y in award.years if y.financial_year == move.payload["financial_year"])
    new_amount = year.amount_pence - amount
    cuts = instalment_cuts(award, year.financial_year, new_amount)
    cancelled = {cut.payment for cut in cuts if cut.amount_pence == 0}
    why = (
        f"{financial_year(year.financial_year)} of {award.reference} reduced from "
        f"{pounds(year.amount_pence)} to {pounds(new_amount)}: {move.payload['reason'].strip()}"
    )
    # The final payment last: if nothing is left to take it on, the others are gone by then
    # and its cancellation needs no successor.
    for cut in sorted(cuts, key=lambda cut: cut.payment.is_final):
        payment = cut.payment
        if cut.amount_pence:
            reduction = payment.amount_pence - cut.amount_pence
            fire(move.actor, payment, "reduce", now=move.now, reduction_pence=reduction, reason=why)
            continue
        handover: dict[str, int] = {}
        successor = _successor(award, cancelled) if payment.is_final else None
        if successor is not None:
            handover["final_passes_to"] = successor.id
        fire(move.actor, payment, "cancel", now=move.now, reason=why, **handover)
    year.amount_pence = new_amount
    award.amount_pence -= amount


def record_clawback(move: Move) -> None:
    move.obj.clawback_pence = move.payload.get("clawback_pence", 0)


LIFECYCLE = Lifecycle(
    name="award",
    model=Award,
    states=AwardStatus,
    initial=S.OFFERED,
    owner_organisation=lambda award: owner_id(award, "organisation"),
    amounts=lambda award: {
        "amount_pence": award.amount_pence,
        "clawback_pence": award.clawback_pence,
        **{f"fy{year.financial_year}_pence": year.amount_pence for year in award.years},
    },
    creators=frozenset({OFFICER, DECISION_MAKER}),
    creation_guards=(within_intervention_budget, within_funder_award),
    # The grant agreement is drawn up from the award's own data as soon as it is offered.
    creation_jobs=("agreement.render",),
    transitions=[
        t("accept", S.OFFERED, S.ACCEPTED, [APPLICANT], "Accept the offer",
          guards=[offer_not_expired], effect=record_signatory,
          jobs=["agreement.render"],  # the agreement again, now with the signatory
          requires={"signatory": "Enter the name of the person accepting for the organisation"}),
        t("decline", S.OFFERED, S.DECLINED, [APPLICANT], "Decline the offer",
          requires={"reason": "Enter why you are declining the offer"}),
        t("lapse", S.OFFERED, S.LAPSED, [SYSTEM, OFFICER], "Lapse the expired offer",
          guards=[offer_expired]),
        t("activate", S.ACCEPTED, S.ACTIVE, [OFFICER, SYSTEM], "Start the grant"),
        t("suspend", S.ACTIVE, S.SUSPENDED, [OFFICER, DECISION_MAKER], "Suspend",
          requires={"reason": "Enter why the award is suspended"}),
        t("reinstate", S.SUSPENDED, S.ACTIVE, [OFFICER, DECISION_MAKER], "Reinstate",
          requires={"reason": "Enter why the award is reinstated"}),
        t("terminate", [S.ACTIVE, S.SUSPENDED], S.TERMINATED, [DECISION_MAKER, OFFICER],
          "Terminate", guards=[clawback_within_paid], effect=record_clawback,
          requires={"reason": "Enter why the award is terminated"}),
        t("close", S.ACTIVE, S.CLOSED, [OFFICER], "Close the award", guards=[everything_in]),
        # A year's amount lowered, e.g. when the funder of a partner award lowers its cap.
        t("reduce", [S.OFFERED, S.ACCEPTED, S.ACTIVE, S.SUSPENDED], STAYS,
          [OFFICER, DECISION_MAKER], "Reduce the award", guards=[reduction_fits],
          effect=apply_reduction, jobs=["agreement.render"],  # the agreement, as it now stands
          requires={"financial_year": "Choose the financial year to reduce",
                    "reduction_pence": "Enter the reduction",
                    "reason": "Enter why the award is reduced"}),
        # A rating is a move so it is checked by the engine and kept in the ledger; the award
        # stays in whichever state it was rated in.
        t("rate", [S.ACCEPTED, S.ACTIVE, S.SUSPENDED], STAYS, [OFFICER, DECISION_MAKER],
          "Rate the award", guards=[ratings_are_red_amber_or_green], effect=record_rating,
          requires={"delivery": "Select a rating for delivery",
                    "spend": "Select a rating for spend",
                    "risk": "Select a rating for risk",
                    "reason": "Enter a comment on the rating"}),
    ],
)  # fmt: skip
