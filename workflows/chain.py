"""The ledger's hash chain, in the standard library only.

This file is also copied, as it is, into every auditor's export as ``verify_chain.py``: the
auditor checks the chain with it without installing or trusting the application.
Run it as ``python verify_chain.py events.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
# The fields of an event that its hash covers, in the export's JSONL as well.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_role",
    "object_type",
    "object_id",
    "object_version",
    "action",
    "from_state",
    "to_state",
    "amounts",
    "changes",
    "reason",
    "prev_hash",
)


def _refuse_floats(value: Any, path: str = "event") -> None:
    if isinstance(value, float):
        raise TypeError(f"{path} is a float; money and numbers in the ledger are whole numbers")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{path}[{index}]")


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8, no floats: the same bytes wherever it is computed."""
    record = {name: event[name] for name in HASHED_FIELDS}
    _refuse_floats(record)
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


@dataclass
class ChainResult:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_events(events: Iterable[Mapping[str, Any]]) -> ChainResult:
    """Walk the events in order once, keeping only the previous hash: memory stays flat."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            problem = f"expected event {expected_seq} but found {seq}: events missing or added"
            return ChainResult(False, count, expected_seq - 1, prev_hash, expected_seq, problem)
        if event["prev_hash"] != prev_hash:
            problem = f"event {seq} does not follow event {seq - 1} (previous hash differs)"
            return ChainResult(False, count, seq - 1, prev_hash, seq, problem)
        computed = event_hash(event)
        if computed != event["hash"]:
            problem = f"event {seq} was altered (its hash does not match its contents)"
            return ChainResult(False, count, seq - 1, prev_hash, seq, problem)
        prev_hash, expected_seq, count = computed, seq + 1, count + 1
    return ChainResult(True, count, expected_seq - 1, prev_hash)


def _read_jsonl(path: str) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python verify_chain.py events.jsonl", file=sys.stderr)
        return 2
    result = verify_events(_read_jsonl(argv[1]))
    if result.ok:
        print(f"OK: {result.events} events, head {result.head_seq} {result.head_hash}")
        return 0
    print(f"BROKEN at event {result.first_bad_seq}: {result.problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
