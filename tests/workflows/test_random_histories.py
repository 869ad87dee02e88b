"""Random sequences of moves by random actors never break the ledger's invariants:
the chain verifies, reconcile is clean, payments never exceed the award, and a closed award
has every return accepted or waived and its final payment made."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import delete

from grants.audit.reconcile import reconcile
from grants.audit.verify import verify_ledger
from grants.extensions import db
from grants.models import AwardStatus, Base, MonitoringReturn, Payment, PaymentStatus, ReturnStatus
from tests.ledger_admin import wipe_ledger
from tests.workflows.worlds import build_world, payload_for, start_history
from workflows.declaration import ALL_ROLES, OFFICER
from workflows.engine import create, fire
from workflows.errors import WorkflowError
from workflows.registry import BY_NAME, LIFECYCLES

MOVES = [(lifecycle.name, t.trigger) for lifecycle in LIFECYCLES for t in lifecycle.transitions]
COMMITTED = {PaymentStatus.CLAIMED, PaymentStatus.APPROVED, PaymentStatus.PAID}
APP = None


@pytest.fixture(autouse=True)
def _app(app):
    global APP
    APP = app
    yield
    APP = None


class RandomHistories(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.context = APP.test_request_context()
        self.context.push()
        _empty_database()
        self.world = build_world()
        start_history(self.world)
        self.award = self.world.objects["award"]
        self.payments = [p for p in self.award.payments if not p.is_final]
        self.returns = [self.world.objects["monitoring_return"]]

    def teardown(self) -> None:
        db.session.rollback()
        db.session.remove()
        self.context.pop()

    @rule(
        move=st.sampled_from(MOVES),
        role=st.sampled_from(ALL_ROLES),
        right_role=st.booleans(),
        which=st.integers(min_value=0, max_value=9),
        amount=st.integers(min_value=1, max_value=12_000_000),
    )
    def fire_a_move(self, move, role, right_role, which, amount) -> None:
        name, trigger = move
        if right_role:  # half the time, someone who may make the move tries it
            roles = sorted(BY_NAME[name].transition_named(trigger).roles)
            role = roles[which % len(roles)]
        obj = self._pick(name, which)
        payload = payload_for(trigger, self.world)
        payload["amount_pence"] = amount
        try:
            fire(self.world.actors[role], obj, trigger, **payload)
        except WorkflowError:
            db.session.rollback()
            event("refused")
        else:
            db.session.commit()
            event(f"fired {name}.{trigger}")

    @rule(which=st.integers(min_value=0, max_value=9))
    def push_the_award_along(self, which) -> None:
        """The next useful move towards closing the award, by someone allowed to make it, so
        random histories reach payments, accepted returns and closure, not just refusals."""
        actors = self.world.actors
        candidates = [
            (actors["applicant"], self.award, "accept"),
            (actors["commissioning_officer"], self.award, "activate"),
            (actors["commissioning_officer"], self.award, "close"),
        ]
        for payment in self.payments:
            candidates += [
                (actors["applicant"], payment, "claim"),
                (actors["decision_maker"], payment, "approve"),
                (actors["finance"], payment, "pay"),
            ]
        for monitoring_return in self.returns:
            candidates += [
                (actors["commissioning_officer"], monitoring_return, "open"),
                (actors["applicant"], monitoring_return, "submit"),
                (actors["commissioning_officer"], monitoring_return, "accept"),
            ]
        rotated = candidates[which % len(candidates) :] + candidates[: which % len(candidates)]
        for actor, obj, trigger in rotated:
            try:
                fire(actor, obj, trigger, **payload_for(trigger, self.world))
            except WorkflowError:
                db.session.rollback()
                continue
            db.session.commit()
            event(f"pushed {type(obj).__name__}.{trigger}")
            return

    @rule(amount=st.integers(min_value=1, max_value=6_000_000), final=st.booleans())
    def schedule_a_payment(self, amount, final) -> None:
        payment = Payment(
            award=self.award, financial_year=2026, amount_pence=amount, is_final=final
        )
        try:
            create(self.world.actors[OFFICER], payment)
        except WorkflowError:  # e.g. the award has ended: nothing can be added to it
            db.session.rollback()
            event("payment refused")
            return
        db.session.commit()
        self.payments.append(payment)

    @rule(days=st.integers(min_value=-60, max_value=60))
    def schedule_a_return(self, days) -> None:
        today = dt.date.today()
        monitoring_return = MonitoringReturn(
            award=self.award,
            period_start=today - dt.timedelta(days=90),
            period_end=today,
            due_date=today + dt.timedelta(days=days),
        )
        try:
            create(self.world.actors[OFFICER], monitoring_return)
        except WorkflowError:
            db.session.rollback()
            event("return refused")
            return
        db.session.commit()
        self.returns.append(monitoring_return)

    def _pick(self, name: str, which: int):
        if name == "payment":
            return self.payments[which % len(self.payments)]
        if name == "monitoring_return":
            return self.returns[which % len(self.returns)]
        return self.world.objects[name]

    @invariant()
    def chain_verifies(self) -> None:
        report = verify_ledger()
        assert report.ok, report.problems

    @invariant()
    def reconcile_is_clean(self) -> None:
        assert [str(finding) for finding in reconcile()] == []

    @invariant()
    def payments_never_exceed_the_award(self) -> None:
        committed = sum(p.amount_pence for p in self.award.payments if p.status in COMMITTED)
        assert committed <= self.award.amount_pence

    @invariant()
    def a_closed_award_has_everything_in(self) -> None:
        if self.award.status is AwardStatus.CLOSED:
            assert all(
                r.status in {ReturnStatus.ACCEPTED, ReturnStatus.WAIVED} for r in self.award.returns
            )
            finals = [p for p in self.award.payments if p.is_final]
            assert finals and all(p.status is PaymentStatus.PAID for p in finals)


def _empty_database() -> None:
    db.session.rollback()
    with db.engine.begin() as connection:
        wipe_ledger(connection)
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in {"audit_events", "audit_head"}:
                connection.execute(delete(table))


RandomHistories.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
test_random_histories = RandomHistories.TestCase
