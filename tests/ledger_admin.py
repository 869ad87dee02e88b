"""What a database owner can do behind the application's back: used to empty the ledger between
tests and by the tamper tests. The application itself never does any of this."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text

MIGRATION = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0002_ledger.py"


def _migration():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("ledger_migration", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def triggers_bypassed(connection: Connection) -> Iterator[None]:
    """Switch the append-only triggers off for the duration, as an owner could."""
    if connection.dialect.name == "postgresql":
        for name in ("audit_events_no_update", "audit_events_no_truncate"):
            connection.execute(text(f"ALTER TABLE audit_events DISABLE TRIGGER {name}"))
        try:
            yield
        finally:
            for name in ("audit_events_no_update", "audit_events_no_truncate"):
                connection.execute(text(f"ALTER TABLE audit_events ENABLE ALWAYS TRIGGER {name}"))
    else:
        for name in ("audit_events_no_update", "audit_events_no_delete"):
            connection.execute(text(f"DROP TRIGGER {name}"))
        try:
            yield
        finally:
            for statement in _migration().SQLITE_APPEND_ONLY:
                connection.execute(text(statement))


def wipe_ledger(connection: Connection) -> None:
    with triggers_bypassed(connection):
        connection.execute(text("DELETE FROM audit_events"))
    connection.execute(
        text("UPDATE audit_head SET seq = 0, hash = :genesis WHERE id = 1"), {"genesis": "0" * 64}
    )
