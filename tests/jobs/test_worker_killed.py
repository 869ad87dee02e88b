"""A worker killed in the middle of a job: the job is not lost, and its effect (an email) happens
once. A run claims its job before the work; a claim older than its lease (CLAIM_LEASE) was left
by a run that died, and the next dispatch (`flask jobs dispatch`, the periodic job, or the next
change) sends the job again. Until then, nothing runs it twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from grants.extensions import db
from grants.jobs.outbox import QUEUE, dispatch_pending
from grants.jobs.registry import CLAIM_LEASE, run_outbox_job
from grants.jobs.worker import run_periodic
from grants.models import OutboxJob, utcnow
from tests.integration.test_staff_moves import move, version_of
from tests.jobs.conftest import officer_client

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL_TEST", "")
DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there
QUESTION = "Who will run the sessions?"
SUBJECT = "We need more information about PF-2627-0007"


def ask(app, application_id: int) -> None:
    response = move(officer_client(app), application_id, "request_information",
                    version_of(app, application_id), reason=QUESTION)  # fmt: skip
    assert response.status_code == 302


def the_job(app) -> OutboxJob:
    with app.app_context():
        job = db.session.scalar(select(OutboxJob))
        db.session.expunge(job)
        return job


def time_passes_for_the_claim(app, job_id: int, by: dt.timedelta) -> None:
    """Make the job's claim older, as if ``by`` had passed since it was taken."""
    with app.app_context():
        claimed_at = db.session.get(OutboxJob, job_id).claimed_at
        db.session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id).values(claimed_at=claimed_at - by)
        )
        db.session.commit()


def dispatch(app) -> str:
    return app.test_cli_runner().invoke(args=["jobs", "dispatch"]).output


# Without a real worker: a claim a dead run left behind, as the database holds it.


def leave_a_dead_runs_claim(app, in_assessment, monkeypatch) -> int:
    monkeypatch.setitem(app.config, "REDIS_URL", DEAD_REDIS)  # the job waits in the outbox
    ask(app, in_assessment["id"])
    with app.app_context():
        job_id = db.session.scalar(select(OutboxJob.id))
        now = utcnow()
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id)
            .values(dispatched_at=now, claimed_at=now, attempts=1)
        )
        db.session.commit()
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # jobs run here from now on
    return job_id


def test_a_claim_within_its_lease_is_left_alone(app, in_assessment, outbox, monkeypatch):
    job_id = leave_a_dead_runs_claim(app, in_assessment, monkeypatch)
    time_passes_for_the_claim(app, job_id, CLAIM_LEASE - dt.timedelta(minutes=1))
    assert "Dispatched 0 jobs" in dispatch(app)  # the run might still be working
    with app.test_request_context():
        assert run_outbox_job(job_id) is False  # and a second delivery does nothing
    assert outbox == []


def test_a_claim_older_than_its_lease_is_released_and_the_job_runs_once(
    app, in_assessment, outbox, monkeypatch
):
    job_id = leave_a_dead_runs_claim(app, in_assessment, monkeypatch)
    time_passes_for_the_claim(app, job_id, CLAIM_LEASE + dt.timedelta(minutes=1))
    assert "Dispatched 1 jobs" in dispatch(app)
    [message] = outbox
    assert message.subject == SUBJECT and QUESTION in message.body
    job = the_job(app)
    assert job.completed_at is not None and job.attempts == 2

    assert "Dispatched 0 jobs" in dispatch(app)
    with app.test_request_context():
        assert run_outbox_job(job_id) is False
    assert len(outbox) == 1


def test_the_periodic_job_sends_again_what_a_dead_run_left(app, in_assessment, outbox, monkeypatch):
    job_id = leave_a_dead_runs_claim(app, in_assessment, monkeypatch)
    time_passes_for_the_claim(app, job_id, CLAIM_LEASE + dt.timedelta(minutes=1))
    with app.test_request_context():
        summary = run_periodic()
    assert "1 jobs whose run died sent again; 1 jobs dispatched" in summary
    assert [message.subject for message in outbox] == [SUBJECT]


def test_a_late_delivery_takes_over_a_claim_older_than_its_lease(
    app, in_assessment, outbox, monkeypatch
):
    job_id = leave_a_dead_runs_claim(app, in_assessment, monkeypatch)
    time_passes_for_the_claim(app, job_id, CLAIM_LEASE + dt.timedelta(minutes=1))
    with app.test_request_context():
        assert run_outbox_job(job_id) is True  # e.g. RQ retrying the dead run's job
        assert run_outbox_job(job_id) is False
    assert len(outbox) == 1


# With a real `flask worker` (an RQ worker with its scheduler) killed while it sends the email.


class HoldingMailServer:
    """An SMTP server that accepts mail, except that it keeps the first sender waiting in the
    middle of its message (after the recipient) until let go: a handler caught mid-send."""

    def __init__(self) -> None:
        self.delivered: list[email.message.EmailMessage] = []
        self.sending = threading.Event()
        self.let_go = threading.Event()
        self._held = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self._held:
            self._held = True
            self.sending.set()
            while not self.let_go.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.delivered.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = HoldingMailServer()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    sink.let_go.set()
    controller.stop()


@pytest.fixture
def queue():
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield Queue(QUEUE, connection=connection)
    connection.flushdb()
    connection.close()


class WorkerProcess:
    """`flask worker` as deployed (Procfile), on this test run's database, Redis and mail."""

    def __init__(self, app, mail_port: int, folder: Path, *extra: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": REDIS_URL,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "SERVER_NAME": "localhost",
            "SECRET_KEY": "worker-test-secret-key-that-is-long-enough",
            "GRANTS_INSTANCE_PATH": str(folder / "instance"),
        }
        self.log = folder / f"worker-{time.monotonic_ns()}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "grants:create_app", "worker", *extra],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: signalled only by this test
            )  # fmt: skip

    def horse(self) -> int:
        """The forked work horse running the job (RQ puts it in a process group of its own)."""
        pid = self.process.pid
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in children.read_text().split():
                stat = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[2]) == int(child):  # process group == itself: the horse
                    return int(child)
        raise AssertionError(f"no work horse under the worker; its log:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait(self, seconds: float) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the worker did not finish; its log:\n{self.output()}") from None

    def kill(self) -> None:
        """Everything in the worker's own process group (it and RQ's scheduler)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # RQ's warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers():
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.mark.redis
@pytest.mark.parametrize("killed", ["the whole worker", "its work horse only"])
def test_a_worker_killed_mid_send_loses_nothing_and_the_email_goes_once(
    app, in_assessment, queue, mail_server, workers, tmp_path, monkeypatch, killed
):
    sink, mail_port = mail_server
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    ask(app, in_assessment["id"])
    job_id = the_job(app).id
    assert queue.job_ids == [f"outbox-{job_id}"]

    worker = WorkerProcess(app, mail_port, tmp_path)
    workers.append(worker)
    assert sink.sending.wait(timeout=60), f"the job never started:\n{worker.output()}"
    horse = worker.horse()
    os.kill(horse, signal.SIGKILL)  # the run dies in the middle of sending the email
    if killed == "the whole worker":
        worker.kill()  # and the machine with it: nothing is left to notice
    sink.let_go.set()

    job = the_job(app)
    assert job.claimed_at is not None and job.completed_at is None
    assert sink.delivered == []
    # RQ may deliver the job again (a live worker retries a dead horse's job), but while the
    # claim's lease runs nothing sends it twice, and a dispatch leaves it alone.
    assert "Dispatched 0 jobs" in dispatch(app)

    time_passes_for_the_claim(app, job_id, CLAIM_LEASE + dt.timedelta(seconds=1))
    assert "Dispatched 1 jobs" in dispatch(app)
    if killed == "the whole worker":
        assert f"outbox-{job_id}-1" in queue.job_ids  # sent again, under an id of its own
        replacement = WorkerProcess(app, mail_port, tmp_path, "--burst")
        workers.append(replacement)
        assert replacement.wait(60) == 0, replacement.output()
    else:
        deadline = time.monotonic() + 60  # the surviving worker picks it up
        while not sink.delivered and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.stop()

    [message] = sink.delivered
    assert message["Subject"] == SUBJECT and message["To"] == in_assessment["member"]
    assert QUESTION in message.get_body(("plain",)).get_content()
    job = the_job(app)
    assert job.completed_at is not None and job.attempts == 2
    with app.test_request_context():
        assert run_outbox_job(job_id) is False  # any later delivery of the dead run's job
        assert dispatch_pending() == 0
    assert len(sink.delivered) == 1
