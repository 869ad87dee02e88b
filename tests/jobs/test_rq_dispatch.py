"""With Redis, jobs go to RQ after commit; a worker runs them; a Redis outage delays them only."""

from __future__ import annotations

import os

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.outbox import QUEUE
from grants.models import OutboxJob
from tests.integration.test_staff_moves import move, version_of
from tests.jobs.conftest import officer_client

pytestmark = pytest.mark.redis
REDIS_URL = os.environ.get("REDIS_URL_TEST", "")
DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there


@pytest.fixture
def queue():
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield Queue(QUEUE, connection=connection)
    connection.flushdb()
    connection.close()


def work(app, queue) -> None:
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def ask(app, application_id, question):
    client = officer_client(app)
    return move(client, application_id, "request_information",
                version_of(app, application_id), reason=question)  # fmt: skip


def test_jobs_go_to_rq_and_a_worker_sends_the_email_once(
    app, in_assessment, outbox, queue, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    assert ask(app, in_assessment["id"], "Who will run the sessions?").status_code == 302
    assert outbox == [] and queue.count == 1  # nothing ran in the web process
    work(app, queue)
    assert len(outbox) == 1 and "Who will run the sessions?" in outbox[0].body

    # RQ is at-least-once: the same job delivered again sends nothing more.
    with app.test_request_context():
        job_id = db.session.scalar(select(OutboxJob.id))
    queue.enqueue("grants.jobs.worker.run_job", job_id, job_id=f"outbox-{job_id}-again")
    work(app, queue)
    assert len(outbox) == 1


def test_a_redis_outage_delays_the_email_but_loses_nothing(
    app, in_assessment, outbox, queue, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", DEAD_REDIS)
    response = ask(app, in_assessment["id"], "Can you share last year's accounts?")
    assert response.status_code == 302  # the officer's change stands
    with app.test_request_context():
        job = db.session.scalar(select(OutboxJob))
        assert job.dispatched_at is None  # still waiting in the outbox
    assert outbox == []

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)  # Redis is back
    result = app.test_cli_runner().invoke(args=["jobs", "dispatch"])
    assert "Dispatched 1 jobs" in result.output
    work(app, queue)
    assert len(outbox) == 1 and "last year's accounts" in outbox[0].body


def test_the_periodic_job_is_scheduled_and_moves_things_on(app, queue, outbox):
    import datetime as dt

    from grants.cli.jobs import periodic_scheduler
    from grants.models import AwardStatus, utcnow
    from tests.workflows.worlds import build_world, start_history

    with app.test_request_context():
        world = build_world()
        start_history(world)
        award = world.objects["award"]
        award.offer_expires_at = utcnow() - dt.timedelta(hours=1)
        db.session.commit()
        award_id = award.id

    scheduler = periodic_scheduler(queue.connection)
    enqueued = scheduler.enqueue_jobs()
    assert [job.name for job in enqueued] == ["periodic"] and queue.count == 1
    work(app, queue)
    with app.app_context():
        from grants.models import Award

        assert db.session.get(Award, award_id).status is AwardStatus.LAPSED
