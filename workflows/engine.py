"""The one way state changes happen: ``fire(actor, obj, trigger, **payload)``.

Inside the caller's transaction it checks, in order: the actor's role on this object, the
version the actor saw (optimistic lock), that the trigger applies to the current state, the
inputs the move requires and its guards. Only then does it apply the move's effect and the
state change, flush (the version check against concurrent writers), append the ledger event and
record the follow-up jobs. Any refusal raises a ``WorkflowError`` before anything has changed.
The calling service commits.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from grants.extensions import db
from grants.jobs.outbox import note_pending
from grants.models import OutboxJob, User, utcnow
from workflows.declaration import APPLICANT, SYSTEM, Lifecycle, Move, Transition
from workflows.errors import ChangedBySomeoneElse, GuardFailed, NotAllowedFromState, NotPermitted
from workflows.ledger import append_event
from workflows.registry import lifecycle_of


def role_of(actor: User | None, obj: Any, lifecycle: Lifecycle | None = None) -> str | None:
    """The role the actor acts in on this object, or None if they have none."""
    if actor is None:
        return SYSTEM
    if not actor.is_active:
        return None
    if actor.staff_role is not None:
        return actor.staff_role.value
    lifecycle = lifecycle or lifecycle_of(obj)
    owner = lifecycle.owner_organisation(obj)
    if owner is not None and owner in actor.organisation_ids:
        return APPLICANT
    return None


def fire(
    actor: User | None,
    obj: Any,
    trigger: str,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    session: Session | None = None,
    **payload: Any,
) -> dict[str, Any]:
    """Apply ``trigger`` to ``obj`` for ``actor`` (None: the system). Returns the ledger event."""
    session = session or db.session
    lifecycle = lifecycle_of(obj)
    transition, move = _check(
        lifecycle, actor, obj, trigger, payload, now or utcnow(), expected_version
    )
    from_state = obj.status
    try:
        if transition.effect is not None:
            transition.effect(move)
        lifecycle.machine.events[trigger].trigger(obj)
        session.flush()
    except StaleDataError:
        session.rollback()
        raise ChangedBySomeoneElse from None
    event = append_event(
        session,
        occurred_at=move.now,
        actor_id=actor.id if actor else None,
        actor_role=move.role,
        object_type=lifecycle.name,
        object_id=obj.id,
        object_version=obj.version,
        action=trigger,
        from_state=from_state.value,
        to_state=obj.status.value,
        amounts=lifecycle.amounts(obj),
        changes=_loggable(payload),
        reason=payload.get("reason"),
    )
    _record_jobs(session, lifecycle, obj, transition.jobs, event)
    return event


def _record_jobs(
    session: Session, lifecycle: Lifecycle, obj: Any, jobs: tuple[str, ...], event: dict[str, Any]
) -> None:
    for job in jobs:
        session.add(
            OutboxJob(
                job=job,
                payload=json.dumps({"object_type": lifecycle.name, "object_id": obj.id}),
                dedupe_key=f"{job}:{lifecycle.name}:{obj.id}:{event['seq']}",
            )
        )
    if jobs:
        note_pending()


def create(
    actor: User | None,
    obj: Any,
    *,
    now: dt.datetime | None = None,
    session: Session | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Add a new object at its lifecycle's initial state and record its creation.
    Role and creation guards are checked before anything is added, so a refusal leaves
    nothing behind; the object's parents must be set as relationships (e.g. ``award=...``)."""
    session = session or db.session
    lifecycle = lifecycle_of(obj)
    what = _words(lifecycle.name)
    if getattr(obj, "status", None) is None:
        obj.status = lifecycle.initial
    if obj.status is not lifecycle.initial:
        raise NotAllowedFromState(f"A new {what} starts as {lifecycle.initial.value}")
    with session.no_autoflush:
        role = role_of(actor, obj, lifecycle)
        if role is None or role not in lifecycle.creators:
            _detach(session, obj)
            raise NotPermitted(f"You do not have permission to create this {what}")
        move = Move(actor, role, obj, "create", {}, now or utcnow())
        for guard in lifecycle.creation_guards:
            refusal = guard(move)
            if refusal:
                _detach(session, obj)
                raise GuardFailed(refusal)
    session.add(obj)
    session.flush()
    event = append_event(
        session,
        occurred_at=now or utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=role,
        object_type=lifecycle.name,
        object_id=obj.id,
        object_version=obj.version,
        action="create",
        from_state=None,
        to_state=obj.status.value,
        amounts=lifecycle.amounts(obj),
        changes={},
        reason=reason,
    )
    _record_jobs(session, lifecycle, obj, lifecycle.creation_jobs, event)
    return event


def _detach(session: Session, obj: Any) -> None:
    """Undo attaching a refused new object to its parents' collections, so a later flush does
    not trip over it."""
    for relationship in obj.__mapper__.relationships:
        parent = getattr(obj, relationship.key, None)
        backref = relationship.back_populates
        if parent is not None and backref and not relationship.uselist:
            collection = getattr(parent, backref, None)
            if isinstance(collection, list) and obj in collection:
                collection.remove(obj)
    if obj in session:
        session.expunge(obj)


def available_triggers(actor: User | None, obj: Any) -> list[Transition]:
    """The moves this actor may make on the object now, for showing only valid buttons.
    Guards that need the actor's input are checked when the move is made."""
    lifecycle = lifecycle_of(obj)
    role = role_of(actor, obj, lifecycle)
    return [t for t in lifecycle.triggers_from(obj.status) if role in t.roles]


def _check(
    lifecycle: Lifecycle,
    actor: User | None,
    obj: Any,
    trigger: str,
    payload: dict[str, Any],
    now: dt.datetime,
    expected_version: int | None,
) -> tuple[Transition, Move]:
    transition = lifecycle.transition_named(trigger)
    what = _words(lifecycle.name)
    if transition is None:
        raise NotAllowedFromState(f"That is not something that can be done to a {what}")
    role = role_of(actor, obj, lifecycle)
    if role is None or role not in transition.roles:
        raise NotPermitted(f"You do not have permission to {transition.label.lower()}")
    # A stale page is the likeliest reason the move no longer fits: say that first.
    if expected_version is not None and obj.version != expected_version:
        raise ChangedBySomeoneElse
    if obj.status not in transition.sources:
        state = obj.status.value.replace("_", " ")
        raise NotAllowedFromState(
            f"You cannot {transition.label.lower()} because the {what} is {state}"
        )
    for field, message in transition.requires.items():
        value = payload.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise GuardFailed(message)
    move = Move(actor, role, obj, trigger, payload, now)
    for guard in transition.guards:
        reason = guard(move)
        if reason:
            raise GuardFailed(reason)
    return transition, move


def _loggable(payload: dict[str, Any]) -> dict[str, Any]:
    """The inputs of a move as they go into the hashed event: plain JSON, no floats."""
    logged: dict[str, Any] = {}
    for key, value in sorted(payload.items()):
        if key == "reason":
            continue
        if isinstance(value, dt.datetime):
            logged[key] = value.astimezone(dt.UTC).isoformat()
        elif isinstance(value, dt.date):
            logged[key] = value.isoformat()
        elif isinstance(value, bool | str) or value is None:
            logged[key] = value
        elif isinstance(value, int):
            logged[key] = str(value) if key.endswith("_pence") else value
        else:
            raise TypeError(f"{key}: {type(value).__name__} cannot go into the ledger")
    return logged


def _words(name: str) -> str:
    return name.replace("_", " ")
