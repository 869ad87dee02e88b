"""Ledger benchmark: verification throughput against the raw cost of SHA-256, side by side.

    .venv/bin/python bench/ledger.py [--events 1000000] [--database-url URL]

Builds a chain of N events in a fresh database (SQLite in a temporary folder unless
--database-url names an empty PostgreSQL database), then in one run reports:
- raw: SHA-256 alone over every event's canonical bytes (the floor any verifier pays);
- verify: `flask audit verify`'s code path (stream from the database, rebuild canonical
  bytes, hash, compare), as events per second and as a ratio of the raw rate;
- memory: the verifying process's peak RSS growth at N/10 and at N events (flat = streaming);
- on PostgreSQL, the median time of a committed transition through the engine with the ledger
  append switched off and on (its events are then missing from the chain: a benchmark only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from grants import create_app
from grants.extensions import db
from grants.models import AuditEvent
from workflows.chain import GENESIS_HASH, canonical_bytes, canonical_json

BATCH = 20_000
START = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)


def make_app(url: str, instance: str):  # type: ignore[no-untyped-def]
    return create_app(
        overrides={"SQLALCHEMY_DATABASE_URI": url},
        env={"SECRET_KEY": "benchmark-secret-key-long-enough-for-the-app"},
        instance_path=instance,
    )


def synthetic_events(count: int):  # type: ignore[no-untyped-def]
    """Plausible events (creations, payments, returns) with a valid chain."""
    prev = GENESIS_HASH
    actions = [
        ("payment", "approve", "claimed", "approved"),
        ("payment", "pay", "approved", "paid"),
        ("monitoring_return", "submit", "open", "submitted"),
        ("award", "activate", "accepted", "active"),
    ]
    for seq in range(1, count + 1):
        object_type, action, before, after = actions[seq % len(actions)]
        moment = START + dt.timedelta(seconds=seq)
        event = {
            "seq": seq,
            "occurred_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_id": 1 + seq % 7,
            "actor_role": "commissioning_officer",
            "object_type": object_type,
            "object_id": seq // 5 + 1,
            "object_version": seq % 9 + 1,
            "action": action,
            "from_state": before,
            "to_state": after,
            "amounts": {"amount_pence": str(125_000 + seq % 9_999)},
            "changes": {"payment_reference": f"BACS-{seq:08d}"},
            "reason": None if seq % 3 else "Quarterly claim for sessions delivered",
            "prev_hash": prev,
        }
        event["hash"] = hashlib.sha256(canonical_bytes(event)).hexdigest()
        prev = event["hash"]
        yield event, moment


def build_chain(app, count: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        rows, last = [], None
        for event, moment in synthetic_events(count):
            stored = {
                "occurred_at": moment,
                "amounts": canonical_json(event["amounts"]),
                "changes": canonical_json(event["changes"]),
            }
            rows.append({**event, **stored})
            last = event
            if len(rows) == BATCH:
                db.session.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            db.session.execute(insert(AuditEvent), rows)
        assert last is not None
        db.session.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": last["seq"], "h": last["hash"]}
        )
        db.session.commit()


def raw_hash_rate(count: int) -> float:
    """SHA-256 alone over the same canonical bytes, prepared in chunks outside the timing."""
    elapsed, done = 0.0, 0
    chunk: list[bytes] = []
    for event, _ in synthetic_events(count):
        chunk.append(canonical_bytes(event))
        if len(chunk) == BATCH or done + len(chunk) == count:
            started = time.perf_counter()
            for data in chunk:
                hashlib.sha256(data).hexdigest()
            elapsed += time.perf_counter() - started
            done += len(chunk)
            chunk = []
    return done / elapsed


def _peak_rss_kib() -> int:
    """The process's high-water mark of resident memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _verify_in_child(url: str, instance: str, queue) -> None:  # type: ignore[no-untyped-def]
    app = make_app(url, instance)
    with app.app_context():
        from grants.audit.verify import verify_ledger

        db.session.execute(text("SELECT 1"))
        before = _peak_rss_kib()
        started = time.perf_counter()
        report = verify_ledger()
        elapsed = time.perf_counter() - started
        queue.put((report.ok, report.events, elapsed, before, _peak_rss_kib()))


def verify(url: str, instance: str) -> tuple[bool, int, float, int, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_verify_in_child, args=(url, instance, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def transition_medians(url: str, instance: str, repeats: int = 400) -> tuple[float, float]:
    """Median time of one committed transition through the engine, with the ledger append
    switched off and on, alternating so both see the same conditions (PostgreSQL)."""
    from unittest import mock

    import workflows.engine
    from tests.workflows.worlds import build_world, start_history
    from workflows.engine import fire

    def no_ledger(session, **event):  # type: ignore[no-untyped-def]
        return {"seq": 0}

    app = make_app(url, instance)
    without, with_ledger = [], []
    with app.test_request_context():
        world = build_world()
        start_history(world)
        monitoring_return = world.objects["monitoring_return"]
        officer, applicant = world.actors["commissioning_officer"], world.actors["applicant"]
        fire(officer, monitoring_return, "open")
        db.session.commit()
        for index in range(repeats):
            timings = with_ledger if index % 2 else without
            ledger_off = mock.patch.object(workflows.engine, "append_event", no_ledger)
            if timings is without:
                ledger_off.start()
            started = time.perf_counter()
            fire(applicant, monitoring_return, "submit")
            db.session.commit()
            timings.append(time.perf_counter() - started)
            fire(officer, monitoring_return, "send_back", reason="More detail")
            db.session.commit()
            if timings is without:
                ledger_off.stop()
    return statistics.median(without) * 1000, statistics.median(with_ledger) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-ledger-")
    base = args.database_url or f"sqlite:///{instance}/ledger.sqlite"
    small_url = f"sqlite:///{instance}/ledger-small.sqlite" if not args.database_url else None

    print(f"Building a chain of {args.events:,} events in {base.split('@')[-1]} …", flush=True)
    started = time.perf_counter()
    build_chain(make_app(base, instance), args.events)
    print(f"  built in {time.perf_counter() - started:.1f} s")

    raw = raw_hash_rate(args.events)
    ok, events, elapsed, rss_before, rss_peak = verify(base, instance)
    rate = events / elapsed
    print(f"raw SHA-256 over canonical bytes : {raw:12,.0f} events/s")
    print(
        f"flask audit verify (streaming)   : {rate:12,.0f} events/s  (ok={ok}, {events:,} events)"
    )
    print(f"ratio verify / raw               : {rate / raw:12.3f}")
    print(f"verifier peak RSS                : {rss_peak / 1024:9.1f} MiB at {events:,} events "
          f"(before verifying {rss_before / 1024:.1f} MiB)")  # fmt: skip
    if small_url:
        build_chain(make_app(small_url, instance), args.events // 10)
        _, small_events, _, small_before, small_peak = verify(small_url, instance)
        print(
            f"verifier peak RSS                : {small_peak / 1024:9.1f} MiB at "
            f"{small_events:,} events (before verifying {small_before / 1024:.1f} MiB)"
        )
    if args.database_url:
        plain, ledger = transition_medians(args.database_url, instance)
        print(f"median transition, no ledger     : {plain:9.3f} ms")
        print(f"median transition, with ledger   : {ledger:9.3f} ms  (+{ledger - plain:.3f} ms)")


if __name__ == "__main__":
    main()
