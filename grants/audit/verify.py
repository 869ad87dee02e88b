"""Verify the ledger: the hash chain, the head, and every signed checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from grants.audit.checkpoints import (
    Checkpoint,
    all_checkpoints,
    load_or_create_key,
    signature_valid,
    write_checkpoint,
)
from grants.extensions import db
from grants.models import AuditEvent, AuditHead, utcnow
from workflows.chain import canonical_bytes, canonical_bytes_from_columns, verify_events
from workflows.ledger import row_to_event

BATCH = 5000


@dataclass
class VerifyReport:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checkpoints: int
    first_bad_seq: int | None = None
    problems: list[str] = field(default_factory=list)


def stream_rows() -> Iterator[Any]:
    """Every event row in sequence order, fetched in batches so memory stays flat."""
    # Plain rows, not ORM objects: verification reads each event once and keeps nothing.
    table = AuditEvent.__table__
    result = db.session.execute(
        select(*(table.c[name] for name in COLUMNS))
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=BATCH)
    )
    try:
        yield from result
    finally:
        # Verification stops at the first bad event: release the server-side cursor then too.
        result.close()


def stream_events() -> Iterator[dict[str, Any]]:
    """Every event as the dictionary its hash covers (for the export)."""
    with closing(stream_rows()) as rows:
        for row in rows:
            yield row_to_event(row)


COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_role", "object_type", "object_id", "object_version",
    "action", "from_state", "to_state", "amounts", "changes", "reason", "prev_hash", "hash",
)  # fmt: skip

# The time as the canonical text (``format_time``), made by the database so the verifier's hot
# loop neither parses nor formats datetimes. SQLite holds UTC as "YYYY-MM-DD HH:MM:SS.ffffff".
_CANONICAL_TIME = {
    "postgresql": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "sqlite": "replace(occurred_at, ' ', 'T') || 'Z'",
}


def _driver_rows() -> Iterator[tuple[Any, ...]]:
    """Every event as a plain tuple straight from the database driver, in sequence order and in
    batches (a server-side cursor on PostgreSQL), so memory stays flat.

    Verifying a long chain is mostly reading it: the driver's own tuples cost a fraction of
    SQLAlchemy rows (bench/ledger.py). The query is fixed text with no user input."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    columns = ", ".join(_CANONICAL_TIME[dialect] if c == "occurred_at" else c for c in COLUMNS)
    query = f"SELECT {columns} FROM audit_events ORDER BY seq"  # noqa: S608 (no input in it)
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor(name="audit_verify") if dialect == "postgresql" else driver.cursor()
    try:
        cursor.execute(query)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        # Verification stops at the first bad event: release the server-side cursor then too.
        cursor.close()


def _unpack_row(row: tuple[Any, ...]) -> tuple[int, str, str, bytes]:
    # Positional unpacking: the hot loop of verification, where attribute lookups add up.
    (seq, occurred_at, actor_id, actor_role, object_type, object_id, object_version, action,
     from_state, to_state, amounts, changes, reason, prev_hash, stored_hash) = row  # fmt: skip
    data = canonical_bytes_from_columns(
        seq, occurred_at, actor_id, actor_role, object_type, object_id,
        object_version, action, from_state, to_state, amounts, changes, reason, prev_hash,
    )  # fmt: skip
    return seq, prev_hash, stored_hash, data


def _careful_bytes(seq: int) -> bytes:
    """Event ``seq``'s canonical bytes through the ORM's own reading of every column: the
    judge when the fast path's text differs (a time stored in another layout, say)."""
    table = AuditEvent.__table__
    row = db.session.execute(
        select(*(table.c[name] for name in COLUMNS)).where(table.c.seq == seq)
    ).one()
    return canonical_bytes(row_to_event(row))


def verify_ledger() -> VerifyReport:
    checkpoints = all_checkpoints(current_app.config["AUDIT_CHECKPOINT_DIR"])
    wanted = {checkpoint.seq: checkpoint for checkpoint in checkpoints}
    seen: dict[int, str] = {}

    def watched() -> Iterator[Any]:
        with closing(_driver_rows()) as rows:
            for row in rows:
                if row[0] in wanted:
                    seen[row[0]] = row[-1]
                yield row

    with closing(watched()) as rows:
        chain = verify_events(rows, unpack=_unpack_row, second_opinion=_careful_bytes)
    report = VerifyReport(
        ok=chain.ok,
        events=chain.events,
        head_seq=chain.head_seq,
        head_hash=chain.head_hash,
        checkpoints=len(checkpoints),
        first_bad_seq=chain.first_bad_seq,
        problems=[chain.problem] if chain.problem else [],
    )
    if chain.ok:
        _check_head(report)
    _check_checkpoints(report, checkpoints, seen, reached=chain.head_seq if not chain.ok else None)
    return report


def _check_head(report: VerifyReport) -> None:
    head = db.session.get(AuditHead, 1)
    assert head is not None
    if head.seq != report.head_seq or head.hash != report.head_hash:
        _fail(
            report,
            min(head.seq, report.head_seq + 1),
            f"the ledger head says event {head.seq} but the chain ends at event "
            f"{report.head_seq}: events were removed or added at the end",
        )


def _check_checkpoints(
    report: VerifyReport,
    checkpoints: list[Checkpoint],
    seen: dict[int, str],
    reached: int | None = None,
) -> None:
    """``reached``: the last good event when the chain broke; checkpoints beyond it cannot be
    compared (verification stops at the first bad event), so they are not reported as missing."""
    public_key = load_or_create_key(current_app.config["AUDIT_SIGNING_KEY_FILE"]).public_key()
    for checkpoint in checkpoints:
        if not signature_valid(public_key, checkpoint):
            _fail(
                report, checkpoint.seq, f"checkpoint {checkpoint.path.name} is not validly signed"
            )
        elif reached is not None and checkpoint.seq > reached:
            continue
        elif checkpoint.seq not in seen:
            _fail(
                report,
                checkpoint.seq,
                f"a signed checkpoint records event {checkpoint.seq}, which the ledger no longer "
                "has: the chain was truncated or rebuilt",
            )
        elif seen[checkpoint.seq] != checkpoint.hash:
            _fail(
                report,
                checkpoint.seq,
                f"event {checkpoint.seq} differs from its signed checkpoint: the chain was "
                "rewritten",
            )


def _fail(report: VerifyReport, seq: int, problem: str) -> None:
    report.ok = False
    report.problems.append(problem)
    if report.first_bad_seq is None or seq < report.first_bad_seq:
        report.first_bad_seq = seq


def take_checkpoint() -> Checkpoint | None:
    """Sign the current head, if there is one, after checking the chain up to it is sound."""
    report = verify_ledger()
    if not report.ok:
        raise ValueError(f"not signing a broken ledger: {'; '.join(report.problems)}")
    if report.head_seq == 0:
        return None
    key = load_or_create_key(current_app.config["AUDIT_SIGNING_KEY_FILE"])
    return write_checkpoint(
        key, current_app.config["AUDIT_CHECKPOINT_DIR"], report.head_seq, report.head_hash, utcnow()
    )
