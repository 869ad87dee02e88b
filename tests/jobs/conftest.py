"""Tests that need a real Redis run when `make test` provides one (REDIS_URL_TEST); without it
they are deselected and counted as such, never skipped. They touch no database-specific
behaviour, so they run in the SQLite tier only."""

import os

import pytest

from grants.extensions import db
from grants.models import OutboxJob, StaffRole
from tests.conftest import make_staff, sign_in_as
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import APPLICANT, OFFICER
from workflows.engine import fire


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs the real Redis that make test starts")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("REDIS_URL_TEST") and not os.environ.get("TEST_DATABASE_URL"):
        return
    deselected = [item for item in items if item.get_closest_marker("redis")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture
def in_assessment(app):
    """An application in assessment, its organisation's member on the mailing list."""
    with app.test_request_context():
        world = build_world()
        start_history(world)
        application = world.objects["application"]
        application.reference = "PF-2627-0007"
        fire(world.actors[APPLICANT], application, "submit")
        fire(world.actors[OFFICER], application, "start_assessment")
        db.session.commit()
        db.session.query(OutboxJob).delete()  # the submission's own email is not under test
        db.session.commit()
        return {"id": application.id, "member": world.actors[APPLICANT].email}


def officer_client(app):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, make_staff(StaffRole.COMMISSIONING_OFFICER, "asker@opcc.example.org"))
    return client
