"""The award ledger: append-only in the database, hash-chained, checkpointed, reconcilable."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError

from grants.audit import verify as verify_module
from grants.audit.export import export_ledger
from grants.audit.reconcile import reconcile
from grants.audit.verify import take_checkpoint, verify_ledger
from grants.extensions import db
from grants.models import (
    ApplicationStatus,
    AuditEvent,
    AwardStatus,
    OutboxJob,
    ReturnStatus,
)
from tests.ledger_admin import triggers_bypassed
from tests.workflows.worlds import build_world, start_history
from workflows.chain import event_hash
from workflows.declaration import APPLICANT, OFFICER
from workflows.engine import fire
from workflows.errors import ChangedBySomeoneElse, GuardFailed, NotPermitted


def fresh_world_with_history(moves: int = 30):
    """A world whose objects have creation events, then a run of moves on its return."""
    world = build_world()
    start_history(world)
    officer, applicant = world.actors[OFFICER], world.actors[APPLICANT]
    monitoring_return = world.objects["monitoring_return"]
    fire(officer, monitoring_return, "open")
    for _ in range(moves // 2):
        fire(applicant, monitoring_return, "submit")
        fire(officer, monitoring_return, "send_back", reason="Add the case study")
    db.session.commit()
    return world, db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_moves_build_a_chain_that_verifies_and_reconciles(ctx):
    world, count = fresh_world_with_history()
    report = verify_ledger()
    assert report.ok, report.problems
    # The world's creations (at least one per object), the return opened, then 30 moves.
    created = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create")
    )
    assert created >= len(world.objects)
    assert report.events == count == created + 1 + 30
    assert reconcile() == []


def test_database_refuses_to_change_or_delete_events(ctx):
    fresh_world_with_history(4)
    for statement in (
        "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("TRUNCATE audit_events"))
        db.session.rollback()
        # Replica mode skips ordinary triggers, but these are ENABLE ALWAYS.
        db.session.execute(text("SET session_replication_role = replica"))
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        db.session.rollback()
    assert verify_ledger().ok


@pytest.mark.parametrize("seed", range(6))
def test_changing_a_row_is_caught_at_that_row(ctx, seed):
    _, count = fresh_world_with_history()
    position = random.Random(seed).randint(1, count)
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(
            text("UPDATE audit_events SET amounts = :a WHERE seq = :s"),
            {"a": json.dumps({"amount_pence": "99999999"}), "s": position},
        )
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_seq == position


@pytest.mark.parametrize("seed", range(3))
def test_moving_an_events_time_by_a_microsecond_is_caught_at_that_row(ctx, seed):
    """The database formats the time for the verifier's fast path: a change there still counts."""
    _, count = fresh_world_with_history()
    position = random.Random(seed).randint(1, count)
    event = db.session.get(AuditEvent, position)
    moved = event.occurred_at + dt.timedelta(microseconds=1)
    db.session.rollback()
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(
            update(AuditEvent).where(AuditEvent.seq == position).values(occurred_at=moved)
        )
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_seq == position


def test_the_careful_reading_judges_when_the_fast_path_disagrees(ctx, monkeypatch):
    """Whatever the fast path makes of a stored value, an event fails only if its careful,
    column-by-column reading fails too: here the fast path drops the zone from every time."""
    _, count = fresh_world_with_history(10)
    dialect = db.engine.dialect.name
    without_zone = {
        "postgresql": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')""",
        "sqlite": "replace(occurred_at, ' ', 'T')",
    }[dialect]
    monkeypatch.setitem(verify_module._CANONICAL_TIME, dialect, without_zone)
    assert verify_ledger().ok
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(
            text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = :s"), {"s": count - 2}
        )
    report = verify_ledger()
    assert report.first_bad_seq == count - 2
    assert "altered" in report.problems[0]


def test_awkward_text_verifies(ctx):
    """Quotes, backslashes, control characters, non-ASCII and JSON's line separators in what
    people type survive the round trip through the database into the canonical bytes."""
    world = build_world()
    start_history(world)
    officer, applicant = world.actors[OFFICER], world.actors[APPLICANT]
    monitoring_return = world.objects["monitoring_return"]
    fire(officer, monitoring_return, "open")
    fire(applicant, monitoring_return, "submit")
    awkward = 'Say "why" \\ then\ttab\nnew line \u2028 \x7f \x01 café 🚲 \\u0041'
    fire(officer, monitoring_return, "send_back", reason=awkward)
    db.session.commit()
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.reason == awkward))
    report = verify_ledger()
    assert report.ok, report.problems


@pytest.mark.parametrize("seed", range(6))
def test_deleting_a_row_is_caught_at_that_row(ctx, seed):
    _, count = fresh_world_with_history()
    position = random.Random(seed).randint(1, count)
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": position})
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_seq == position


@pytest.mark.parametrize("seed", range(6))
def test_inserting_a_forged_row_is_caught_where_it_was_put(ctx, seed):
    """The forger renumbers the events after the position and links the forgery correctly to
    the event before it; the displaced event, whose hash covers its old number, breaks."""
    _, count = fresh_world_with_history()
    position = random.Random(seed).randint(2, count)
    with db.engine.begin() as connection, triggers_bypassed(connection):
        rows = connection.execute(
            text("SELECT seq FROM audit_events WHERE seq >= :s ORDER BY seq DESC"),
            {"s": position},
        ).all()
        for (seq,) in rows:
            connection.execute(
                text("UPDATE audit_events SET seq = :new WHERE seq = :old"),
                {"new": seq + 1, "old": seq},
            )
        before = connection.execute(
            text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": position - 1}
        ).scalar_one()
        forged = {
            "seq": position, "occurred_at": "2026-01-01T00:00:00.000000Z", "actor_id": 1,
            "actor_role": "finance", "object_type": "payment", "object_id": 1,
            "object_version": 9, "action": "pay", "from_state": "approved", "to_state": "paid",
            "amounts": {"amount_pence": "5000000"}, "changes": {}, "reason": None,
            "prev_hash": before,
        }  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO audit_events (seq, occurred_at, actor_id, actor_role, object_type, "
                "object_id, object_version, action, from_state, to_state, amounts, changes, "
                "reason, prev_hash, hash) VALUES (:seq, :at, 1, 'finance', 'payment', 1, 9, "
                "'pay', 'approved', 'paid', :amounts, '{}', NULL, :prev, :hash)"
            ),
            {
                "seq": position,
                "at": "2026-01-01 00:00:00.000000",
                "amounts": json.dumps(forged["amounts"]),
                "prev": before,
                "hash": event_hash(forged),
            },
        )
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_seq in (position, position + 1)
    assert report.first_bad_seq == position + 1 or "altered" in report.problems[0]


def test_rebuilding_the_whole_chain_is_caught_by_a_signed_checkpoint(ctx):
    _, count = fresh_world_with_history()
    checkpoint = take_checkpoint()
    assert checkpoint is not None and checkpoint.seq == count
    # A database owner replaces the chain with a shorter, internally consistent one.
    keep = count - 5
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(text("DELETE FROM audit_events WHERE seq > :k"), {"k": keep})
        head = connection.execute(
            text("SELECT hash FROM audit_events WHERE seq = :k"), {"k": keep}
        ).scalar_one()
        connection.execute(
            text("UPDATE audit_head SET seq = :k, hash = :h"), {"k": keep, "h": head}
        )
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_seq == checkpoint.seq
    assert "truncated or rebuilt" in " ".join(report.problems)


def test_a_break_before_a_checkpoint_is_reported_once(ctx):
    """Verification stops at the first bad event, so a later checkpoint is not called missing."""
    _, count = fresh_world_with_history()
    take_checkpoint()
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(
            text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = :s"), {"s": count // 2}
        )
    report = verify_ledger()
    assert report.first_bad_seq == count // 2
    assert len(report.problems) == 1 and "altered" in report.problems[0]


def test_a_checkpoint_is_never_overwritten(ctx):
    fresh_world_with_history(4)
    first = take_checkpoint()
    again = take_checkpoint()
    assert again.path == first.path and again.signature == first.signature


def test_reconcile_finds_a_status_changed_behind_the_engine(ctx):
    world, _ = fresh_world_with_history(4)
    application = world.objects["application"]
    application.status = ApplicationStatus.APPROVED  # as a careless script would
    db.session.commit()
    findings = [str(f) for f in reconcile()]
    assert findings == [f"application {application.id}: is approved but its history ends at draft"]


def test_reconcile_finds_an_amount_changed_behind_the_engine(ctx):
    world, _ = fresh_world_with_history(4)
    award = world.objects["award"]
    award.amount_pence += 100
    db.session.commit()
    assert any("amount_pence is" in str(f) for f in reconcile())


def test_refused_move_changes_nothing_and_writes_nothing(ctx):
    world, _ = fresh_world_with_history(4)
    award = world.objects["award"]
    fire(world.actors[APPLICANT], award, "accept", signatory="A. Okafor, treasurer")
    fire(world.actors[OFFICER], award, "activate")
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    jobs = db.session.scalar(select(func.count()).select_from(OutboxJob))
    state, version = award.status, award.version
    with pytest.raises(NotPermitted):
        fire(world.actors[APPLICANT], award, "suspend", reason="x")
    with pytest.raises(GuardFailed, match="Enter why the award is suspended"):
        fire(world.actors[OFFICER], award, "suspend")
    db.session.commit()
    assert (award.status, award.version) == (state, version)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == jobs


def test_a_stale_version_is_changed_by_someone_else(ctx):
    world, _ = fresh_world_with_history(4)
    award = world.objects["award"]
    assert award.status is AwardStatus.OFFERED
    seen = award.version
    fire(world.actors[APPLICANT], award, "accept", signatory="A. Okafor, treasurer")
    db.session.commit()
    with pytest.raises(ChangedBySomeoneElse):
        fire(world.actors[APPLICANT], award, "decline", expected_version=seen, reason="x")


def test_allowed_move_records_its_follow_up_jobs_in_the_same_transaction(ctx):
    world, _ = fresh_world_with_history(4)
    application = world.objects["application"]
    event = fire(world.actors[APPLICANT], application, "submit")
    db.session.commit()
    jobs = db.session.scalars(select(OutboxJob)).all()
    assert [job.job for job in jobs] == ["email.application_submitted"]
    assert jobs[0].dedupe_key.endswith(f":{event['seq']}")


def test_export_is_verified_by_the_standalone_verifier(ctx, tmp_path):
    _, count = fresh_world_with_history()
    take_checkpoint()
    export_ledger(str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "verify_chain.py"), str(tmp_path / "events.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"OK: {count} events")
    assert (tmp_path / "public_key.pem").read_text().startswith("-----BEGIN PUBLIC KEY")
    assert len(list((tmp_path / "checkpoints").glob("*.json"))) == 1

    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    tampered = json.loads(lines[3])
    tampered["reason"] = "edited in the export"
    lines[3] = json.dumps(tampered)
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    broken = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "verify_chain.py"), str(tmp_path / "events.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert broken.returncode == 1 and "BROKEN at event 4" in broken.stdout


def test_returns_lifecycle_reaches_accepted(ctx):
    world, _ = fresh_world_with_history(4)
    monitoring_return = world.objects["monitoring_return"]
    fire(world.actors[APPLICANT], monitoring_return, "submit")
    fire(world.actors[OFFICER], monitoring_return, "accept")
    db.session.commit()
    assert monitoring_return.status is ReturnStatus.ACCEPTED
    assert reconcile() == []


def test_nothing_can_be_added_to_a_closed_award_and_a_refused_creation_leaves_nothing(ctx):
    from grants.models import AwardStatus, Payment
    from workflows.engine import create

    world, count = fresh_world_with_history(4)
    award = world.objects["award"]
    award_id = award.id
    officer = world.actors[OFFICER]
    db.session.execute(text("UPDATE awards SET status = 'closed' WHERE id = :i"), {"i": award_id})
    db.session.commit()
    db.session.expire_all()
    assert award.status is AwardStatus.CLOSED
    payments_before = db.session.scalar(select(func.count()).select_from(Payment))
    with pytest.raises(GuardFailed, match="Nothing can be added to an award that is closed"):
        create(officer, Payment(award=award, financial_year=2026, amount_pence=1, is_final=True))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == payments_before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count


def test_a_refused_creation_by_the_wrong_role_leaves_nothing(ctx):
    from grants.models import Payment
    from workflows.engine import create

    world, count = fresh_world_with_history(4)
    before = db.session.scalar(select(func.count()).select_from(Payment))
    with pytest.raises(NotPermitted):
        create(world.outsider, Payment(award=world.objects["award"], financial_year=2026,
                                       amount_pence=1))  # fmt: skip
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count
