"""Background tasks run after the request that started them, record progress and their file,
and a failure is recorded for the person waiting instead of being retried."""

from __future__ import annotations

import pytest

from grants.extensions import db
from grants.jobs import tasks as runner
from grants.jobs.outbox import dispatch_pending
from grants.models import BackgroundTask, StaffRole, TaskStage
from grants.services import tasks
from grants.services.errors import NotFound
from tests.conftest import make_staff


@pytest.fixture
def kinds():
    @runner.task_kind("test.numbers")
    def numbers(task: BackgroundTask) -> str:
        count = runner.parameters(task)["count"]
        with runner.result_file(task, "numbers.txt", "text/plain") as out:
            for number in range(count):
                out.write(f"{number}\n".encode())
                runner.progress(task, number + 1, count)
        return f"{count} numbers written"

    @runner.task_kind("test.broken")
    def broken(task: BackgroundTask) -> str:
        raise ValueError("the figures do not add up")

    yield
    del runner.TASK_KINDS["test.numbers"], runner.TASK_KINDS["test.broken"]


def test_a_task_runs_after_commit_and_keeps_its_file(app, kinds):
    with app.test_request_context():
        finance = make_staff(StaffRole.FINANCE)
        task = tasks.start_task(finance, "test.numbers", count=1200)
        assert task.stage is TaskStage.QUEUED and task.percent == 0
        dispatch_pending()
        db.session.expire_all()
        done = tasks.task_for(finance, task.id)
        assert (done.stage, done.done, done.total, done.percent) == (
            TaskStage.DONE,
            1200,
            1200,
            100,
        )
        assert done.message == "1200 numbers written"
        assert done.result_filename == "numbers.txt"
        with tasks.open_result(done) as stored:
            data = stored.read()
        assert data.splitlines()[-1] == b"1199" and done.result_size_bytes == len(data)


def test_a_failing_task_is_recorded_not_retried(app, kinds):
    with app.test_request_context():
        finance = make_staff(StaffRole.FINANCE)
        task = tasks.start_task(finance, "test.broken")
        dispatch_pending()
        db.session.expire_all()
        failed = tasks.task_for(finance, task.id)
        assert failed.stage is TaskStage.FAILED
        assert "the figures do not add up" in failed.message
        assert dispatch_pending() == 0  # the job is done: nothing is sent again


def test_a_task_is_only_visible_to_whoever_asked(app, kinds):
    with app.test_request_context():
        finance = make_staff(StaffRole.FINANCE)
        other = make_staff(StaffRole.FINANCE, "other.finance@opcc.example.org")
        task = tasks.start_task(finance, "test.numbers", count=1)
        with pytest.raises(NotFound):
            tasks.task_for(other, task.id)
        assert tasks.recent_tasks(other, ("test.numbers",)) == []
        assert [t.id for t in tasks.recent_tasks(finance, ("test.numbers",))] == [task.id]


def test_an_unknown_kind_fails_with_a_message(app):
    with app.test_request_context():
        finance = make_staff(StaffRole.FINANCE)
        task = tasks.start_task(finance, "no.such.kind")
        dispatch_pending()
        db.session.expire_all()
        assert tasks.task_for(finance, task.id).stage is TaskStage.FAILED
