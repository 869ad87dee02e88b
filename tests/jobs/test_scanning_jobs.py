"""The scan job and the sweep that asks again, against the real clamd that `make test` starts:
a document's scan settles once however often it runs, the email about a virus goes once, a
scan that failed or was lost is asked for again (later each time), and nothing is ever taken as
clean without clamd saying so."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from sqlalchemy import select, update

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.jobs.registry import run_outbox_job
from grants.jobs.sweeps import run_sweeps, sweep_orphans
from grants.models import Document, OutboxJob, ScanStatus, StaffRole, utcnow
from grants.services import documents
from grants.services.scanning import requeue_unsettled, scan_document
from storage.clamd import ScanError
from tests.conftest import make_member, make_organisation, make_staff

pytestmark = pytest.mark.clamd

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
INFECTED_PDF = b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n"


@pytest.fixture
def scanner(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", os.environ["CLAMD_SOCKET_TEST"])
    monkeypatch.setitem(
        app.config, "CLAMD_MAX_STREAM_BYTES", int(os.environ["CLAMD_STREAM_MAX_BYTES_TEST"])
    )


@pytest.fixture
def uploader(ctx):
    return make_member(make_organisation("Rutland Rural Watch"), "chair@rural.example.org")


def uploaded(user, data: bytes = PDF) -> Document:
    """Uploaded through the service with no request to end and dispatch its scan: the scan
    waits in the outbox until the test runs it."""
    document = documents.upload(
        user, io.BytesIO(data), "evidence.pdf", organisation_id=user.organisation_ids.pop(),
        purpose="other",
    )  # fmt: skip
    assert document.scan_status is ScanStatus.PENDING
    return document


def scan_jobs(document: Document) -> list[OutboxJob]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxJob)
            .where(
                OutboxJob.job == "document.scan", OutboxJob.dedupe_key.like(f"%:{document.id}:%")
            )
            .order_by(OutboxJob.id)
        )
    )


def status_of(document: Document) -> ScanStatus:
    db.session.expire_all()
    return db.session.get(Document, document.id).scan_status


def test_the_scan_job_records_clean(scanner, uploader):
    document = uploaded(uploader)
    [job] = scan_jobs(document)
    assert run_outbox_job(job.id) is True
    assert status_of(document) is ScanStatus.CLEAN
    assert run_outbox_job(job.id) is False  # delivered twice: done once


def test_a_virus_is_quarantined_once_and_emailed_once_however_often_the_scan_runs(
    app, scanner, uploader, outbox
):
    make_staff(StaffRole.COMMISSIONING_OFFICER)
    document = uploaded(uploader, INFECTED_PDF)
    original_key = document.storage_key
    first = scan_document(document.id)
    again = scan_document(document.id)  # e.g. the sweep's second job, run after the first
    assert first.status is ScanStatus.INFECTED and first.signature == "Grants.Test.EICAR.UNOFFICIAL"
    assert again.status is None

    [email_job] = db.session.scalars(
        select(OutboxJob).where(OutboxJob.job == "email.document_infected")
    ).all()
    assert email_job.dedupe_key == f"email.document_infected:{document.id}"
    dispatch_pending()
    assert run_outbox_job(email_job.id) is False
    assert sorted(message.to[0] for message in outbox) == [
        "chair@rural.example.org",
        "commissioning_officer@opcc.example.org",
    ]

    store = app.extensions["document_store"]
    db.session.expire_all()
    quarantined = db.session.get(Document, document.id)
    assert quarantined.storage_key == f"quarantine/{original_key}"
    assert not store.exists(original_key) and store.exists(quarantined.storage_key)
    # Out of the orphan sweep's way: the row points at it, and it is not under documents/.
    assert sweep_orphans(utcnow() + dt.timedelta(days=2)) == []
    assert store.exists(quarantined.storage_key)


def test_with_clamd_down_the_job_records_error_and_fails_for_a_retry(
    app, scanner, uploader, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", str(tmp_path / "gone.sock"))
    document = uploaded(uploader)
    [job] = scan_jobs(document)
    with pytest.raises(ScanError, match="could not be reached"):
        run_outbox_job(job.id)
    assert status_of(document) is ScanStatus.ERROR
    assert scan_jobs(document)[0].completed_at is None  # released: RQ retries it with back-off

    monkeypatch.setitem(app.config, "CLAMD_SOCKET", os.environ["CLAMD_SOCKET_TEST"])
    assert run_outbox_job(job.id) is True
    assert status_of(document) is ScanStatus.CLEAN


def test_the_sweep_asks_again_for_a_stale_pending_scan_and_leaves_a_fresh_one(scanner, uploader):
    stale, fresh = uploaded(uploader), uploaded(uploader, PDF + b"% another\n")
    now = utcnow()
    make_old(stale, minutes=10)
    for document in (stale, fresh):
        mark_taken(scan_jobs(document)[0])  # taken by a worker that then died

    assert run_sweeps(now).scans_requeued == [stale.id]
    assert [job.dedupe_key for job in scan_jobs(stale)][-1] == f"document.scan:{stale.id}:2"
    assert len(scan_jobs(fresh)) == 1
    # Its new job waits in the outbox: the dispatch after the sweep sends it, not another job.
    assert run_sweeps(now + dt.timedelta(hours=1)).scans_requeued == [fresh.id]
    assert dispatch_pending() == 2
    assert status_of(stale) is ScanStatus.CLEAN and status_of(fresh) is ScanStatus.CLEAN
    assert requeue_unsettled(now + dt.timedelta(days=1)) == []


def test_a_failing_scan_is_asked_for_again_less_often_each_time(
    app, scanner, uploader, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", str(tmp_path / "gone.sock"))
    document = uploaded(uploader)
    make_old(document, minutes=6)
    mark_taken(scan_jobs(document)[0])
    db.session.execute(
        update(Document).where(Document.id == document.id).values(scan_status=ScanStatus.ERROR)
    )
    db.session.commit()
    now = utcnow()

    assert requeue_unsettled(now) == [document.id]  # the first wait (5 minutes) is over
    mark_taken(scan_jobs(document)[-1])  # and that attempt failed too
    assert requeue_unsettled(now + dt.timedelta(minutes=9)) == []  # the second waits 10
    assert requeue_unsettled(now + dt.timedelta(minutes=11)) == [document.id]
    mark_taken(scan_jobs(document)[-1])
    assert requeue_unsettled(now + dt.timedelta(minutes=19)) == []  # the third waits 20
    assert requeue_unsettled(now + dt.timedelta(minutes=21)) == [document.id]
    assert len(scan_jobs(document)) == 4
    assert status_of(document) is ScanStatus.ERROR  # still never clean


def test_a_file_the_scanner_will_never_take_is_an_error_and_not_asked_for_again(
    app, scanner, uploader, monkeypatch
):
    document = uploaded(uploader)
    monkeypatch.setitem(app.config, "CLAMD_MAX_STREAM_BYTES", len(PDF) - 1)  # clamd shrank since
    [job] = scan_jobs(document)
    assert run_outbox_job(job.id) is True  # no point retrying: the job is done
    assert status_of(document) is ScanStatus.ERROR
    make_old(document, minutes=60)
    assert requeue_unsettled(utcnow() + dt.timedelta(days=1)) == []


def test_a_stored_file_that_is_not_what_was_uploaded_is_an_error_not_clean(app, scanner, uploader):
    document = uploaded(uploader)
    path = app.extensions["document_store"]._path(document.storage_key)
    path.write_bytes(PDF.replace(b"obj", b"jbo"))  # same size, other bytes
    outcome = scan_document(document.id)
    assert outcome.status is ScanStatus.ERROR and not outcome.worth_retrying
    assert "does not match" in outcome.failure


def test_without_a_scanner_there_is_nothing_to_ask_again(uploader):
    assert requeue_unsettled() is None
    assert run_sweeps().scans_requeued is None


# Helpers that set the clock back ---------------------------------------------------------------


def make_old(document: Document, minutes: int) -> None:
    """As if the document, and the scans asked for it so far, were ``minutes`` old."""
    then = utcnow() - dt.timedelta(minutes=minutes)
    db.session.execute(update(Document).where(Document.id == document.id).values(created_at=then))
    for job in scan_jobs(document):
        db.session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(created_at=then))
    db.session.commit()


def mark_taken(job: OutboxJob) -> None:
    """Handed to the queue (and so no longer waiting in the outbox)."""
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job.id).values(dispatched_at=utcnow())
    )
    db.session.commit()
