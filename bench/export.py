"""Export benchmark: finance's awards export through the app against a direct Core query written
with the csv module, side by side in one run.

    .venv/bin/python bench/export.py [--awards 100000] [--repeats 3] [--database-url URL]

Loads N awards (each with its organisation and programme) into a fresh database: a SQLite file
in a temporary folder, or the empty PostgreSQL database named by --database-url (or by
TEST_POSTGRES_URL when that is set; scripts/test-services.sh starts one). Then, alternating,
each in a fresh subprocess so its peak memory is its own:

- direct CSV: the awards joined to their organisation and programme with SQLAlchemy Core,
  streamed (``yield_per``) and written with ``csv.writer``, as plain as it gets;
- app CSV / app XLSX: GET /finance/exports/awards.<csv|xlsx> with the Flask test client as a
  signed-in finance user, the whole response read (session, user, policy, the count, the
  streamed rows, neutralising, formatting; for XLSX, XlsxWriter in constant-memory mode). The
  streaming limit is lifted for this, since the app runs an export this large as a task;
- task CSV / task XLSX: the same export as the background task the app really runs for it
  (keyset pages, progress committed as it goes, the file stored in the document store);
- 360giving: every award as a published grant (each given a decision record in memory: the
  benchmark's awards have no applications), built into a 360Giving package by the app's own
  code and validated against the official schema offline; it must have no errors. Its time
  is reported beside the others; the memory target is for the CSV and XLSX exports.

It reports the median time of each, rows per second, app / direct (direct time / app time;
target at least 0.5 for CSV), and each subprocess's peak resident memory (ru_maxrss) and its
growth over the process as it was just before exporting (target: peak under 150 MB). The peak
is reset (/proc/self/clear_refs) just before exporting: start-up alone peaks near 140 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from grants import create_app
from grants.extensions import db
from grants.models import (
    Award,
    AwardStatus,
    Organisation,
    OrganisationType,
    Programme,
    ProgrammeKind,
    StaffRole,
    User,
)

BATCH = 10_000
MODES = ("direct-csv", "app-csv", "app-xlsx", "task-csv", "task-xlsx", "360giving")
WORDS = ("Youth", "Boxing", "Community", "Women's", "Rural", "Street", "Family", "Arts")
KINDS = ("Club", "Trust", "Project", "Forum", "Aid", "Watch")


def make_app(url: str, instance: str):  # type: ignore[no-untyped-def]
    return create_app(
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "DOCUMENTS_DIR": os.path.join(instance, "documents"),
        },
        env={"SECRET_KEY": "benchmark-secret-key-long-enough-for-the-app"},
        instance_path=instance,
    )


def _insert(model: type, rows: list[dict]) -> list[int]:  # type: ignore[type-arg]
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        ids += db.session.scalars(insert(model).returning(model.id), chunk).all()  # type: ignore[attr-defined]
    return ids


def load(app, awards: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(2026)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        if db.session.scalar(select(func.count()).select_from(Award)):
            raise SystemExit("the database already holds awards: give an empty one")
        db.session.add(
            User(email="finance@opcc.example.org", full_name="Finn", staff_role=StaffRole.FINANCE)
        )
        programmes = _insert(
            Programme,
            [
                {"name": f"Programme {n}", "slug": f"p{n}", "kind": ProgrammeKind.COMMUNITY_GRANT}
                for n in range(4)
            ],
        )
        organisations = _insert(
            Organisation,
            [
                {
                    "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {n}",
                    "org_type": OrganisationType.COMMUNITY_GROUP,
                }
                for n in range(max(1, awards // 50))
            ],
        )
        statuses = list(AwardStatus)
        start = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
        _insert(
            Award,
            [
                {
                    "reference": f"PF-2526-{n:06d}",
                    "programme_id": programmes[n % len(programmes)],
                    "organisation_id": rng.choice(organisations),
                    "status": statuses[n % len(statuses)],
                    "title": f"{rng.choice(WORDS)} project {n}",
                    "amount_pence": rng.randrange(50_000, 2_500_001, 100),
                    "starts_on": dt.date(2025, 4, 1) + dt.timedelta(days=n % 365),
                    "ends_on": dt.date(2026, 3, 31) + dt.timedelta(days=n % 365),
                    "accepted_at": start + dt.timedelta(minutes=n),
                }
                for n in range(awards)
            ],
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()


# One measurement, in its own process ------------------------------------------------------


def measure(mode: str, url: str, instance: str) -> dict[str, float]:
    app = make_app(url, instance)
    from grants.services import exports

    exports.STREAM_LIMIT = 10**9  # time the streaming path itself on a large export
    with app.app_context():
        finance_id = db.session.scalar(select(User.id).where(User.staff_role.is_not(None)))
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = finance_id
    before = _reset_peak_mb()
    rows = 0
    started = time.perf_counter()
    if mode == "direct-csv":
        statement = (
            select(
                Award.reference,
                Award.title,
                Organisation.name,
                Programme.name,
                Award.status,
                Award.amount_pence,
                Award.clawback_pence,
                Award.starts_on,
                Award.ends_on,
                Award.accepted_at,
            )
            .join(Organisation, Organisation.id == Award.organisation_id)
            .join(Programme, Programme.id == Award.programme_id)
            .order_by(Award.id)
        )
        with open(os.devnull, "w", newline="") as out, engine.connect() as connection:
            writer = csv.writer(out)
            writer.writerow([c.name for c in statement.selected_columns])
            for row in connection.execution_options(yield_per=1_000).execute(statement):
                writer.writerow(row)
                rows += 1
        size = 0
    elif mode.startswith("app-"):
        response = client.get(f"/finance/exports/awards.{mode[4:]}", buffered=False)
        assert response.status_code == 200, response.status_code
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        rows = -1
    elif mode == "360giving":
        with app.app_context():
            rows = _validated_grants(finance_id)
        size = 0
    else:
        from grants.jobs.outbox import dispatch_pending
        from grants.models import BackgroundTask, TaskStage
        from grants.services import tasks

        with app.test_request_context():
            user = db.session.get(User, finance_id)
            task = tasks.start_task(user, f"export.awards.{mode[5:]}")
            dispatch_pending()
            db.session.expire_all()
            done = db.session.get(BackgroundTask, task.id)
            assert done.stage is TaskStage.DONE, done.message
            rows, size = done.done, done.result_size_bytes or 0
    elapsed = time.perf_counter() - started
    peak = _peak_mb()
    return {"seconds": elapsed, "peak_mb": peak, "growth_mb": peak - before, "bytes": size}


def _validated_grants(decider_id: int) -> int:
    """Build and validate the 360Giving package of every award; returns the number of grants."""
    from sqlalchemy.orm import selectinload

    from grants.models import DecisionRecord
    from grants.services import threesixty

    with db.session.no_autoflush:
        awards = db.session.scalars(
            select(Award).options(
                selectinload(Award.organisation),
                selectinload(Award.programme),
                selectinload(Award.payments),
            )
        ).all()
        rows = [
            (
                award,
                DecisionRecord(
                    reference=f"DEC-{award.reference}",
                    decision="approved",
                    title=award.title,
                    summary=f"A grant to {award.organisation.name} for {award.title}",
                    amount_pence=award.amount_pence,
                    decision_maker_id=decider_id,
                    decided_at=award.accepted_at,
                    published=True,
                ),
            )
            for award in awards
        ]
        package = threesixty.build_package(rows)
    errors = threesixty.schema_errors(package)
    if errors:
        raise SystemExit(f"{len(errors)} schema errors, the first: {errors[0]}")
    return len(package["grants"])


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def _reset_peak_mb() -> float:
    """Start the peak (VmHWM) again from the resident size now, which it returns: start-up
    (imports, the app, the first statements) peaks higher than a streamed export should, and
    would hide its growth. Falls back to ru_maxrss where /proc cannot reset it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_mb("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_mb() -> float:
    try:
        return _status_mb("VmHWM")
    except (OSError, LookupError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_subprocess(mode: str, url: str, instance: str) -> dict[str, float]:
    output = subprocess.run(  # noqa: S603 (this script, with arguments it chose)
        [
            sys.executable,
            __file__,
            "--measure",
            mode,
            "--database-url",
            url,
            "--instance",
            instance,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--awards", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="an empty PostgreSQL database (default: TEST_POSTGRES_URL, else SQLite)",
    )
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.database_url, args.instance)))
        return

    instance = tempfile.mkdtemp(prefix="bench-export-")
    url = args.database_url or f"sqlite:///{instance}/export.sqlite"
    where = url.split("@")[-1]
    print(f"Loading {args.awards:,} awards into {where} …", flush=True)
    started = time.perf_counter()
    load(make_app(url, instance), args.awards)
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    print(f"  {args.repeats} runs of each, interleaved, each in a fresh process\n", flush=True)
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for index in range(args.repeats):
        # Rotate the order, so no mode always runs on the warmest cache.
        order = MODES[index % len(MODES) :] + MODES[: index % len(MODES)]
        for mode in order:
            results[mode].append(run_in_subprocess(mode, url, instance))
    direct = statistics.median(r["seconds"] for r in results["direct-csv"])
    print(f"{'':12}{'median':>10}{'rows/s':>10}{'÷ direct':>10}{'peak MB':>10}{'growth MB':>11}")
    for mode in MODES:
        runs = results[mode]
        median = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        growth = max(r["growth_mb"] for r in runs)
        print(
            f"{mode:12}{median:9.2f}s{args.awards / median:10,.0f}{direct / median:10.2f}"
            f"{peak:10.1f}{growth:11.1f}"
        )
    sizes = {m: results[m][-1]["bytes"] for m in MODES if results[m][-1]["bytes"]}
    print("\nfile sizes: " + ", ".join(f"{m} {b / 1e6:.1f} MB" for m, b in sizes.items()))
    print("÷ direct is direct CSV's time over the mode's (target ≥ 0.5 for app CSV)")
    print("360giving: every award built into a 360Giving package and validated, 0 schema errors")


if __name__ == "__main__":
    main()
