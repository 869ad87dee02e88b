"""Replay the ledger against the current state of every object with a lifecycle.

A change made without going through the engine (a status or an amount edited directly) leaves
the object and its history disagreeing, and shows up here as a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from grants.extensions import db
from grants.models import AuditEvent
from workflows.registry import BY_NAME, LIFECYCLES


@dataclass(frozen=True)
class Finding:
    object_type: str
    object_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.problem}"


def reconcile() -> list[Finding]:
    last: dict[tuple[str, int], tuple[str | None, dict[str, str]]] = {}
    rows = db.session.execute(
        select(
            AuditEvent.object_type, AuditEvent.object_id, AuditEvent.to_state, AuditEvent.amounts
        )
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=5000)
    )
    for object_type, object_id, to_state, amounts in rows:
        last[(object_type, object_id)] = (to_state, json.loads(amounts))

    findings: list[Finding] = []
    for lifecycle in LIFECYCLES:
        for obj in db.session.scalars(select(lifecycle.model).order_by(lifecycle.model.id)):
            key = (lifecycle.name, obj.id)
            if key not in last:
                findings.append(Finding(lifecycle.name, obj.id, "has no history in the ledger"))
                continue
            state, amounts = last.pop(key)
            if state != obj.status.value:
                findings.append(
                    Finding(
                        lifecycle.name,
                        obj.id,
                        f"is {obj.status.value} but its history ends at {state}",
                    )
                )
            current = {name: str(value) for name, value in lifecycle.amounts(obj).items()}
            for name in sorted(set(current) | set(amounts)):
                if current.get(name) != amounts.get(name):
                    findings.append(
                        Finding(
                            lifecycle.name,
                            obj.id,
                            f"{name} is {current.get(name)} but the ledger last recorded "
                            f"{amounts.get(name)}",
                        )
                    )
    for object_type, object_id in sorted(last):
        if object_type in BY_NAME:
            findings.append(Finding(object_type, object_id, "has history but no longer exists"))
    return findings
