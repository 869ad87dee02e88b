"""Appending to the ledger, inside the caller's transaction.

The one-row ``audit_head`` is updated first with ``UPDATE … RETURNING``: that takes the row lock
on PostgreSQL and the write lock on SQLite, so concurrent writers queue and the chain stays
linear and gapless (a rolled-back transaction rolls its head update back too).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from grants.models import AuditEvent, AuditHead
from workflows.chain import canonical_json, event_hash

ADVANCE_HEAD = text("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
INSERT_EVENT = AuditEvent.__table__.insert()
SET_HEAD_HASH = (
    AuditHead.__table__.update().where(AuditHead.__table__.c.id == 1).values(hash=bindparam("hash"))
)


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_event(
    session: Session,
    *,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_role: str,
    object_type: str,
    object_id: int,
    object_version: int,
    action: str,
    from_state: str | None,
    to_state: str | None,
    amounts: Mapping[str, int],
    changes: Mapping[str, Any],
    reason: str | None,
) -> dict[str, Any]:
    # Core statements on the session's connection: the ORM's execution path costs more than
    # the database round trips here, and this runs inside every transition.
    connection = session.connection()
    seq, prev_hash = connection.execute(ADVANCE_HEAD).one()
    event: dict[str, Any] = {
        "seq": seq,
        "occurred_at": format_time(occurred_at),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "object_type": object_type,
        "object_id": object_id,
        "object_version": object_version,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        # Pence as strings in the hashed form, so no reader's number type can change them.
        "amounts": {name: str(value) for name, value in sorted(amounts.items())},
        "changes": dict(changes),
        "reason": reason,
        "prev_hash": prev_hash,
    }
    event["hash"] = event_hash(event)
    connection.execute(
        INSERT_EVENT,
        {
            **event,
            "occurred_at": occurred_at,
            # Stored as canonical JSON text, so verification can hash without re-encoding.
            "amounts": canonical_json(event["amounts"]),
            "changes": canonical_json(event["changes"]),
        },
    )
    connection.execute(SET_HEAD_HASH, {"hash": event["hash"]})
    return event


def row_to_event(row: Any) -> dict[str, Any]:
    """An ``audit_events`` row in the form its hash was computed over."""
    return {
        "seq": row.seq,
        "occurred_at": format_time(row.occurred_at),
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_version": row.object_version,
        "action": row.action,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "amounts": json.loads(row.amounts),
        "changes": json.loads(row.changes),
        "reason": row.reason,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
