"""A separate process that fires one decision per round, for the race test.

Each round: load the application, wait at the barrier until the other process has loaded it
too, then fire with the version it saw. The result goes back through the pipe.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier


def run(database_url: str, instance_path: str, barrier: Barrier, pipe: Connection) -> None:
    from grants import create_app
    from grants.extensions import db
    from grants.models import Application, User
    from workflows.engine import fire
    from workflows.errors import ChangedBySomeoneElse, WorkflowError

    app = create_app(
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True},
        env={"SECRET_KEY": "race-worker-secret-key-long-enough-for-tests"},
        instance_path=instance_path,
    )
    with app.app_context():
        while True:
            order = pipe.recv()
            if order is None:
                return
            application_id, actor_id, trigger, payload = order
            actor = db.session.get(User, actor_id)
            application = db.session.get(Application, application_id)
            seen = application.version
            barrier.wait(timeout=30)
            try:
                fire(actor, application, trigger, expected_version=seen, **payload)
                db.session.commit()
                pipe.send("won")
            except ChangedBySomeoneElse:
                db.session.rollback()
                pipe.send("changed by someone else")
            except WorkflowError as refusal:
                db.session.rollback()
                pipe.send(f"refused: {refusal.message}")
            finally:
                db.session.remove()
