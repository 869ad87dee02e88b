"""The ledger's hash chain, in the standard library only.

This file is also copied, as it is, into every auditor's export as ``verify_chain.py``: the
auditor checks the chain with it without installing or trusting the application.
Run it as ``python verify_chain.py events.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
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


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text, no floats: the same text wherever it is computed."""
    _refuse_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    return canonical_json({name: event[name] for name in HASHED_FIELDS}).encode("utf-8")


_quote = json.encoder.encode_basestring  # the string encoder json.dumps uses (non-ASCII kept)


def _scalar(value: str | int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return _quote(value)
    return str(int(value))


def canonical_bytes_from_columns(
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_role: str,
    object_type: str,
    object_id: int,
    object_version: int,
    action: str,
    from_state: str | None,
    to_state: str | None,
    amounts_json: str,
    changes_json: str,
    reason: str | None,
    prev_hash: str,
) -> bytes:
    """The same bytes as ``canonical_bytes``, assembled from stored columns whose nested values
    are already canonical JSON text. Verifying a long chain spends its time here, so it skips
    parsing and re-encoding the nested values; a test proves the two always agree."""
    return (
        f'{{"action":{_quote(action)},"actor_id":{_scalar(actor_id)},'
        f'"actor_role":{_quote(actor_role)},"amounts":{amounts_json},'
        f'"changes":{changes_json},"from_state":{_scalar(from_state)},'
        f'"object_id":{int(object_id)},"object_type":{_quote(object_type)},'
        f'"object_version":{int(object_version)},"occurred_at":{_quote(occurred_at)},'
        f'"prev_hash":{_quote(prev_hash)},"reason":{_scalar(reason)},"seq":{int(seq)},'
        f'"to_state":{_scalar(to_state)}}}'
    ).encode()


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


def _unpack(event: Mapping[str, Any]) -> tuple[int, str, str, bytes]:
    return event["seq"], event["prev_hash"], event["hash"], canonical_bytes(event)


def verify_events(
    events: Iterable[Any],
    unpack: Callable[[Any], tuple[int, str, str, bytes]] = _unpack,
    second_opinion: Callable[[int], bytes] | None = None,
) -> ChainResult:
    """Walk the events in order once, keeping only the previous hash: memory stays flat.
    ``unpack`` gives (seq, prev_hash, stored hash, canonical bytes) for one event. When a
    fast ``unpack`` can disagree with ``canonical_bytes`` on unusual stored values,
    ``second_opinion`` gives the canonical bytes of event ``seq`` the careful way, and only
    its verdict fails an event."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    sha256 = hashlib.sha256
    for event in events:
        seq, stored_prev, stored_hash, data = unpack(event)
        if seq != expected_seq:
            problem = f"expected event {expected_seq} but found {seq}: events missing or added"
            return ChainResult(False, count, expected_seq - 1, prev_hash, expected_seq, problem)
        if stored_prev != prev_hash:
            problem = f"event {seq} does not follow event {seq - 1} (previous hash differs)"
            return ChainResult(False, count, seq - 1, prev_hash, seq, problem)
        computed = sha256(data).hexdigest()
        if computed != stored_hash and second_opinion is not None:
            computed = sha256(second_opinion(seq)).hexdigest()
        if computed != stored_hash:
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
