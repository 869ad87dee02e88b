"""Large files through the application's upload path into S3 (the SeaweedFS that
scripts/test-services.sh starts): the file goes to the store in parts while the request is still
arriving, and is completed only once the upload path has checked it. Every way a request can end
without keeping the file (a refusal, a form error, a CSRF failure) aborts what was sent, and no
document row is written; nobody signed out can make the store hold anything at all.

The store splits files into parts of the smallest size S3 allows, so a few MiB stand for
hundreds."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from grants.extensions import db
from grants.models import Document
from grants.services import documents
from storage.incoming import PARTS_CONTENT_TYPE
from storage.s3 import MIN_PART_SIZE, S3DocumentStore, make_client
from tests.conftest import csrf_token, make_member, make_organisation, sign_in_as

pytestmark = pytest.mark.s3

PART = MIN_PART_SIZE


def pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size - 16) + b"\n%%EOF\n"


class NotesUploads:
    """The real client, noting every multipart upload begun (the keys are random)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.begun: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def create_multipart_upload(self, **request: Any) -> Any:
        self.begun.append(request["Key"])
        return self.client.create_multipart_upload(**request)


@pytest.fixture
def s3(app, monkeypatch) -> Iterator[tuple[S3DocumentStore, NotesUploads]]:
    """The application as it runs: its requests are UploadRequests, its documents in S3."""
    client = NotesUploads(
        make_client(
            endpoint_url=os.environ["TEST_S3_ENDPOINT_URL"],
            access_key_id=os.environ["TEST_S3_ACCESS_KEY_ID"],
            secret_access_key=os.environ["TEST_S3_SECRET_ACCESS_KEY"],
        )
    )
    store = S3DocumentStore(
        client, os.environ["TEST_S3_BUCKET"], multipart_threshold=PART, part_size=PART
    )
    monkeypatch.setitem(app.extensions, "document_store", store)
    yield store, client
    with app.app_context():
        keys = list(db.session.scalars(select(Document.storage_key)))
    for key in keys + client.begun:
        store.delete(key)


@pytest.fixture
def member(app):
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        user = make_member(organisation, "coach@saffron.example.org")
        return {"user": user, "organisation_id": organisation.id}


def post(client, organisation_id: int, data: bytes, filename: str, **fields: str):  # type: ignore[no-untyped-def]
    url = f"/organisations/{organisation_id}/documents"
    token = csrf_token(client, url if fields.pop("signed_in", "yes") == "yes" else "/sign-in")
    form = {"csrf_token": token, "purpose": "accounts", **fields}
    # Encoded here, in memory: the test client would spool a body this large to a temporary
    # file that it never closes.
    document = FileStorage(io.BytesIO(data), filename, content_type="application/octet-stream")
    boundary, body = encode_multipart({**form, "document": document})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def document_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


def assert_nothing_left(store: S3DocumentStore, keys: list[str]) -> None:
    """No object and no unfinished upload under any of ``keys``."""
    unfinished = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix="documents/")
    left = {upload["Key"] for upload in unfinished.get("Uploads", [])}
    for key in keys:
        assert key not in left, f"the upload of {key} was not aborted"
        assert not store.exists(key)


def test_a_large_file_goes_to_the_store_as_it_arrives_and_is_kept_once_checked(
    app, client, member, s3
):
    store, notes = s3
    data = pdf(int(PART * 3.5))
    sign_in_as(client, member["user"])
    response = post(client, member["organisation_id"], data, "Accounts 2024.pdf")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert (document.filename, document.file_type) == ("Accounts 2024.pdf", "pdf")
        assert document.size_bytes == len(data)
        assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert notes.begun == [document.storage_key]  # sent in parts, under the document's key
    with store.open(document.storage_key) as stored:
        assert stored.read() == data
    head = store.client.head_object(
        Bucket=store.bucket, Key=document.storage_key, ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"].endswith("-4")  # each part checked by the store
    assert head["ContentType"] == PARTS_CONTENT_TYPE
    unfinished = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix="documents/")
    assert document.storage_key not in {upload["Key"] for upload in unfinished.get("Uploads", [])}


def test_a_large_file_over_the_limit_is_refused_and_what_was_sent_is_aborted(
    app, client, member, s3, monkeypatch
):
    store, notes = s3
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", int(PART * 2.5))
    sign_in_as(client, member["user"])
    response = post(client, member["organisation_id"], pdf(4 * PART), "accounts.pdf")
    assert response.status_code == 400
    assert "The selected file must be smaller than 12 MB" in response.text
    assert len(notes.begun) == 1  # parts went up before it passed the limit...
    assert_nothing_left(store, notes.begun)  # ...and were aborted
    assert document_count(app) == 0


def docx(*, bomb: bool = False) -> bytes:
    """A Word document larger than a part (a stored photo), holding a zip bomb if asked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/media/photo.bin", os.urandom(int(PART * 2.5)))
        if bomb:  # 201 MiB of zeros, which deflate to almost nothing
            member = zipfile.ZipInfo("word/media/zeros.bin")
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as zeros:
                for _ in range(201):
                    zeros.write(bytes(1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "filename", "message"),
    [
        (lambda: b"MZ\x90\x00" + os.urandom(int(PART * 2.5)), "policy.pdf", "not a type we accept"),
        (lambda: pdf(int(PART * 2.5))[:-8], "accounts.pdf", "damaged or incomplete"),
        (lambda: docx(bomb=True), "report.docx", "expands to far more"),
    ],
    ids=["a program named .pdf", "a PDF cut short", "a Word document holding a zip bomb"],
)
def test_a_large_file_refused_by_its_content_is_aborted(
    app, client, member, s3, make, filename, message
):
    store, notes = s3
    sign_in_as(client, member["user"])
    response = post(client, member["organisation_id"], make(), filename)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and message in response.text
    assert len(notes.begun) == 1
    assert_nothing_left(store, notes.begun)
    assert document_count(app) == 0


def test_a_large_docx_is_typed_by_the_content_that_arrived(app, client, member, s3):
    _, notes = s3
    sign_in_as(client, member["user"])
    response = post(client, member["organisation_id"], docx(), "report.pdf")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert (document.filename, document.file_type) == ("report.docx", "docx")
    assert notes.begun == [document.storage_key]


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"purpose": ""}, 400), ({"csrf_token": "forged"}, 400)],
    ids=["a form with an error", "a forged CSRF token"],
)
def test_a_large_file_in_a_request_that_does_not_keep_it_is_aborted(
    app, client, member, s3, fields, status
):
    store, notes = s3
    sign_in_as(client, member["user"])
    response = post(client, member["organisation_id"], pdf(int(PART * 2.5)), "a.pdf", **fields)
    assert response.status_code == status
    assert len(notes.begun) == 1  # the form is read (for its CSRF token) before the view runs
    assert_nothing_left(store, notes.begun)
    assert document_count(app) == 0


def test_a_large_file_in_a_request_cut_off_part_way_is_aborted(app, client, member, s3):
    # The body ends in the middle of the file (the browser went away): werkzeug drops the
    # form it could not finish, file and all, and the request still aborts what was sent.
    store, notes = s3
    sign_in_as(client, member["user"])
    url = f"/organisations/{member['organisation_id']}/documents"
    form = {"csrf_token": csrf_token(client, url), "purpose": "accounts"}
    document = FileStorage(io.BytesIO(pdf(3 * PART)), "a.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({**form, "document": document})
    response = client.post(
        url,
        data=body[: int(PART * 2.5)],
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert len(notes.begun) == 1
    assert_nothing_left(store, notes.begun)
    assert document_count(app) == 0


def test_nobody_signed_out_can_make_the_store_hold_anything(app, client, member, s3):
    _, notes = s3
    data = pdf(int(PART * 2.5))
    response = post(client, member["organisation_id"], data, "a.pdf", signed_in="no")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert notes.begun == []
    assert document_count(app) == 0


def test_a_large_file_whose_row_cannot_be_committed_is_deleted(app, member, s3, monkeypatch):
    store, notes = s3

    def failing_commit() -> None:
        raise RuntimeError("database went away")

    with app.test_request_context():
        user = db.session.merge(member["user"])
        monkeypatch.setattr(db.session, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            documents.upload(
                user,
                io.BytesIO(pdf(int(PART * 2.5))),  # not from a request: sent while copied in
                "accounts.pdf",
                organisation_id=member["organisation_id"],
                purpose="accounts",
            )
    assert len(notes.begun) == 1
    assert_nothing_left(store, notes.begun)
