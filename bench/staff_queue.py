"""Queue benchmark: a round's application queue through the app against the same queries run
directly with SQLAlchemy Core, side by side in one run.

    .venv/bin/python bench/staff_queue.py [--applications 100000] [--rounds 20] [--repeats 300]
                                    [--database-url URL]

Loads N applications spread over the rounds (with their priority and place answers, a few
other answers each, and assessors assigned to some) into a fresh database: a SQLite file in a
temporary folder, or the empty PostgreSQL database named by --database-url (or by
TEST_POSTGRES_URL when that is set; scripts/test-services.sh starts one). The data is
synthetic: anti-social behaviour is among the priorities of about 70% of applications,
Leicester among the places of most, and a fifth of those open for assessment have assessors.
Then, for each scenario, it alternates:

- app: GET the queue page with the Flask test client as a signed-in commissioning officer (the
  whole request: session, user, policy, the round and its filter options, the queries,
  the template, saving the session);
- direct: the statements the page runs for its data (the counts per status with the page's
  rows, then the rows' assessors), built by grants.services.queue and executed on a Core
  connection, every row fetched.

It reports the median and 95th percentile of each, and the ratio of throughputs
(app / direct = direct median / app median).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# This file is named like the standard library's queue module (which psycopg imports): put the
# repository, not bench/, first on the path.
sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from grants import create_app
from grants.demo.places import PLACES, PRIORITIES
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    AssessorAssignment,
    Organisation,
    OrganisationType,
    Place,
    Priority,
    Programme,
    ProgrammeKind,
    Round,
    StaffRole,
    User,
)
from grants.services import queue

BATCH = 10_000
NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
S = ApplicationStatus
# A round some weeks after closing: most applications waiting, some decided, a few drafts
# (some of them lapsed) that the queue does not show.
STATUS_WEIGHTS = {
    S.DRAFT: 5,
    S.SUBMITTED: 35,
    S.IN_ASSESSMENT: 30,
    S.INFORMATION_REQUESTED: 5,
    S.APPROVED: 10,
    S.REJECTED: 10,
    S.WITHDRAWN: 3,
    S.LAPSED: 2,
}
LEICESTER = "E06000016"
COMMON_PRIORITY = "asb"  # anti-social behaviour: in most community safety bids
FILLER_ANSWERS = ("project_summary", "need", "outcomes", "safeguarding")
WORDS = (
    "Youth",
    "Boxing",
    "Community",
    "Women's",
    "Rural",
    "Neighbourhood",
    "Street",
    "Family",
    "Sports",
    "Arts",
    "Mentoring",
    "Recovery",
)
KINDS = ("Club", "Trust", "Project", "Forum", "Aid", "Watch", "Pastors", "Partnership")


def make_app(url: str, instance: str):  # type: ignore[no-untyped-def]
    return create_app(
        overrides={"SQLALCHEMY_DATABASE_URI": url},
        env={"SECRET_KEY": "benchmark-secret-key-long-enough-for-the-app"},
        instance_path=instance,
    )


def _insert(model: type, rows: list[dict]) -> list[int]:  # type: ignore[type-arg]
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        ids += db.session.scalars(insert(model).returning(model.id), chunk).all()  # type: ignore[attr-defined]
    return ids


def load(app, applications: int, rounds: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The world, inserted with Core bulk inserts; returns the ids the scenarios need."""
    rng = random.Random(2026)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        if db.session.scalar(select(func.count()).select_from(Application)):
            raise SystemExit("the database already holds applications: give an empty one")
        db.session.add_all(Priority(code=c, name=n) for c, n in PRIORITIES.items())
        db.session.add_all(Place(gss_code=c, name=n) for c, n in PLACES.items())
        programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
        db.session.add(programme)
        db.session.flush()
        round_ids = _insert(
            Round,
            [
                {
                    "programme_id": programme.id,
                    "name": f"Round {n + 1}",
                    "reference_prefix": f"R{n + 1:02d}",
                    "financial_year": 2026,
                    "opens_at": NOW - dt.timedelta(days=60 + n),
                    "closes_at": NOW - dt.timedelta(days=30),
                    "budget_pence": 50_000_000,
                    "min_award_pence": 50_000,
                    "max_award_pence": 2_500_000,
                    "short_form_threshold_pence": 1_000_000,
                    "published_at": NOW - dt.timedelta(days=61 + n),
                }
                for n in range(rounds)
            ],
        )
        applicant = User(email="applicant@example.org", full_name="Applicant")
        officer = User(
            email="officer@opcc.example.org",
            full_name="Olive Officer",
            staff_role=StaffRole.COMMISSIONING_OFFICER,
        )
        assessors = [
            User(
                email=f"assessor{n}@opcc.example.org",
                full_name=f"Assessor {n:02d}",
                staff_role=StaffRole.ASSESSOR,
            )
            for n in range(12)
        ]
        db.session.add_all([applicant, officer, *assessors])
        db.session.flush()
        organisation_ids = _insert(
            Organisation,
            [
                {
                    "name": " ".join(
                        [rng.choice(list(PLACES.values())), rng.choice(WORDS), rng.choice(KINDS)]
                    )
                    + f" {n}",
                    "org_type": OrganisationType.COMMUNITY_GROUP,
                }
                for n in range(max(1, applications // 50))
            ],
        )
        statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        priority_codes = [c for c in PRIORITIES if c != COMMON_PRIORITY]
        place_codes = [c for c in PLACES if c != LEICESTER]
        rows, answers_of = [], []
        for n in range(applications):
            round_number = n % rounds
            status = rng.choices(statuses, weights)[0]
            submitted = status not in (S.DRAFT, S.LAPSED)  # only drafts lapse
            rows.append(
                {
                    "round_id": round_ids[round_number],
                    "organisation_id": rng.choice(organisation_ids),
                    "created_by_id": applicant.id,
                    "status": status,
                    "reference": f"R{round_number + 1:02d}-2627-{n // rounds + 1:05d}"
                    if submitted
                    else None,
                    "project_title": f"{rng.choice(WORDS)} project {n}",
                    "amount_requested_pence": rng.randrange(50_000, 2_500_001, 100),
                    "submitted_at": NOW - dt.timedelta(days=30, minutes=rng.randrange(43_200))
                    if submitted
                    else None,
                }
            )
            priorities = rng.sample(priority_codes, rng.randint(0, 2))
            if rng.random() < 0.7:
                priorities.insert(rng.randint(0, len(priorities)), COMMON_PRIORITY)
            places = rng.sample(place_codes, rng.randint(0, 1))
            if rng.random() < 0.6 or not places:
                places.insert(0, LEICESTER)
            answers_of.append(
                (",".join(priorities or [rng.choice(priority_codes)]), ",".join(places))
            )
        ids = _insert(Application, rows)
        answers = []
        for application_id, (priorities, places) in zip(ids, answers_of, strict=True):
            answers.append(
                {
                    "application_id": application_id,
                    "question_key": "priorities",
                    "value": priorities,
                }
            )
            answers.append(
                {"application_id": application_id, "question_key": "places", "value": places}
            )
            answers += [
                {
                    "application_id": application_id,
                    "question_key": key,
                    "value": "Words an applicant wrote. " * 8,
                }
                for key in FILLER_ANSWERS
            ]
        _insert(ApplicationAnswer, answers)
        assignments = []
        for application_id, row in zip(ids, rows, strict=True):
            # A fifth of the open applications have assessors so far, one or two each.
            if row["status"] in queue.ASSIGNABLE and rng.random() < 0.2:
                for assessor in rng.sample(assessors, rng.randint(1, 2)):
                    assignments.append(
                        {
                            "application_id": application_id,
                            "assessor_id": assessor.id,
                            "assigned_by_id": officer.id,
                            "assigned_at": NOW,
                        }
                    )
        _insert(AssessorAssignment, assignments)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        return {"officer": officer.id, "round": round_ids[rounds // 2]}


SCENARIOS = {
    "filters + sort, page 50": "priority=asb&assessor=none&sort=amount-desc&page=50",
    "more filters + search, page 1": (
        f"priority=asb&place={LEICESTER}&band=over-10000&q=youth&sort=organisation-asc"
    ),
}


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def bench(app, ids: dict[str, int], query: str, repeats: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    url = f"/staff/rounds/{ids['round']}/applications?{query}"
    client = app.test_client()
    with app.test_request_context():
        officer = db.session.get(User, ids["officer"])
        with client.session_transaction() as session:
            session["user_id"] = officer.id
        # The statements exactly as the page builds them, for the same filters and page.
        options = queue.queue_options(ids["round"])
        filters = queue.QueueFilters(
            in_status=None,
            priority=_arg(query, "priority"),
            place=_arg(query, "place"),
            assessor=_arg(query, "assessor"),
            band=_arg(query, "band"),
            search=_arg(query, "q") or "",
            sort=_arg(query, "sort") or queue.DEFAULT_SORT,
        )
        shown = queue.queue_page(officer, options, filters, int(_arg(query, "page") or 1))
        statement = queue.queue_statement(officer, ids["round"], filters, shown.page)
        engine = db.engine

    def through_app() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        response.get_data()

    def direct() -> None:
        with engine.connect() as connection:
            found = connection.execute(statement).all()
            page_ids = [row.id for row in found if row.position is not None]
            connection.execute(queue.assessors_statement(page_ids)).all()

    page = client.get(url).get_data(as_text=True)
    assert "Showing" in page, "the page shows no applications"
    for _ in range(10):  # warm both paths: caches, compiled statements, connections
        through_app()
        direct()
    app_times, direct_times = [], []
    for index in range(repeats):
        # Alternate which goes first, so neither always runs on a warmer cache.
        if index % 2:
            app_times.append(timed(through_app))
            direct_times.append(timed(direct))
        else:
            direct_times.append(timed(direct))
            app_times.append(timed(through_app))
    return {
        "app": app_times,
        "direct": direct_times,
        "total": shown.total,
        "page": shown.page,
        "pages": shown.pages,
        "rows": len(shown.rows),
    }


def _arg(query: str, name: str) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(query).get(name)
    return values[0] if values else None


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="an empty PostgreSQL database (default: TEST_POSTGRES_URL, else SQLite)",
    )
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-queue-")
    url = args.database_url or f"sqlite:///{instance}/queue.sqlite"
    app = make_app(url, instance)
    where = url.split("@")[-1]
    print(
        f"Loading {args.applications:,} applications over {args.rounds} rounds into {where} …",
        flush=True,
    )
    started = time.perf_counter()
    ids = load(app, args.applications, args.rounds)
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        in_round = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.round_id == ids["round"])
        )
    print(f"  the timed round holds {in_round:,} applications (drafts included)")
    print(f"  {args.repeats} repetitions of each, interleaved\n")
    for name, query in SCENARIOS.items():
        result = bench(app, ids, query, args.repeats)
        app_times, direct_times = result["app"], result["direct"]
        app_median, direct_median = statistics.median(app_times), statistics.median(direct_times)
        print(f"{name}: ?{query}")
        print(
            f"  matching {result['total']:,}; page {result['page']} of {result['pages']} "
            f"({result['rows']} rows)"
        )
        print(
            f"  app (test client, whole request) : median {app_median * 1000:7.2f} ms, "
            f"p95 {p95(app_times) * 1000:7.2f} ms, {1 / app_median:7.1f} pages/s"
        )
        print(
            f"  direct (same statements, Core)   : median {direct_median * 1000:7.2f} ms, "
            f"p95 {p95(direct_times) * 1000:7.2f} ms, {1 / direct_median:7.1f} pages/s"
        )
        print(f"  ratio app / direct throughput    : {direct_median / app_median:7.3f}\n")


if __name__ == "__main__":
    main()
