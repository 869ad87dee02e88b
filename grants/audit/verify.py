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
from workflows.chain import verify_events
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


def stream_events() -> Iterator[dict[str, Any]]:
    """Every event in sequence order, fetched in batches so memory stays flat."""
    result = db.session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=BATCH)
    )
    try:
        for row in result.scalars():
            yield row_to_event(row)
            db.session.expunge(row)
    finally:
        # Verification stops at the first bad event: release the server-side cursor then too.
        result.close()


def verify_ledger() -> VerifyReport:
    checkpoints = all_checkpoints(current_app.config["AUDIT_CHECKPOINT_DIR"])
    wanted = {checkpoint.seq: checkpoint for checkpoint in checkpoints}
    seen: dict[int, str] = {}

    def watched() -> Iterator[dict[str, Any]]:
        with closing(stream_events()) as events:
            for event in events:
                if event["seq"] in wanted:
                    seen[event["seq"]] = event["hash"]
                yield event

    with closing(watched()) as events:
        chain = verify_events(events)
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
    _check_checkpoints(report, checkpoints, seen)
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
    report: VerifyReport, checkpoints: list[Checkpoint], seen: dict[int, str]
) -> None:
    public_key = load_or_create_key(current_app.config["AUDIT_SIGNING_KEY_FILE"]).public_key()
    for checkpoint in checkpoints:
        if not signature_valid(public_key, checkpoint):
            _fail(
                report, checkpoint.seq, f"checkpoint {checkpoint.path.name} is not validly signed"
            )
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
