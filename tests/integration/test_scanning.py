"""Virus scanning of uploads against a real clamd (scripts/test-services.sh starts it with one
self-written signature: the EICAR test string). A document is pending until clamd says it is
clean, and only then downloadable; a virus is quarantined and the organisation and the officers
are told once; a scan that fails is never taken as clean and is tried again by the sweep.
Without a scanner, officers see "Not scanned"."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from grants.config import ConfigurationError, load_config
from grants.extensions import db
from grants.jobs.registry import HANDLERS, run_outbox_job
from grants.jobs.sweeps import run_sweeps
from grants.models import (
    Document,
    MembershipRole,
    Organisation,
    OutboxJob,
    ScanStatus,
    StaffRole,
    utcnow,
)
from grants.services.scanning import scan_document
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    post_form,
    sign_in_as,
)
from tests.integration.test_apply import PDF, upload

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
INFECTED_PDF = b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n"
SIGNATURE = "Grants.Test.EICAR.UNOFFICIAL"
CONSTITUTION = "Constitution or governing document"


@pytest.fixture
def scanner(app, monkeypatch):
    """Scanning on, against the test clamd's unix socket."""
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", os.environ["CLAMD_SOCKET_TEST"])
    monkeypatch.setitem(
        app.config, "CLAMD_MAX_STREAM_BYTES", int(os.environ["CLAMD_STREAM_MAX_BYTES_TEST"])
    )


@pytest.fixture
def draft(client, ctx):
    """A draft application of the Saffron Lane Boxing Club, its treasurer signed in."""
    round_ = open_round()
    db.session.add(round_)
    db.session.commit()
    organisation = make_organisation("Saffron Lane Boxing Club")
    sign_in_as(client, make_member(organisation, "treasurer@saffron.example.org"))
    response = post_form(client, f"/funding/{round_.id}/apply", {"organisation": organisation.id})
    assert response.status_code == 302
    application_id = int(re.search(r"/applications/(\d+)/tasks", response.location).group(1))
    return {"organisation_id": organisation.id, "application_id": application_id}


def latest_document() -> Document:
    db.session.expire_all()
    return db.session.scalar(select(Document).order_by(Document.id.desc()))


def staff_client(app, role=StaffRole.COMMISSIONING_OFFICER, email=None):
    client = app.test_client()
    sign_in_as(client, make_staff(role, email))
    return client


def download_link(document_id: int) -> str:
    return f'href="/documents/{document_id}"'


def document_row(page: str, label: str) -> str:
    """The summary list row of one document slot."""
    match = re.search(rf"{label}\s*</dt>(.*?)</div>", page, re.S)
    assert match, f"no row for {label}"
    return match.group(1)


@pytest.mark.clamd
def test_a_clean_upload_is_scanned_then_downloadable(app, client, draft, scanner):
    assert upload(client, draft["application_id"], "constitution").status_code == 302
    document = latest_document()
    assert document.scan_status is ScanStatus.CLEAN
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.job == "document.scan"))
    assert job.dedupe_key == f"document.scan:{document.id}:1"
    assert job.completed_at is not None
    with client.get(f"/documents/{document.id}") as download:
        assert download.status_code == 200 and download.data == PDF
    check = client.get(f"/applications/{draft['application_id']}/check").text
    row = document_row(check, CONSTITUTION)
    assert download_link(document.id) in row and "govuk-tag" not in row
    officer_view = staff_client(app).get(f"/staff/applications/{draft['application_id']}").text
    row = document_row(officer_view, CONSTITUTION)
    assert download_link(document.id) in row and "govuk-tag" not in row  # clean: nothing to say


@pytest.mark.clamd
def test_a_virus_is_quarantined_and_the_organisation_and_officers_are_told_once(
    app, client, draft, scanner, outbox
):
    organisation = db.session.get(Organisation, draft["organisation_id"])
    make_member(organisation, "coach@saffron.example.org", MembershipRole.MEMBER)
    officers = staff_client(app)
    make_staff(StaffRole.ASSESSOR)  # not an officer: not told
    store = app.extensions["document_store"]

    response = upload(client, draft["application_id"], "constitution", INFECTED_PDF, "c.pdf")
    assert response.status_code == 302  # accepted for scanning; the scan decides

    document = latest_document()
    assert document.scan_status is ScanStatus.INFECTED
    assert document.storage_key.startswith("quarantine/documents/")
    assert not store.exists(document.storage_key.removeprefix("quarantine/"))
    with store.open(document.storage_key) as kept:
        assert kept.read() == INFECTED_PDF  # kept for officers to see what was sent
    for who in (client, officers):
        refused = who.get(f"/documents/{document.id}")
        assert refused.status_code == 409
        assert "A virus was found in this file" in refused.text

    by_address = {message.to[0]: message for message in outbox}
    assert sorted(by_address) == [
        "coach@saffron.example.org",
        "commissioning_officer@opcc.example.org",
        "treasurer@saffron.example.org",
    ]
    member_mail = by_address["treasurer@saffron.example.org"]
    assert member_mail.subject == "A virus was found in a file you sent us"
    assert "c.pdf" in member_mail.body and "upload a clean copy" in member_mail.body
    officer_mail = by_address["commissioning_officer@opcc.example.org"]
    assert officer_mail.subject == "Virus found in a file from Saffron Lane Boxing Club"
    assert SIGNATURE in officer_mail.body
    assert f"/staff/applications/{draft['application_id']}" in officer_mail.body

    # Running every job again (RQ delivering twice) and scanning again change nothing.
    for job_id in db.session.scalars(select(OutboxJob.id)):
        assert run_outbox_job(job_id) is False
    assert scan_document(document.id).status is None
    assert len(outbox) == 3

    row = document_row(
        officers.get(f"/staff/applications/{draft['application_id']}").text, CONSTITUTION
    )
    assert "Virus found" in row and download_link(document.id) not in row
    row = document_row(client.get(f"/applications/{draft['application_id']}/check").text,
                       CONSTITUTION)  # fmt: skip
    assert "Virus found" in row and download_link(document.id) not in row


@pytest.mark.clamd
def test_a_pending_document_cannot_be_downloaded_until_the_sweep_has_it_scanned(
    app, client, draft, scanner, monkeypatch
):
    with monkeypatch.context() as lost:
        lost.setitem(HANDLERS, "document.scan", lambda payload: None)  # the job is lost
        assert upload(client, draft["application_id"], "constitution").status_code == 302
    document = latest_document()
    assert document.scan_status is ScanStatus.PENDING

    refused = client.get(f"/documents/{document.id}")
    assert refused.status_code == 409
    assert "This file is being checked for viruses" in refused.text
    row = document_row(client.get(f"/applications/{draft['application_id']}/check").text,
                       CONSTITUTION)  # fmt: skip
    assert "Being checked for viruses" in row and download_link(document.id) not in row
    row = document_row(
        staff_client(app).get(f"/staff/applications/{draft['application_id']}").text,
        CONSTITUTION,
    )
    assert "Being checked for viruses" in row and download_link(document.id) not in row

    assert run_sweeps(utcnow()).scans_requeued == []  # minutes old at most: left alone
    later = run_sweeps(utcnow() + dt.timedelta(minutes=6))
    assert later.scans_requeued == [document.id]
    assert "1 virus scans asked for again" in later.summary()
    app.test_cli_runner().invoke(args=["jobs", "dispatch"])
    assert latest_document().scan_status is ScanStatus.CLEAN
    with client.get(f"/documents/{document.id}") as download:
        assert download.status_code == 200


@pytest.mark.clamd
def test_with_clamd_down_the_upload_stands_but_is_never_clean_until_a_later_sweep(
    app, client, draft, scanner, monkeypatch, tmp_path, outbox
):
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", str(tmp_path / "clamd.sock"))  # nobody there
    assert upload(client, draft["application_id"], "constitution").status_code == 302
    document = latest_document()
    assert document.scan_status is ScanStatus.ERROR
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.job == "document.scan"))
    assert job.completed_at is None  # released, so it is tried again
    refused = client.get(f"/documents/{document.id}")
    assert refused.status_code == 409
    assert "could not be checked for viruses yet" in refused.text
    row = document_row(
        staff_client(app).get(f"/staff/applications/{draft['application_id']}").text,
        CONSTITUTION,
    )
    assert "Virus check failed" in row and download_link(document.id) not in row
    assert outbox == []

    monkeypatch.setitem(app.config, "CLAMD_SOCKET", os.environ["CLAMD_SOCKET_TEST"])  # back
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    assert latest_document().scan_status is ScanStatus.CLEAN
    with client.get(f"/documents/{document.id}") as download:
        assert download.status_code == 200


@pytest.mark.clamd
def test_a_file_larger_than_the_scanner_takes_is_refused_at_upload(app, client, draft, scanner):
    limit = app.config["CLAMD_MAX_STREAM_BYTES"]
    too_big = b"%PDF-1.7\n" + b"0" * limit + b"\n%%EOF\n"
    url = f"/applications/{draft['application_id']}/documents/constitution"
    # Encoded here in memory: the test client would spool a body this size to a file it
    # never closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token(client, url),
            "document": FileStorage(io.BytesIO(too_big), "big.pdf", content_type="application/pdf"),
        }
    )
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert f"must be smaller than {limit // (1024 * 1024)} MB" in response.text
    assert db.session.scalar(select(Document)) is None
    assert db.session.scalar(select(OutboxJob)) is None


@pytest.mark.clamd
def test_scanning_over_tcp(app, client, draft, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMD_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CLAMD_PORT", int(os.environ["CLAMD_TCP_PORT_TEST"]))
    monkeypatch.setitem(
        app.config, "CLAMD_MAX_STREAM_BYTES", int(os.environ["CLAMD_STREAM_MAX_BYTES_TEST"])
    )
    upload(client, draft["application_id"], "constitution", INFECTED_PDF, "c.pdf")
    assert latest_document().scan_status is ScanStatus.INFECTED
    upload(client, draft["application_id"], "bank_statement")
    assert latest_document().scan_status is ScanStatus.CLEAN


def test_without_a_scanner_officers_see_not_scanned_and_the_file_downloads(app, client, draft):
    assert upload(client, draft["application_id"], "constitution").status_code == 302
    document = latest_document()
    assert document.scan_status is ScanStatus.NOT_SCANNED
    assert db.session.scalar(select(OutboxJob)) is None  # nothing to scan with
    row = document_row(
        staff_client(app).get(f"/staff/applications/{draft['application_id']}").text,
        CONSTITUTION,
    )
    assert "Not scanned" in row and download_link(document.id) in row
    row = document_row(client.get(f"/applications/{draft['application_id']}/check").text,
                       CONSTITUTION)  # fmt: skip
    assert "Not scanned" not in row and download_link(document.id) in row
    with client.get(f"/documents/{document.id}") as download:
        assert download.status_code == 200


def test_the_scanner_is_configured_by_a_socket_or_a_host_not_both(tmp_path):
    with pytest.raises(ConfigurationError, match="CLAMD_SOCKET or CLAMD_HOST"):
        load_config(str(tmp_path), {"CLAMD_SOCKET": "/run/clamav/clamd.ctl", "CLAMD_HOST": "av"})
    config = load_config(str(tmp_path), {"CLAMD_HOST": "clamd.internal", "CLAMD_PORT": "3311"})
    assert (config["CLAMD_SOCKET"], config["CLAMD_HOST"], config["CLAMD_PORT"]) == (
        None,
        "clamd.internal",
        3311,
    )
    assert load_config(str(tmp_path), {})["CLAMD_MAX_STREAM_BYTES"] == 25 * 1024 * 1024
