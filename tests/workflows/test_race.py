"""Two processes decide the same application at the same moment, 200 times, on PostgreSQL:
exactly one decision wins each time, the other is told someone else changed it, nothing is
decided twice, and the ledger stays one gapless chain."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from grants.audit.verify import verify_ledger
from grants.extensions import db
from grants.models import Application, ApplicationStatus, AuditEvent, StaffRole
from tests.conftest import complete_application, declare_no_interest, make_staff
from tests.workflows import race_worker
from tests.workflows.worlds import build_world, start_history
from workflows.declaration import APPLICANT, ASSESSOR, OFFICER
from workflows.engine import create, fire

ROUNDS = 200
pytestmark = pytest.mark.postgres


def test_conflicting_decisions_race(app, tmp_path):
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    workers, pipes = [], []
    for _ in range(2):
        ours, theirs = spawn.Pipe()
        process = spawn.Process(
            target=race_worker.run,
            args=(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path), barrier, theirs),
        )
        process.start()
        workers.append(process)
        pipes.append(ours)
    try:
        with app.test_request_context():
            world = build_world()
            start_history(world)
            decider = make_staff(StaffRole.DECISION_MAKER, "second.decider@opcc.example.org")
            officer, applicant = world.actors[OFFICER], world.actors[APPLICANT]
            template = world.objects["application"]
            # Room for every approval, so only the race decides each round, never the budget
            # (which approvals used up would otherwise refuse part way through).
            template.round.budget_pence = ROUNDS * 800_000
            outcomes = []
            for round_number in range(ROUNDS):
                application = Application(
                    round=template.round,
                    organisation=template.organisation,
                    created_by_id=applicant.id,
                    project_title=f"Race {round_number}",
                    amount_requested_pence=900_000,
                )
                create(applicant, application)
                complete_application(application, applicant.id)
                fire(applicant, application, "submit")
                fire(officer, application, "start_assessment")
                # Recommended by someone else, with both deciders' declarations made, so only
                # the race decides which decision stands.
                application.recommendation = "approve"
                application.recommended_by_id = world.actors[ASSESSOR].id
                for decider_id in (decider.id, officer.id):
                    declare_no_interest(decider_id, application)
                db.session.commit()
                pipes[0].send((application.id, decider.id, "approve", {"amount_pence": 800_000}))
                pipes[1].send((application.id, officer.id, "reject", {"reason": "Not eligible"}))
                results = sorted(pipe.recv() for pipe in pipes)
                outcomes.append(results)
                db.session.expire_all()
                decisions = db.session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(
                        AuditEvent.object_type == "application",
                        AuditEvent.object_id == application.id,
                        AuditEvent.action.in_(["approve", "reject"]),
                    )
                )
                assert results == ["changed by someone else", "won"], (round_number, results)
                assert decisions == 1
                assert db.session.get(Application, application.id).status in {
                    ApplicationStatus.APPROVED,
                    ApplicationStatus.REJECTED,
                }
            report = verify_ledger()
            assert report.ok, report.problems
            assert len(outcomes) == ROUNDS
    finally:
        for pipe in pipes:
            pipe.send(None)
        for process in workers:
            process.join(timeout=30)
