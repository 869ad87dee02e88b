"""Follow-up jobs run after the change commits, at most once, and survive a Redis outage."""

from __future__ import annotations

from sqlalchemy import select

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.jobs.registry import HANDLERS, run_outbox_job
from grants.models import OutboxJob
from tests.integration.test_staff_moves import move, version_of
from tests.jobs.conftest import officer_client


def test_the_question_is_emailed_after_the_move_commits(app, in_assessment, outbox):
    client = officer_client(app)
    response = move(
        client,
        in_assessment["id"],
        "request_information",
        version_of(app, in_assessment["id"]),
        reason="Please send your safeguarding policy",
    )
    assert response.status_code == 302
    [message] = outbox
    assert message.to == [in_assessment["member"]]
    assert "We need more information about PF-2627-0007" in message.subject
    assert "Please send your safeguarding policy" in message.body
    with app.app_context():
        job = db.session.scalar(select(OutboxJob))
        assert job.dispatched_at is not None and job.completed_at is not None


def test_a_job_run_twice_sends_once(app, in_assessment, outbox):
    client = officer_client(app)
    move(client, in_assessment["id"], "request_information", version_of(app, in_assessment["id"]),
         reason="When does the project start?")  # fmt: skip
    with app.test_request_context():
        job_id = db.session.scalar(select(OutboxJob.id))
        assert run_outbox_job(job_id) is False  # already done by the first run
    assert len(outbox) == 1


def test_a_failing_job_is_released_for_a_retry(app, in_assessment, outbox, monkeypatch):
    calls = []

    def flaky(payload):
        calls.append(payload)
        if len(calls) == 1:
            raise ConnectionError("mail server down")

    monkeypatch.setitem(HANDLERS, "email.information_requested", flaky)
    client = officer_client(app)
    response = move(client, in_assessment["id"], "request_information",
                    version_of(app, in_assessment["id"]), reason="Budget detail?")  # fmt: skip
    assert response.status_code == 302  # the user's change stands
    with app.test_request_context():
        job = db.session.scalar(select(OutboxJob))
        assert job.completed_at is None and job.dispatched_at is None
        assert dispatch_pending() == 1
        db.session.refresh(job)
        assert job.completed_at is not None
    assert len(calls) == 2
