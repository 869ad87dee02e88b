"""Finance's audit pages: verify, reconcile and the auditor's export run as background tasks on a
real ledger; a tampered ledger shows its first bad event, a record changed behind the engine
shows as a difference, and the export's own verifier passes the exported chain. Only finance
reaches the pages, and only whoever built an export downloads it."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from grants.audit.verify import take_checkpoint
from grants.extensions import db
from grants.jobs import audit_tasks
from grants.models import (
    ApplicationStatus,
    AuditEvent,
    AuditHead,
    BackgroundTask,
    StaffRole,
    TaskStage,
    User,
)
from grants.services import audit_runs, tasks
from tests.conftest import csrf_token, make_member, make_organisation, make_staff, sign_in_as
from tests.ledger_admin import triggers_bypassed
from tests.workflows.worlds import World, build_world, start_history
from workflows.declaration import APPLICANT, OFFICER
from workflows.engine import fire

AUDIT = "/finance/audit"


@pytest.fixture
def world(ctx) -> World:
    """Every lifecycle's objects with their creation events, then a return sent back and forth
    a few times: a small ledger whose chain and records agree."""
    world = build_world()
    start_history(world)
    officer, applicant = world.actors[OFFICER], world.actors[APPLICANT]
    monitoring_return = world.objects["monitoring_return"]
    fire(officer, monitoring_return, "open")
    for _ in range(3):
        fire(applicant, monitoring_return, "submit")
        fire(officer, monitoring_return, "send_back", reason="Add the case study")
    db.session.commit()
    return world


def staff_user(role: StaffRole) -> User:
    """The world's staff member in this role (build_world makes one of each)."""
    user = db.session.scalar(select(User).where(User.staff_role == role).order_by(User.id).limit(1))
    assert user is not None
    return user


def client_for(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


@pytest.fixture
def finance(app: Flask, world: World) -> FlaskClient:
    return client_for(app, staff_user(StaffRole.FINANCE))


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def start(client: FlaskClient, run: str) -> int:
    """Press the page's button; the task runs after the request, as it does without Redis."""
    token = csrf_token(client, AUDIT)
    response = client.post(f"{AUDIT}/{run}", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/finance/audit/tasks/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    db.session.expire_all()
    return int(match.group(1))


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def result_of(html: str) -> str:
    match = re.search(r'<div id="result">(.*?)<h2 class="govuk-heading-m" id="ledger">', html, re.S)
    assert match, "no result on the page"
    return " ".join(match.group(1).split())


def task(task_id: int) -> BackgroundTask:
    db.session.expire_all()
    found = db.session.get(BackgroundTask, task_id)
    assert found is not None
    return found


# Verify ------------------------------------------------------------------------------------


def test_verify_reports_ok_with_the_counts_and_the_signed_checkpoint(finance, world):
    checkpoint = take_checkpoint()
    assert checkpoint is not None
    count = event_count()
    task_id = start(finance, "verify")

    finished = task(task_id)
    assert (finished.kind, finished.stage) == ("audit.verify", TaskStage.DONE)
    assert (finished.done, finished.total) == (count, count)
    html = page(finance, f"{AUDIT}/tasks/{task_id}")
    assert "Sound" in html
    assert result_of(html) == (
        f'<p class="govuk-body govuk-!-font-weight-bold">No problems found.</p> '
        f'<p class="govuk-body govuk-!-text-break-word">OK: {count} events, head {count} '
        f"{checkpoint.hash}; 1 signed checkpoint agrees.</p> </div>"
    )
    assert checkpoint.hash in html  # the checkpoint it was judged against is shown with it


def test_the_audit_page_shows_the_head_the_latest_checkpoint_and_the_latest_runs(
    app, finance, world
):
    take_checkpoint()
    fire(world.actors[APPLICANT], world.objects["monitoring_return"], "submit")
    db.session.commit()
    latest = take_checkpoint()
    head = db.session.get(AuditHead, 1)
    key = serialization.load_pem_private_key(
        Path(app.config["AUDIT_SIGNING_KEY_FILE"]).read_bytes(), password=None
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    html = page(finance, AUDIT)
    assert "Not run yet" in html
    head_list = re.search(r'id="ledger-head".*?</dl>', html, re.S).group(0)
    assert f">\n      {head.seq}\n" in head_list and head.hash in head_list
    checkpoint = re.search(r'id="latest-checkpoint".*?</dl>', html, re.S).group(0)
    assert f">\n      {latest.seq}\n" in checkpoint and latest.hash in checkpoint
    assert hashlib.sha256(der).hexdigest() in checkpoint
    assert "Valid" in checkpoint and "Not valid" not in checkpoint
    assert ">\n      2\n" in checkpoint  # two checkpoints held

    start(finance, "verify")
    start(finance, "reconcile")
    html = page(finance, AUDIT)
    verify_row = re.search(r'id="latest-verify".*?</tr>', html, re.S).group(0)
    assert "Sound" in verify_row and f"OK: {head.seq} events" in verify_row
    assert "Finance" in verify_row  # who ran it
    reconcile_row = re.search(r'id="latest-reconcile".*?</tr>', html, re.S).group(0)
    assert "OK: every object agrees with its history." in reconcile_row


def test_a_page_without_any_checkpoint_says_so_and_creates_no_signing_key(
    app, finance, world, tmp_path, monkeypatch
):
    key_file = tmp_path / "signing-key.pem"
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY_FILE", str(key_file))
    html = page(finance, AUDIT)
    assert "No checkpoint has been signed yet." in html
    assert not key_file.exists()  # looking never makes a key: only signing does


def test_a_checkpoint_whose_signature_does_not_match_is_shown_as_not_valid(app, finance, world):
    checkpoint = take_checkpoint()
    record = json.loads(checkpoint.path.read_text())
    record["hash"] = "f" * 64  # an edit to the file, the signature left as it was
    checkpoint.path.write_text(json.dumps(record))
    html = page(finance, AUDIT)
    assert "Not valid" in re.search(r'id="latest-checkpoint".*?</dl>', html, re.S).group(0)


@pytest.mark.parametrize("position", [1, 5, 12])
def test_verify_on_a_tampered_ledger_shows_the_first_bad_event(finance, world, position):
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(
            text("UPDATE audit_events SET amounts = :a WHERE seq = :s"),
            {"a": json.dumps({"amount_pence": "99999999"}), "s": position},
        )
    task_id = start(finance, "verify")
    html = page(finance, f"{AUDIT}/tasks/{task_id}")
    result = result_of(html)
    assert f"BROKEN: the first bad event is number {position}." in result
    assert "Problems found" in html
    overview = page(finance, AUDIT)
    assert f"the first bad event is number {position}" in overview


def test_verify_catches_a_chain_rebuilt_shorter_than_its_checkpoint(finance, world):
    checkpoint = take_checkpoint()
    keep = checkpoint.seq - 3
    with db.engine.begin() as connection, triggers_bypassed(connection):
        connection.execute(text("DELETE FROM audit_events WHERE seq > :k"), {"k": keep})
        head = connection.execute(
            text("SELECT hash FROM audit_events WHERE seq = :k"), {"k": keep}
        ).scalar_one()
        connection.execute(
            text("UPDATE audit_head SET seq = :k, hash = :h"), {"k": keep, "h": head}
        )
    result = result_of(page(finance, f"{AUDIT}/tasks/{start(finance, 'verify')}"))
    assert f"the first bad event is number {checkpoint.seq}." in result
    assert "truncated or rebuilt" in result


# Reconcile ---------------------------------------------------------------------------------


def test_reconcile_on_a_sound_ledger_finds_nothing(finance, world):
    result = result_of(page(finance, f"{AUDIT}/tasks/{start(finance, 'reconcile')}"))
    assert "OK: every object agrees with its history." in result


def test_reconcile_lists_every_difference(finance, world):
    application, award = world.objects["application"], world.objects["award"]
    application.status = ApplicationStatus.APPROVED  # as a careless script would
    award.amount_pence += 100
    db.session.commit()
    task_id = start(finance, "reconcile")
    html = page(finance, f"{AUDIT}/tasks/{task_id}")
    differences = re.findall(
        r"<li>(.*?)</li>", re.search(r'id="differences".*?</ul>', html, re.S)[0]
    )
    assert differences == [
        f"application {application.id}: is approved but its history ends at draft",
        f"award {award.id}: amount_pence is {award.amount_pence} but the ledger last recorded "
        f"{award.amount_pence - 100}",
    ]
    assert "2 differences between the ledger and the records:" in result_of(html)


# The auditor's export ----------------------------------------------------------------------


def test_the_export_is_a_zip_whose_own_verifier_passes_the_exported_chain(
    app, finance, world, tmp_path
):
    take_checkpoint()
    count = event_count()
    task_id = start(finance, "export")
    html = page(finance, f"{AUDIT}/tasks/{task_id}")
    assert f"Exported {count} events and 1 signed checkpoint." in result_of(html)
    assert f'href="{AUDIT}/tasks/{task_id}/download"' in html

    response = finance.get(f"{AUDIT}/tasks/{task_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    (folder,) = {name.split("/")[0] for name in names}
    assert f"{folder}.zip" == task(task_id).result_filename
    assert {name.split("/", 1)[1] for name in names} >= {
        "events.jsonl",
        "verify_chain.py",
        "public_key.pem",
        "README.txt",
        "MANIFEST.sha256",
    }
    assert len([n for n in names if "/checkpoints/checkpoint-" in n]) == 1

    archive.extractall(tmp_path)
    exported = tmp_path / folder
    run = subprocess.run(
        [sys.executable, "-I", "verify_chain.py", "events.jsonl"],
        cwd=exported,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"OK: {count} events")
    for line in (exported / "MANIFEST.sha256").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == digest


def test_only_whoever_built_the_export_sees_it_or_downloads_it(app, finance, world):
    task_id = start(finance, "export")
    colleague = client_for(app, make_staff(StaffRole.FINANCE, "second.finance@opcc.example.org"))
    assert colleague.get(f"{AUDIT}/tasks/{task_id}/download").status_code == 404
    assert colleague.get(f"{AUDIT}/tasks/{task_id}").status_code == 404
    assert "my-exports" not in page(colleague, AUDIT)
    assert "my-exports" in page(finance, AUDIT)


def test_a_colleague_sees_a_verify_run_but_there_is_nothing_to_download(app, finance, world):
    task_id = start(finance, "verify")
    colleague = client_for(app, make_staff(StaffRole.FINANCE, "second.finance@opcc.example.org"))
    assert "OK:" in result_of(page(colleague, f"{AUDIT}/tasks/{task_id}"))
    assert finance.get(f"{AUDIT}/tasks/{task_id}/download").status_code == 404


def test_unknown_and_other_tasks_are_not_found(app, finance, world):
    other = tasks.start_task(staff_user(StaffRole.FINANCE), "export.awards.csv")
    for url in (
        f"{AUDIT}/tasks/999999",
        f"{AUDIT}/tasks/999999/download",
        f"{AUDIT}/tasks/{other.id}",  # a task, but not an audit run
        f"{AUDIT}/tasks/{other.id}/download",
    ):
        assert finance.get(url).status_code == 404, url


def test_a_run_that_fails_says_so(finance, world, monkeypatch):
    def broken():
        raise OSError("the checkpoint store cannot be read")

    monkeypatch.setattr(audit_tasks, "verify_ledger", broken)
    task_id = start(finance, "verify")
    assert task(task_id).stage is TaskStage.FAILED
    html = page(finance, f"{AUDIT}/tasks/{task_id}")
    assert "The run did not finish" in html
    assert "the checkpoint store cannot be read" in html
    assert "Did not finish" in page(finance, AUDIT)


# Starting runs -----------------------------------------------------------------------------


def test_a_second_press_while_a_run_is_under_way_joins_it(world):
    finance = staff_user(StaffRole.FINANCE)
    colleague = make_staff(StaffRole.FINANCE, "second.finance@opcc.example.org")
    first = audit_runs.start(finance, audit_runs.VERIFY)  # queued: not dispatched yet
    assert audit_runs.start(colleague, audit_runs.VERIFY).id == first.id
    assert audit_runs.start(finance, audit_runs.RECONCILE).id != first.id
    # An export is the requester's own: a colleague's press starts their own.
    export = audit_runs.start(finance, audit_runs.EXPORT)
    assert audit_runs.start(finance, audit_runs.EXPORT).id == export.id
    assert audit_runs.start(colleague, audit_runs.EXPORT).id != export.id
    first.stage = TaskStage.DONE
    db.session.commit()
    assert audit_runs.start(finance, audit_runs.VERIFY).id != first.id


def test_a_press_without_the_csrf_token_starts_nothing(finance, world):
    response = finance.post(f"{AUDIT}/verify", data={})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(BackgroundTask)) == 0


def test_an_unknown_kind_of_run_is_not_found(finance, world):
    token = csrf_token(finance, AUDIT)
    assert finance.post(f"{AUDIT}/rewrite", data={"csrf_token": token}).status_code == 404


# Who may --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        StaffRole.COMMISSIONING_OFFICER,
        StaffRole.ASSESSOR,
        StaffRole.DECISION_MAKER,
        StaffRole.ADMINISTRATOR,
    ],
)
def test_staff_other_than_finance_are_refused(app, finance, world, role):
    task_id = start(finance, "export")
    other = client_for(app, staff_user(role))
    for url in (AUDIT, f"{AUDIT}/tasks/{task_id}", f"{AUDIT}/tasks/{task_id}/download"):
        assert other.get(url).status_code == 403, url
    token = csrf_token(other, "/accessibility")
    assert other.post(f"{AUDIT}/verify", data={"csrf_token": token}).status_code == 403


def test_community_users_are_refused_and_visitors_sent_to_sign_in(app, finance, world):
    task_id = start(finance, "verify")
    organisation = make_organisation("Another Club")
    member = client_for(app, make_member(organisation, "chair@another.example.org"))
    for url in (AUDIT, f"{AUDIT}/tasks/{task_id}", f"{AUDIT}/tasks/{task_id}/download"):
        assert member.get(url).status_code == 403, url
        visitor = app.test_client().get(url)
        assert visitor.status_code == 302 and "/sign-in" in visitor.headers["Location"]
    before = db.session.scalar(select(func.count()).select_from(BackgroundTask))
    token = csrf_token(member, "/accessibility")
    assert member.post(f"{AUDIT}/reconcile", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(BackgroundTask)) == before
