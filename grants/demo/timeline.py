"""The demo's history, replayed through the workflow engine in the order it happened.

Each story (an application, an award, a contract) books its moves at historic times; ``run``
then makes them all in time order, so the ledger reads chronologically across stories, as it
would have if the office had used the system all along, and every guard is checked at the
moment the move was made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows import engine

Hook = Callable[[], None]


@dataclass(frozen=True)
class _Step:
    when: dt.datetime
    order: int  # booking order: breaks ties between moves booked for the same moment
    run: Hook


class Timeline:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._steps: list[_Step] = []

    def at(self, when: dt.datetime, step: Hook) -> None:
        """Book any step (not only a move) for ``when``."""
        if when > self.now:
            # A move dated after loading would be history that has not happened yet.
            raise ValueError(f"demo history at {when.isoformat()} is after {self.now.isoformat()}")
        self._steps.append(_Step(when, len(self._steps), step))

    def create(
        self,
        when: dt.datetime,
        actor: Any,
        obj: Any,
        before: Hook | None = None,
        reason: str | None = None,
    ) -> None:
        """Book the creation of ``obj`` at its lifecycle's initial state. ``before`` runs first,
        e.g. to attach it to a parent that only exists by then."""

        def step() -> None:
            if before is not None:
                before()
            obj.created_at = when
            if hasattr(obj, "updated_at"):
                obj.updated_at = when
            engine.create(actor, obj, now=when, reason=reason)

        self.at(when, step)

    def fire(
        self,
        when: dt.datetime,
        actor: Any,
        obj: Any,
        trigger: str,
        before: Hook | None = None,
        payload_from: Callable[[], dict[str, Any]] | None = None,
        **payload: Any,
    ) -> None:
        """Book a move; guards are evaluated at ``when``, not at loading time. ``payload_from``
        gives inputs that can only be worked out then (after ``before`` has run)."""

        def step() -> None:
            if before is not None:
                before()
            if hasattr(obj, "updated_at"):
                # Set explicitly, or the column's onupdate would stamp the loading time.
                obj.updated_at = when
            late = payload_from() if payload_from is not None else {}
            engine.fire(actor, obj, trigger, now=when, **payload, **late)

        self.at(when, step)

    def run(self) -> None:
        for step in sorted(self._steps, key=lambda s: (s.when, s.order)):
            step.run()
        self._steps.clear()
