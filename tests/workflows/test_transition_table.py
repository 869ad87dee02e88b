"""Every lifecycle, every state by trigger by role: allowed moves succeed with exactly one event;
every other combination is refused, the state is unchanged and no event is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import AuditEvent
from tests.workflows.worlds import arrange, build_world, payload_for
from workflows.declaration import ALL_ROLES
from workflows.engine import fire
from workflows.errors import WorkflowError
from workflows.registry import LIFECYCLES


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lifecycle: lifecycle.name)
def test_state_trigger_role_table(ctx, lifecycle):
    world = build_world()
    obj = world.objects[lifecycle.name]
    checked = allowed = 0
    for state in lifecycle.states:
        for transition in lifecycle.transitions:
            for role in (*ALL_ROLES, "outsider"):
                actor = world.outsider if role == "outsider" else world.actors[role]
                expected = state in transition.sources and role in transition.roles
                savepoint = db.session.begin_nested()
                obj.status = state
                arrange(lifecycle.name, transition.trigger, obj)
                db.session.flush()
                before = event_count()
                try:
                    fire(actor, obj, transition.trigger, **payload_for(transition.trigger, world))
                except WorkflowError as refusal:
                    assert not expected, (state, transition.trigger, role, refusal.message)
                    assert obj.status is state
                    assert event_count() == before
                else:
                    assert expected, (state, transition.trigger, role)
                    assert obj.status is transition.destination(state)
                    assert event_count() == before + 1
                    allowed += 1
                savepoint.rollback()
                checked += 1
    assert allowed == sum(len(t.sources) * len(t.roles) for t in lifecycle.transitions)
    assert event_count() == 0  # every move was undone with its savepoint
    assert checked == len(lifecycle.states) * len(lifecycle.transitions) * (len(ALL_ROLES) + 1)
