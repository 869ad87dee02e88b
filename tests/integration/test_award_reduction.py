"""Reducing an award's year re-profiles its payments still to come: what is claimed, approved or
paid stays, the instalments still scheduled are lowered, the latest first, so the year's
payments add up exactly to the new amount, and an instalment lowered to nothing is cancelled
(handing on being the final payment). Every new amount is a move on the ledger, which still
verifies and reconciles; a reduction below what is already committed is refused."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.audit.verify import verify_ledger
from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    AwardStatus,
    AwardYear,
    MembershipRole,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeKind,
    StaffRole,
)
from tests.conftest import make_member, make_organisation, make_staff
from workflows.award import instalment_cuts
from workflows.engine import create, fire
from workflows.errors import GuardFailed, NotAllowedFromState, NotPermitted

S = PaymentStatus
COMMITTED = {S.CLAIMED, S.APPROVED, S.PAID}
# Hypothesis runs many examples in one test's database: each makes its own people and names.
WORLDS = itertools.count()


def an_award(schedule: dict[int, list[int]]) -> dict:
    """An active award with, for each financial year, instalments scheduled in advance (one
    per quarter from April) adding up to that year's amount; the very last is the final
    payment. Everything is made through the engine, so the ledger reconciles."""
    n = next(WORLDS)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, f"olive{n}@opcc.example.org")
    approver = make_staff(StaffRole.COMMISSIONING_OFFICER, f"paula{n}@opcc.example.org")
    finance = make_staff(StaffRole.FINANCE, f"fin{n}@opcc.example.org")
    organisation = make_organisation(f"Braunstone Youth Club {n}")
    member = make_member(organisation, f"treasurer{n}@braunstone.example.org", MembershipRole.OWNER)
    programme = Programme(
        name="Prevention Fund", slug=f"pf-{n}", kind=ProgrammeKind.COMMUNITY_GRANT
    )
    award = Award(
        reference=f"PF-2627-{n:04d}-A",
        programme=programme,
        organisation_id=organisation.id,
        title="Boxing after school",
        amount_pence=sum(sum(amounts) for amounts in schedule.values()),
        offer_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        years=[AwardYear(financial_year=y, amount_pence=sum(a)) for y, a in schedule.items()],
    )
    create(officer, award)
    fire(member, award, "accept", signatory="Amara Okafor, treasurer")
    fire(officer, award, "activate")
    last = (max(schedule), len(schedule[max(schedule)]) - 1)
    for year, amounts in sorted(schedule.items()):
        for quarter, pence in enumerate(amounts):
            payment = Payment(
                award=award,
                financial_year=year,
                amount_pence=pence,
                due_date=dt.date(year, 4, 1) + dt.timedelta(days=91 * quarter),
                is_final=(year, quarter) == last,
            )
            create(officer, payment)
    db.session.commit()
    return {"officer": officer, "approver": approver, "finance": finance, "member": member,
            "award": award, "payments": list(award.payments)}  # fmt: skip


def approve(world: dict, payment: Payment) -> None:
    fire(world["approver"], payment, "approve")
    db.session.commit()


def pay(world: dict, payment: Payment) -> None:
    approve(world, payment)
    fire(world["finance"], payment, "pay", paid_on=dt.date(2026, 4, 2), payment_reference="BACS-1")
    db.session.commit()


def reduce(world: dict, year: int, pence: int) -> None:
    fire(
        world["officer"],
        world["award"],
        "reduce",
        financial_year=year,
        reduction_pence=pence,
        reason="The funder lowered its cap",
    )
    db.session.commit()


def live_in_year(award: Award, year: int) -> int:
    return sum(
        p.amount_pence
        for p in award.payments
        if p.financial_year == year and p.status is not S.CANCELLED
    )


def ledger_is_sound() -> None:
    assert verify_ledger().ok
    assert [str(finding) for finding in reconcile()] == []


def events_for(payment: Payment) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "payment", AuditEvent.object_id == payment.id)
            .order_by(AuditEvent.seq)
        )
    )


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


# Re-profiling ---------------------------------------------------------------------------------


def test_the_latest_instalments_are_lowered_first_to_add_up_to_the_new_amount(ctx):
    world = an_award({2026: [250_000, 250_000, 250_000, 250_000]})
    q1, q2, q3, q4 = world["payments"]

    reduce(world, 2026, 300_000)

    award = world["award"]
    assert (award.amount_pence, award.years[0].amount_pence) == (700_000, 700_000)
    # The fourth quarter goes altogether (cancelled), the third loses the rest.
    assert (q4.status, q4.amount_pence) == (S.CANCELLED, 250_000)
    assert (q3.status, q3.amount_pence) == (S.SCHEDULED, 200_000)
    assert [(p.status, p.amount_pence) for p in (q1, q2)] == [(S.SCHEDULED, 250_000)] * 2
    assert live_in_year(award, 2026) == 700_000
    # Closing the award still waits for the last money: the third quarter is now the final one.
    assert (q3.is_final, q4.is_final) == (True, False)
    # Each change is a move on the ledger, with the payment's new amount.
    cancel = events_for(q4)[-1]
    assert (cancel.action, cancel.from_state) == ("cancel", "scheduled")
    assert cancel.to_state == "cancelled"
    assert "2026/27 of PF-2627-" in cancel.reason and "£10,000.00 to £7,000.00" in cancel.reason
    lowered = events_for(q3)[-1]
    assert (lowered.action, lowered.to_state) == ("reduce", "scheduled")
    assert json.loads(lowered.amounts) == {"amount_pence": "200000"}
    assert json.loads(lowered.changes) == {"reduction_pence": "50000"}
    assert events_for(q1)[-1].action == "create"
    ledger_is_sound()


def test_paid_and_approved_instalments_stay_and_only_those_still_to_come_are_lowered(ctx):
    world = an_award({2026: [250_000, 250_000, 250_000, 250_000]})
    q1, q2, q3, _ = world["payments"]
    pay(world, q1)
    approve(world, q2)
    versions = (q1.version, q2.version)

    reduce(world, 2026, 400_000)

    assert [(p.status, p.amount_pence) for p in world["payments"]] == [
        (S.PAID, 250_000),
        (S.APPROVED, 250_000),
        (S.SCHEDULED, 100_000),
        (S.CANCELLED, 250_000),
    ]
    assert (q1.version, q2.version) == versions  # untouched, not even rewritten
    assert live_in_year(world["award"], 2026) == 600_000
    assert q3.is_final
    ledger_is_sound()


def test_reducing_to_exactly_what_is_committed_cancels_every_instalment_still_to_come(ctx):
    world = an_award({2026: [250_000, 250_000, 250_000, 250_000]})
    q1, q2, q3, q4 = world["payments"]
    pay(world, q1)
    approve(world, q2)

    reduce(world, 2026, 500_000)

    assert (q3.status, q4.status) == (S.CANCELLED, S.CANCELLED)
    assert live_in_year(world["award"], 2026) == 500_000
    # The approved payment not yet made is the last money now.
    assert [p.is_final for p in world["payments"]] == [False, True, False, False]
    ledger_is_sound()


def test_a_reduction_below_what_is_paid_and_approved_is_refused_and_changes_nothing(ctx):
    world = an_award({2026: [250_000, 250_000, 250_000, 250_000]})
    q1, q2, _, q4 = world["payments"]
    pay(world, q1)
    approve(world, q2)
    before = event_count()

    with pytest.raises(GuardFailed) as refusal:
        fire(
            world["officer"], world["award"], "reduce",
            financial_year=2026, reduction_pence=500_001, reason="The funder lowered its cap",
        )  # fmt: skip
    db.session.rollback()

    assert refusal.value.message == (
        f"{world['award'].reference} cannot be reduced by £5,000.01 in 2026/27: £5,000.00 of "
        "that year is already claimed, approved or paid, so it can be reduced by £5,000.00 at "
        "most"
    )
    assert event_count() == before
    assert world["award"].amount_pence == 1_000_000
    assert [(p.status, p.amount_pence) for p in world["payments"]] == [
        (S.PAID, 250_000), (S.APPROVED, 250_000), (S.SCHEDULED, 250_000), (S.SCHEDULED, 250_000),
    ]  # fmt: skip
    assert q4.is_final
    ledger_is_sound()


def test_a_claim_counts_as_committed_and_a_claim_being_drafted_is_left_alone(ctx):
    world = an_award({2026: [500_000, 500_000]})
    first, second = world["payments"]
    approve(world, first)
    draft = Payment(award=world["award"], financial_year=2026, amount_pence=0)
    create(world["member"], draft)
    db.session.commit()

    reduce(world, 2026, 200_000)

    assert (second.status, second.amount_pence) == (S.SCHEDULED, 300_000)
    assert (draft.status, draft.amount_pence, draft.version) == (S.SCHEDULED, 0, 1)
    assert events_for(draft)[-1].action == "create"
    ledger_is_sound()


def test_only_the_reduced_year_is_reprofiled_and_the_final_payment_passes_back_a_year(ctx):
    world = an_award({2026: [300_000, 300_000], 2027: [200_000]})
    first, second, next_year = world["payments"]

    reduce(world, 2027, 200_000)  # the whole of 2027/28

    assert (next_year.status, next_year.is_final) == (S.CANCELLED, False)
    assert [(p.status, p.amount_pence, p.is_final) for p in (first, second)] == [
        (S.SCHEDULED, 300_000, False), (S.SCHEDULED, 300_000, True),
    ]  # fmt: skip
    award = world["award"]
    assert [(y.financial_year, y.amount_pence) for y in award.years] == [(2026, 600_000), (2027, 0)]
    assert award.amount_pence == 600_000
    assert json.loads(events_for(next_year)[-1].changes) == {"final_passes_to": second.id}
    ledger_is_sound()


def test_a_year_whose_schedule_leaves_room_is_reduced_into_the_room_first(ctx):
    # £10,000 for the year with only £6,000 of it still scheduled: the last £4,000 instalment
    # was cancelled, to be claimed in arrears instead.
    world = an_award({2026: [300_000, 300_000, 400_000]})
    first, second, third = world["payments"]
    fire(world["officer"], third, "cancel", reason="To be claimed in arrears instead",
         final_passes_to=second.id)  # fmt: skip
    db.session.commit()

    reduce(world, 2026, 300_000)  # £7,000 left: the £6,000 scheduled still fits
    assert [(p.status, p.amount_pence) for p in (first, second)] == [(S.SCHEDULED, 300_000)] * 2

    reduce(world, 2026, 200_000)  # £5,000 left: the later instalment loses £1,000
    assert [(p.status, p.amount_pence) for p in (first, second)] == [
        (S.SCHEDULED, 300_000), (S.SCHEDULED, 200_000),
    ]  # fmt: skip
    assert live_in_year(world["award"], 2026) == 500_000
    ledger_is_sound()


# The payment moves on their own ----------------------------------------------------------------


def test_the_payment_moves_refuse_what_a_reduction_never_asks_of_them(ctx):
    world = an_award({2026: [250_000, 250_000]})
    first, final = world["payments"]
    officer = world["officer"]
    before = event_count()

    with pytest.raises(GuardFailed, match="cancelled instead"):
        fire(officer, first, "reduce", reduction_pence=250_000, reason="All of it")
    with pytest.raises(GuardFailed, match="whole pence"):
        fire(officer, first, "reduce", reduction_pence=0, reason="Nothing")
    with pytest.raises(GuardFailed, match="becomes the final payment"):
        fire(officer, final, "cancel", reason="Not needed")
    with pytest.raises(GuardFailed, match="becomes the final payment"):
        fire(officer, final, "cancel", reason="Not needed", final_passes_to=999_999)
    with pytest.raises(GuardFailed, match="Only the final payment"):
        fire(officer, first, "cancel", reason="Not needed", final_passes_to=final.id)
    with pytest.raises(NotPermitted):
        fire(world["member"], first, "reduce", reduction_pence=1, reason="Ours")
    with pytest.raises(NotPermitted):
        fire(world["finance"], first, "cancel", reason="Not needed")
    approve(world, first)
    with pytest.raises(NotAllowedFromState):
        fire(officer, first, "reduce", reduction_pence=1, reason="Too late")
    with pytest.raises(NotAllowedFromState):
        fire(officer, first, "cancel", reason="Too late")
    draft = Payment(award=world["award"], financial_year=2026, amount_pence=0)
    create(world["member"], draft)
    with pytest.raises(GuardFailed, match="not a claim being drafted"):
        fire(officer, draft, "cancel", reason="Not ours to cancel")
    db.session.rollback()

    assert event_count() == before + 1  # the approval alone
    assert [(p.status, p.amount_pence, p.is_final) for p in world["payments"]] == [
        (S.APPROVED, 250_000, False), (S.SCHEDULED, 250_000, True),
    ]  # fmt: skip


def test_the_cuts_are_worked_out_without_changing_anything(ctx):
    world = an_award({2026: [250_000, 250_000, 250_000, 250_000]})
    _, q2, q3, q4 = world["payments"]
    cuts = instalment_cuts(world["award"], 2026, 450_000)
    assert [(cut.payment, cut.amount_pence) for cut in cuts] == [(q4, 0), (q3, 0), (q2, 200_000)]
    assert instalment_cuts(world["award"], 2026, 1_000_000) == []
    assert all(p.amount_pence == 250_000 for p in world["payments"])


# Any schedule, any payments made, any reduction ------------------------------------------------

schedules = st.lists(st.integers(1, 400_000), min_size=1, max_size=6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=schedules, made=st.integers(0, 6), approved_only=st.booleans(), data=st.data())
def test_any_reduction_adds_up_or_is_refused(ctx, amounts, made, approved_only, data):
    world = an_award({2026: amounts})
    payments = world["payments"]
    made = min(made, len(payments))
    for payment in payments[:made]:
        (approve if approved_only else pay)(world, payment)
    committed = sum(amounts[:made])
    year = sum(amounts)
    reduction = data.draw(st.integers(1, year), label="reduction")
    before = [(p.status, p.amount_pence, p.version) for p in payments]

    if year - reduction < committed:
        with pytest.raises(GuardFailed, match="at most"):
            reduce(world, 2026, reduction)
        db.session.rollback()
        assert [(p.status, p.amount_pence, p.version) for p in payments] == before
        assert world["award"].years[0].amount_pence == year
    else:
        reduce(world, 2026, reduction)
        assert live_in_year(world["award"], 2026) == year - reduction
        # What was committed is as it was (one of them may have taken over "final" from a
        # cancelled instalment: only that one moved on a version); of the rest, earlier
        # instalments are kept whole before any later one is.
        assert [(p.status, p.amount_pence) for p in payments[:made]] == [
            (status, pence) for status, pence, _ in before[:made]
        ]
        assert all(
            p.version == version or p.is_final
            for p, (_, _, version) in zip(payments[:made], before[:made], strict=True)
        )
        kept = [p.amount_pence for p in payments[made:] if p.status is S.SCHEDULED]
        whole = [
            p.status is S.SCHEDULED and p.amount_pence == pence
            for p, pence in zip(payments[made:], amounts[made:], strict=True)
        ]
        assert whole == sorted(whole, reverse=True)
        assert all(pence > 0 for pence in kept)
        # Exactly one final payment is left among those that still hold money.
        live = [p for p in payments if p.status is not S.CANCELLED]
        assert sum(p.is_final for p in payments) == 1
        assert not live or any(p.is_final for p in live)
    ledger_is_sound()
    assert world["award"].status is AwardStatus.ACTIVE
