"""How a lifecycle is declared: states, transitions, who may fire each, and their guards.

A lifecycle is data. The engine reads it to check and apply moves; the diagram command draws it;
the table tests enumerate it. ``transitions`` holds the machine that performs the state change.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from grants.models import StaffRole, User

# Roles beyond the staff roles: a member of the organisation that owns the object, and the
# scheduler acting for nobody in particular.
APPLICANT = "applicant"
SYSTEM = "system"
OFFICER = StaffRole.COMMISSIONING_OFFICER.value
ASSESSOR = StaffRole.ASSESSOR.value
DECISION_MAKER = StaffRole.DECISION_MAKER.value
FINANCE = StaffRole.FINANCE.value
ADMINISTRATOR = StaffRole.ADMINISTRATOR.value
ALL_ROLES = (APPLICANT, SYSTEM, OFFICER, ASSESSOR, DECISION_MAKER, FINANCE, ADMINISTRATOR)


def owner_id(obj: Any, relationship: str) -> int | None:
    """The id of a parent organisation, whether the object is saved yet or not."""
    value = getattr(obj, f"{relationship}_id", None)
    if value is None:
        parent = getattr(obj, relationship, None)
        value = parent.id if parent is not None else None
    return value


@dataclass(frozen=True)
class Move:
    """What a guard or effect sees: who is acting, as what, on what, with which inputs."""

    actor: User | None
    role: str
    obj: Any
    trigger: str
    payload: Mapping[str, Any]
    now: dt.datetime


Guard = Callable[[Move], str | None]  # the reason for refusal, or None to allow
Effect = Callable[[Move], None]  # changes to the object besides its state


class Stays:
    """The destination of a move that records something without changing the state, from
    whichever of its sources the object is in (rating an accepted, active or suspended award).
    Its value is the ``transitions`` library's reflexive destination, so the machine keeps the
    state and the diagrams draw a loop on each source."""

    value: str = Machine.wildcard_same

    def __repr__(self) -> str:
        return "STAYS"


STAYS = Stays()


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[enum.Enum, ...]
    dest: enum.Enum | Stays
    roles: frozenset[str]
    label: str
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    # Payload fields the trigger needs, with the message shown when one is missing.
    requires: Mapping[str, str] = field(default_factory=dict)
    # Follow-up jobs recorded in the outbox with the move (e.g. emails).
    jobs: tuple[str, ...] = ()

    def destination(self, source: enum.Enum) -> enum.Enum:
        """The state the object is in after this move from ``source``."""
        return source if isinstance(self.dest, Stays) else self.dest


def transition(
    trigger: str,
    sources: enum.Enum | Iterable[enum.Enum],
    dest: enum.Enum | Stays,
    roles: Iterable[str],
    label: str,
    guards: Iterable[Guard] = (),
    effect: Effect | None = None,
    requires: Mapping[str, str] | None = None,
    jobs: Iterable[str] = (),
) -> Transition:
    source_tuple = (sources,) if isinstance(sources, enum.Enum) else tuple(sources)
    return Transition(
        trigger=trigger,
        sources=source_tuple,
        dest=dest,
        roles=frozenset(roles),
        label=label,
        guards=tuple(guards),
        effect=effect,
        requires=dict(requires or {}),
        jobs=tuple(jobs),
    )


@dataclass
class Lifecycle:
    """One kind of object's states and moves, with the hooks the engine needs."""

    name: str
    model: type
    states: type[enum.Enum]
    initial: enum.Enum
    transitions: list[Transition]
    # The organisation whose members act as APPLICANT on an object (None: staff only).
    owner_organisation: Callable[[Any], int | None]
    # Money on the object, recorded with every event (whole pence).
    amounts: Callable[[Any], dict[str, int]] = lambda obj: {}
    # Roles that may create the object (the creation event), and what must hold first.
    creators: frozenset[str] = frozenset()
    creation_guards: tuple[Guard, ...] = ()
    # Follow-up jobs recorded in the outbox when the object is created.
    creation_jobs: tuple[str, ...] = ()
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        triggers = [t.trigger for t in self.transitions]
        for t in self.transitions:
            unknown = t.roles - set(ALL_ROLES)
            if unknown:
                raise ValueError(f"{self.name}.{t.trigger}: unknown roles {sorted(unknown)}")
        self.machine = Machine(
            model=None,
            states=self.states,
            initial=self.initial,
            transitions=[
                {"trigger": t.trigger, "source": list(t.sources), "dest": _machine_dest(t.dest)}
                for t in self.transitions
            ],
            auto_transitions=False,
            send_event=True,
            model_attribute="status",
        )
        if len(set(triggers)) != len(triggers):
            raise ValueError(f"{self.name}: a trigger is declared twice")

    def transition_named(self, trigger: str) -> Transition | None:
        return next((t for t in self.transitions if t.trigger == trigger), None)

    def triggers_from(self, state: enum.Enum) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]


def _machine_dest(dest: enum.Enum | Stays) -> enum.Enum | str:
    return Machine.wildcard_same if isinstance(dest, Stays) else dest
