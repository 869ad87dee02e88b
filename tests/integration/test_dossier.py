"""The award dossier for the audit panel: started from the award's history page (POST, CSRF) by
those who read the money, built as a background task into one zip (index, events with their
hashes, the application, assessment, decision, agreement, payments, returns and variations),
with documents not known to be safe left out and listed; only the requester sees it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile

import pytest
from flask import Flask
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    AuditEvent,
    BackgroundTask,
    Criterion,
    DecisionRecord,
    Document,
    InterestDeclaration,
    ScanStatus,
    Score,
    StaffRole,
    TaskStage,
    User,
)
from tests.conftest import csrf_token, make_document, make_member, make_organisation, make_staff
from tests.integration.test_history import at, client_for, offered_award, people
from workflows.engine import fire


@pytest.fixture
def world(ctx) -> dict:
    """Saffron Lane's offer, accepted, with its grant agreement drawn up (by the real job),
    an assessor's score and declaration, the decision record, and three documents that must
    not leave the system: one waiting for its scan, one infected, one whose bytes are gone."""
    from tests.conftest import open_round

    staff = people()
    staff["other_finance"] = make_staff(StaffRole.FINANCE, "second.finance@opcc.example.org")
    saffron = make_organisation("Saffron Lane Boxing Club")
    member = make_member(saffron, "treasurer@saffron.example.org")
    round_ = open_round()
    round_.opens_at, round_.closes_at = at(2024, 12, 1), at(2025, 3, 1)
    round_.published_at = at(2024, 11, 30)
    db.session.add(round_)
    db.session.commit()
    award = offered_award(staff, saffron, member, round_, "PF-24-0001-A", at(2025, 3, 10))
    fire(member, award, "accept", now=at(2025, 3, 20), signatory="Amara Okafor")
    db.session.commit()
    dispatch_pending()  # draws up the grant agreement (twice: offered, then accepted)

    application = award.application
    criterion = Criterion(round_id=round_.id, position=1, name="Need", weight=100, max_score=5)
    db.session.add(criterion)
    db.session.flush()
    application.interest_declarations.append(
        InterestDeclaration(
            user_id=staff["assessor"].id,
            conflicted=False,
            details="Lives two streets away; no link to the club",
            declared_at=at(2025, 2, 12),
        )
    )
    application.scores.append(
        Score(
            assessor_id=staff["assessor"].id,
            criterion_id=criterion.id,
            score=4,
            justification="Clear need: <script>alert(1)</script> the ward's figures",
            scored_at=at(2025, 2, 14),
        )
    )
    db.session.add(
        DecisionRecord(
            reference="DR-2025-001",
            application_id=application.id,
            decision="approved",
            title="Friday night boxing",
            summary="Approved in full for two years",
            amount_pence=900_000,
            decision_maker_id=staff["decider"].id,
            decided_at=at(2025, 3, 10),
            interests_declared="None declared",
        )
    )
    for name, status in (
        ("pending.pdf", ScanStatus.PENDING),
        ("infected.pdf", ScanStatus.INFECTED),
        ("gone.pdf", ScanStatus.CLEAN),
    ):
        document = make_document(saffron.id, member.id, name, purpose="budget_evidence",
                                 application_id=application.id)  # fmt: skip
        document.scan_status = status
    db.session.commit()
    return {
        "staff": {name: user.id for name, user in staff.items()},
        "member": member.id,
        "award": award.id,
        "application": application.id,
    }


@pytest.fixture
def finance(app: Flask, world):
    return client_for(app, world["staff"]["finance"])


def start(client, award_id: int):  # type: ignore[no-untyped-def]
    url = f"/finance/awards/{award_id}/history"
    return client.post(
        f"/finance/awards/{award_id}/dossier", data={"csrf_token": csrf_token(client, url)}
    )


def built(finance, world) -> tuple[int, zipfile.ZipFile]:
    response = start(finance, world["award"])
    assert response.status_code == 302
    task_id = int(re.search(r"/finance/dossiers/(\d+)$", response.headers["Location"]).group(1))
    dispatch_pending()
    download = finance.get(f"/finance/dossiers/{task_id}/download")
    assert download.status_code == 200
    return task_id, zipfile.ZipFile(io.BytesIO(download.get_data()))


def test_finance_builds_the_dossier_and_watches_it_finish(world, finance):
    response = start(finance, world["award"])
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    dispatch_pending()

    page = finance.get(f"/finance/dossiers/{task_id}")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Done" in html and "100%" in html
    assert f'href="/finance/dossiers/{task_id}/download"' in html
    assert "dossier-PF-24-0001-A.zip" in html
    assert 'http-equiv="refresh"' not in html  # finished: nothing to wait for
    task = db.session.get(BackgroundTask, task_id)
    assert (task.kind, task.stage) == ("dossier.award", TaskStage.DONE)
    # The award's history lists it for whoever asked.
    history = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)
    assert f'href="/finance/dossiers/{task_id}"' in history


def test_a_waiting_dossier_offers_a_refresh_link_until_it_is_done(world, finance):
    response = start(finance, world["award"])
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # Not yet run: the test client's request already handed the job on, so make it wait again.
    task = db.session.get(BackgroundTask, task_id)
    task.stage = TaskStage.QUEUED
    task.result_key = None
    db.session.commit()

    html = finance.get(f"/finance/dossiers/{task_id}").get_data(as_text=True)

    # No automatic refresh (WCAG 2.2.1): a link the reader follows when they choose.
    assert 'http-equiv="refresh"' not in html
    assert f'href="/finance/dossiers/{task_id}">Refresh this page</a>' in html
    assert finance.get(f"/finance/dossiers/{task_id}/download").status_code == 404


def test_the_download_is_an_attachment_that_is_not_sniffed(world, finance):
    response = start(finance, world["award"])
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    dispatch_pending()

    download = finance.get(f"/finance/dossiers/{task_id}/download")

    assert download.headers["Content-Type"] == "application/zip"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="dossier-PF-24-0001-A.zip"'
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_dossier_holds_every_part_with_its_events(world, finance):
    _, archive = built(finance, world)
    names = set(archive.namelist())

    for part in (
        "README.html", "events.json", "events.csv", "award.html", "application.html",
        "assessment.html", "decision.html", "payments.html", "returns.html", "variations.html",
    ):  # fmt: skip
        assert part in names, part
    agreements = [n for n in names if n.startswith("agreements/")]
    assert agreements and all(n.endswith(".pdf") for n in agreements)
    for name in agreements:
        assert archive.read(name).startswith(b"%PDF")


def test_the_events_are_exactly_the_ledgers_with_their_hashes(world, finance):
    _, archive = built(finance, world)
    events = json.loads(archive.read("events.json"))
    ledger = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()

    assert [e["hash"] for e in events] == [e.hash for e in ledger]
    assert {e["object_type"] for e in events} == {
        "application", "award", "payment", "monitoring_return",
    }  # fmt: skip
    with_csv = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
    assert [row["hash"] for row in with_csv] == [e.hash for e in ledger]


def test_the_index_lists_each_file_with_its_sha256_and_event_hashes(world, finance):
    _, archive = built(finance, world)
    index = archive.read("README.html").decode()
    create = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "award", AuditEvent.action == "create")
    )

    for name in archive.namelist():
        if name == "README.html":
            continue
        assert name in index, name
        assert hashlib.sha256(archive.read(name)).hexdigest() in index, name
    assert create.hash in index


def test_documents_not_known_to_be_safe_are_left_out_and_listed_with_the_reason(world, finance):
    _, archive = built(finance, world)
    index = archive.read("README.html").decode()
    names = " ".join(archive.namelist())

    for name in ("pending.pdf", "infected.pdf", "gone.pdf"):
        assert name not in names
        assert name in index
    assert "Waiting for its virus scan" in index
    assert "A virus was found in it" in index
    assert "The file could not be read from the store" in index


def test_the_assessment_and_decision_are_in_it_and_escaped(world, finance):
    _, archive = built(finance, world)
    assessment = archive.read("assessment.html").decode()
    decision = archive.read("decision.html").decode()
    application = archive.read("application.html").decode()

    assert "Lives two streets away; no link to the club" in assessment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in assessment
    assert "<script>" not in assessment
    assert "4 of 5" in assessment
    assert "DR-2025-001" in decision and "Approved in full for two years" in decision
    assert "Friday night boxing" in application
    assert "An answer to" in application  # the applicant's answers, under their questions


def test_only_the_requester_sees_the_dossier(app, world, finance):
    task_id, _ = built(finance, world)
    colleague = client_for(app, world["staff"]["other_finance"])

    assert colleague.get(f"/finance/dossiers/{task_id}").status_code == 404
    assert colleague.get(f"/finance/dossiers/{task_id}/download").status_code == 404


def test_another_kind_of_task_is_not_a_dossier(app, world, finance):
    task = BackgroundTask(kind="export.awards", parameters="{}",
                          requested_by_id=world["staff"]["finance"])  # fmt: skip
    db.session.add(task)
    db.session.commit()
    assert finance.get(f"/finance/dossiers/{task.id}").status_code == 404


def test_a_dossier_needs_the_pages_csrf_token(world, finance):
    response = finance.post(f"/finance/awards/{world['award']}/dossier", data={})

    assert response.status_code == 400
    assert db.session.scalar(select(BackgroundTask)) is None


def test_a_dossier_of_an_unknown_award_is_not_found(world, finance):
    token = csrf_token(finance, f"/finance/awards/{world['award']}/history")
    response = finance.post("/finance/awards/999999/dossier", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.scalar(select(BackgroundTask)) is None


@pytest.mark.parametrize("who", ["assessor", "administrator", "member"])
def test_those_who_do_not_read_the_money_cannot_build_one(app, world, who):
    user_id = world["member"] if who == "member" else world["staff"][who]
    client = client_for(app, user_id)
    token = csrf_token(client, "/accessibility")
    response = client.post(f"/finance/awards/{world['award']}/dossier", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(BackgroundTask)) is None


def test_an_award_gone_before_the_task_ran_fails_with_a_message(world, finance):
    from grants.services import tasks

    user = db.session.get(User, world["staff"]["finance"])
    task = tasks.start_task(user, "dossier.award", award_id=999999)
    dispatch_pending()
    db.session.expire_all()

    html = finance.get(f"/finance/dossiers/{task.id}").get_data(as_text=True)

    assert db.session.get(BackgroundTask, task.id).stage is TaskStage.FAILED
    assert "It did not finish" in html
    assert finance.get(f"/finance/dossiers/{task.id}/download").status_code == 404


def test_documents_are_read_from_the_store_and_checked(world, finance):
    agreements = db.session.scalars(
        select(Document).where(Document.purpose == "grant_agreement")
    ).all()
    _, archive = built(finance, world)
    index = archive.read("README.html").decode()

    assert agreements
    for document in agreements:
        (name,) = [n for n in archive.namelist() if n.startswith(f"agreements/{document.id}-")]
        assert hashlib.sha256(archive.read(name)).hexdigest() == document.sha256
    assert "WARNING" not in index
