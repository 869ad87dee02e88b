"""Awards made on approved applications and what followed: the offer and its acceptance,
payments in advance and in arrears, and monitoring returns, each booked as moves through the
engine at the time they happened. A plan says how far each part had got; the times follow from
a few house rules, written once here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grants.demo.application_forms import store_pdf
from grants.demo.applications import Booked
from grants.demo.dates import london, london_date
from grants.demo.people import Cast
from grants.demo.timeline import Hook, Timeline
from grants.models import (
    Award,
    AwardCondition,
    AwardStatus,
    AwardYear,
    ClaimLine,
    MonitoringReturn,
    Payment,
    PaymentStatus,
    ReturnOutput,
    ReturnSpend,
    ReturnStatus,
    User,
)
from grants.services.awarding import OFFER_OPEN_FOR_DAYS, STANDARD_CONDITIONS

# Three quarters paid in advance on starting, the rest against the end-of-grant return.
ADVANCE_PER_CENT = 75
# The same conditions and time to accept as a live offer (grants/services/awarding.py).
PRE_PAYMENT_CONDITIONS = STANDARD_CONDITIONS
OFFER_OPEN_FOR = dt.timedelta(days=OFFER_OPEN_FOR_DAYS)
DAY = dt.timedelta(days=1)

A = AwardStatus
P = PaymentStatus
R = ReturnStatus
STARTED = (A.ACTIVE, A.CLOSED)
AT_LEAST = {
    # How far along each lifecycle a state is, to read "has it got as far as X?".
    P.SCHEDULED: 0, P.CLAIMED: 1, P.APPROVED: 2, P.PAID: 3,
    R.SCHEDULED: 0, R.OPEN: 1, R.SUBMITTED: 2, R.RETURNED: 3, R.ACCEPTED: 4,
}  # fmt: skip


@dataclass(frozen=True)
class ReturnPlan:
    period_start: dt.date
    period_end: dt.date
    due: dt.date
    reached: ReturnStatus = R.ACCEPTED
    # Comments when the officer sent it back once; it was then resubmitted, unless it is
    # still waiting (reached RETURNED).
    sent_back: str | None = None
    waived: str | None = None  # the reason, for a return waived before it opened


@dataclass(frozen=True)
class AwardPlan:
    reached: AwardStatus  # OFFERED, ACCEPTED, ACTIVE or CLOSED
    signatory: str = ""  # who accepted for the organisation
    accept_after: dt.timedelta = dt.timedelta(days=3)
    returns: tuple[ReturnPlan, ...] = ()
    advance: PaymentStatus = P.PAID  # how far the payment in advance had got
    final: PaymentStatus = P.SCHEDULED  # and the final payment, claimed with the last return


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def split(amount_pence: int) -> tuple[int, int]:
    """The payment in advance and the final payment, in whole pence, adding up exactly."""
    advance = amount_pence * ADVANCE_PER_CENT // 100
    return advance, amount_pence - advance


def _share_of_project(award: Award, day: dt.date) -> int:
    """How far through the project a day is, in per cent (for pro-rata demo figures)."""
    if award.starts_on is None or award.ends_on is None or award.ends_on <= award.starts_on:
        return 100
    done = (min(day, award.ends_on) - award.starts_on).days
    return max(0, min(100, done * 100 // (award.ends_on - award.starts_on).days))


def book_award(timeline: Timeline, booked: Booked, plan: AwardPlan, cast: Cast) -> Award:
    """Books the award on an approved application, offered the day after the decision."""
    application = booked.application
    if booked.decided_at is None:
        raise ValueError(f"{booked.spec.title}: an award needs an approved application")
    offered_at = london(london_date(booked.decided_at) + DAY, 10)
    year = application.round.financial_year
    award = Award(
        programme=application.round.programme,
        organisation=application.organisation,
        title=application.project_title,
        amount_pence=booked.approved_pence,
        approved_by_id=cast.decision_maker.id,
        recommended_by_id=cast.officer.id,
        offer_expires_at=london(london_date(offered_at + OFFER_OPEN_FOR), 17),
        years=[AwardYear(financial_year=year, amount_pence=booked.approved_pence)],
        conditions=[
            AwardCondition(position=number, text=text, before_first_payment=True)
            for number, text in enumerate(PRE_PAYMENT_CONDITIONS, start=1)
        ],
    )

    def attach() -> None:
        # Known only once the application exists and has been submitted.
        award.application = application
        award.reference = f"{application.reference}-A"
        answers = application.answer_map
        award.starts_on = _date(answers.get("start_date"))
        award.ends_on = _date(answers.get("end_date"))

    timeline.create(offered_at, cast.officer, award, before=attach)
    if plan.reached is A.OFFERED:
        return award
    applicant = cast.owner(booked.spec.organisation)
    accepted_at = offered_at + plan.accept_after
    timeline.fire(accepted_at, applicant, award, "accept", signatory=plan.signatory)
    if plan.reached not in STARTED:
        return award
    started = london(london_date(accepted_at) + DAY, 9, 30)

    def conditions_checked() -> None:
        # The officer saw the bank statement and the safeguarding policy before starting it.
        for condition in award.conditions:
            condition.met_at, condition.met_by_id = started, cast.officer.id

    timeline.fire(started, cast.officer, award, "activate", before=conditions_checked)
    _Delivery(timeline, cast, award, applicant, year, started + dt.timedelta(minutes=5)).book(plan)
    return award


@dataclass
class _Delivery:
    """Payments and returns of one started award."""

    timeline: Timeline
    cast: Cast
    award: Award
    applicant: User
    year: int
    scheduled_at: dt.datetime  # when the officer set up the payments and returns

    def book(self, plan: AwardPlan) -> None:
        advance_pence, final_pence = split(self.award.amount_pence)
        advance = self._payment(advance_pence, london_date(self.scheduled_at), final=False)
        last_due = max(r.due for r in plan.returns)
        final = self._payment(final_pence, last_due + dt.timedelta(days=30), final=True)
        if AT_LEAST[plan.advance] >= AT_LEAST[P.APPROVED]:
            approved = london(london_date(self.scheduled_at) + DAY, 11)
            self._approve_and_pay(advance, approved, plan.advance)
        submitted_at = accepted_at = None
        for number, return_plan in enumerate(plan.returns, start=1):
            submitted_at, accepted_at = self._return(return_plan, number)
        # The final claim goes in with the last return and is approved once it is accepted.
        if AT_LEAST[plan.final] >= AT_LEAST[P.CLAIMED]:
            if submitted_at is None:
                raise ValueError("a final claim needs the last return submitted")
            claimed = submitted_at + dt.timedelta(hours=1)
            self.timeline.fire(
                claimed, self.applicant, final, "claim", before=self._evidence(final, claimed)
            )
        if AT_LEAST[plan.final] >= AT_LEAST[P.APPROVED]:
            if accepted_at is None:
                raise ValueError("the final payment waits for the last return to be accepted")
            paid_at = self._approve_and_pay(final, accepted_at + DAY, plan.final)
            if plan.reached is A.CLOSED:
                closed = london(london_date(paid_at) + 2 * DAY, 10)
                self.timeline.fire(closed, self.cast.officer, self.award, "close")

    def _payment(self, pence: int, due: dt.date, final: bool) -> Payment:
        payment = Payment(
            financial_year=self.year, amount_pence=pence, due_date=due, is_final=final
        )
        self.timeline.create(
            self.scheduled_at, self.cast.officer, payment, before=self._attach(payment)
        )
        return payment

    def _approve_and_pay(
        self, payment: Payment, approved: dt.datetime, reached: PaymentStatus
    ) -> dt.datetime:
        # Approved by the second officer: the first recommended the award, and segregation of
        # duties keeps whoever recommended or approved an award from approving its payments.
        self.timeline.fire(approved, self.cast.second_officer, payment, "approve")
        paid_at = london(london_date(approved) + 2 * DAY, 15)
        if reached is P.PAID:
            # A remittance reference as the bank shows it: date, payee, first or final.
            payee = self.award.organisation.id
            reference = f"OPCC-{paid_at:%y%m%d}-{payee:03d}-{2 if payment.is_final else 1}"
            self.timeline.fire(
                paid_at,
                self.cast.finance,
                payment,
                "pay",
                paid_on=london_date(paid_at),
                payment_reference=reference,
            )
        return paid_at

    def _return(
        self, plan: ReturnPlan, number: int
    ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Books one return; gives when it was (last) submitted and when it was accepted."""
        monitoring_return = MonitoringReturn(
            period_start=plan.period_start, period_end=plan.period_end, due_date=plan.due
        )
        when = self.scheduled_at + dt.timedelta(minutes=number)
        self.timeline.create(
            when, self.cast.officer, monitoring_return, before=self._attach(monitoring_return)
        )
        book = self.timeline.fire
        officer, applicant = self.cast.officer, self.applicant
        if plan.reached is R.WAIVED:
            waived = london(plan.period_end - dt.timedelta(days=14), 10)
            book(waived, officer, monitoring_return, "waive", reason=plan.waived)
            return None, None
        if AT_LEAST[plan.reached] < AT_LEAST[R.OPEN]:
            return None, None
        # The scheduler opens each return the morning after its period ends.
        book(london(plan.period_end + DAY, 7), None, monitoring_return, "open")
        if AT_LEAST[plan.reached] < AT_LEAST[R.SUBMITTED]:
            return None, None
        submitted = london(plan.due - 5 * DAY, 11)
        fill = self._report(monitoring_return)
        book(submitted, applicant, monitoring_return, "submit", before=fill)
        if plan.sent_back:
            sent_back = london(london_date(submitted) + 3 * DAY, 10)
            book(sent_back, officer, monitoring_return, "send_back", reason=plan.sent_back)
            if plan.reached is R.RETURNED:
                return submitted, None
            submitted = london(london_date(sent_back) + 4 * DAY, 16)
            book(submitted, applicant, monitoring_return, "submit", before=fill)
        if plan.reached is not R.ACCEPTED:
            return submitted, None
        accepted = london(london_date(submitted) + 6 * DAY, 10)
        book(accepted, officer, monitoring_return, "accept")
        return submitted, accepted

    def _report(self, monitoring_return: MonitoringReturn) -> Hook:
        """What the organisation wrote in the return: spend and outputs so far, pro rata."""

        def fill() -> None:
            if monitoring_return.narrative:
                return  # resubmitted after changes the officer asked for: already written
            application = self.award.application
            share = _share_of_project(self.award, monitoring_return.period_end)
            monitoring_return.narrative = (
                f"{self.award.title}: sessions ran as planned this period, with good "
                "attendance and no safeguarding concerns."
            )
            monitoring_return.case_study = (
                "One young person who joined through a referral now helps run the sessions."
            )
            monitoring_return.risks = (
                "Volunteer cover over the holidays; a reserve list is in place."
            )
            if application is None:
                return
            monitoring_return.spend = [
                ReturnSpend(budget_line_id=line.id, spent_pence=line.amount_pence * share // 100)
                for line in application.budget_lines
            ]
            monitoring_return.outputs = [
                ReturnOutput(output_target_id=target.id, achieved=target.target * share // 100)
                for target in application.output_targets
            ]

        return fill

    def _evidence(self, payment: Payment, at: dt.datetime) -> Hook:
        """The claim's one line: the project's spend, evidenced by its accounts."""

        def add() -> None:
            document = store_pdf(
                f"{self.award.organisation.name}: project accounts for {self.award.reference}",
                "Project accounts.pdf",
                organisation_id=self.award.organisation_id,
                uploaded_by_id=self.applicant.id,
                at=at,
                purpose="claim_evidence",
                payment_id=payment.id,
            )
            payment.claim_lines.append(
                ClaimLine(
                    description="Project spend to the end of the grant, as in the accounts",
                    amount_pence=payment.amount_pence,
                    document_id=document.id,
                )
            )

        return add

    def _attach(self, child: Payment | MonitoringReturn) -> Hook:
        # Attached at its creation step, not before: hung on the award early, it would sit
        # unsaved in the award's collections, read by the guards (and warned about at every
        # flush) before it exists.
        def attach() -> None:
            child.award = self.award

        return attach
