"""The upload path: streamed, size-limited, typed by content, stored before the row commits;
downloads only through the policy, as attachments."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import Document, MembershipRole, ScanStatus
from grants.services.documents import UploadRequest
from tests.conftest import csrf_token, make_member, make_organisation, sign_in_as

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


def test_the_application_receives_files_into_the_upload_path(app):
    """Its requests are UploadRequests, whose files arrive straight into the upload path's
    IncomingFile (and so go to the store while the request is still arriving)."""
    assert app.request_class is UploadRequest


@pytest.fixture
def member(app):
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        user = make_member(organisation, "coach@saffron.example.org")
        return {"user": user, "organisation_id": organisation.id}


def upload(client, organisation_id, data: bytes, filename: str, purpose="constitution"):
    url = f"/organisations/{organisation_id}/documents"
    token = csrf_token(client, url)
    return client.post(
        url,
        data={"csrf_token": token, "purpose": purpose, "document": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def stored_objects(app) -> list:
    return list(app.extensions["document_store"].list("documents/"))


def document_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


def test_upload_then_download_as_an_attachment(app, client, member):
    sign_in_as(client, member["user"])
    response = upload(client, member["organisation_id"], PDF, "Constitution 2024.pdf")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert document.filename == "Constitution 2024.pdf"
        assert document.file_type == "pdf" and document.size_bytes == len(PDF)
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        assert document.scan_status is ScanStatus.NOT_SCANNED
        assert "Constitution" not in document.storage_key  # the key is random
        document_id = document.id
    page = client.get(f"/organisations/{member['organisation_id']}/documents").text
    assert "Constitution 2024.pdf" in page
    with client.get(f"/documents/{document_id}") as download:
        assert download.status_code == 200
        assert download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.pdf", "The selected file is empty"),
        (b"MZ\x90\x00" + b"\x00" * 64, "policy.pdf", "not a type we accept"),
        (b"%PDF-1.4 cut short", "accounts.pdf", "damaged or incomplete"),
        (b"GIF89a" + b"\x00" * 20 + b";", "photo.gif", "must be a PDF"),
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_kept(
    app, client, member, data, filename, message
):
    sign_in_as(client, member["user"])
    response = upload(client, member["organisation_id"], data, filename)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text and message in response.text
    assert document_count(app) == 0 and stored_objects(app) == []


def test_an_oversized_file_is_refused_while_it_streams(app, client, member):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    try:
        sign_in_as(client, member["user"])
        response = upload(client, member["organisation_id"], PDF + b"\n" * 2048, "big.pdf")
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 25 * 1024 * 1024
    assert response.status_code == 400
    assert "The selected file must be smaller than" in response.text
    assert document_count(app) == 0 and stored_objects(app) == []


def test_a_file_sent_with_a_form_that_is_refused_is_not_kept(app, client, member):
    sign_in_as(client, member["user"])
    response = upload(client, member["organisation_id"], PDF, "Constitution.pdf", purpose="")
    assert response.status_code == 400
    assert "Select what the document is" in response.text
    assert document_count(app) == 0 and stored_objects(app) == []


def test_archives_and_zip_bombs_are_refused(app, client, member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (20 * 1024 * 1024))
    sign_in_as(client, member["user"])
    response = upload(client, member["organisation_id"], buffer.getvalue(), "accounts.zip")
    assert response.status_code == 400
    assert "expands to far more" in response.text
    assert document_count(app) == 0


def test_names_are_for_display_only(app, client, member):
    sign_in_as(client, member["user"])
    assert upload(client, member["organisation_id"], PDF, "../../etc/passwd").status_code == 302
    assert upload(client, member["organisation_id"], PDF, "invoice.pdf.exe").status_code == 302
    with app.app_context():
        names = sorted(db.session.scalars(select(Document.filename)))
        keys = list(db.session.scalars(select(Document.storage_key)))
    assert names == ["invoice.pdf", "passwd.pdf"]
    assert all(key.startswith("documents/") and ".." not in key for key in keys)


def test_a_failed_commit_leaves_no_object_behind(app, member, monkeypatch):
    from grants.services import documents

    def failing_commit() -> None:
        raise RuntimeError("database went away")

    with app.test_request_context():
        user = db.session.merge(member["user"])
        monkeypatch.setattr(db.session, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            documents.upload(
                user,
                io.BytesIO(PDF),
                "c.pdf",
                organisation_id=member["organisation_id"],
                purpose="other",
            )
    assert stored_objects(app) == []
    assert document_count(app) == 0


def test_another_organisations_documents_are_404(app, client, member):
    sign_in_as(client, member["user"])
    upload(client, member["organisation_id"], PDF, "Constitution.pdf")
    with app.app_context():
        document_id = db.session.scalar(select(Document.id))
        other = make_member(
            make_organisation("Elsewhere"), "other@else.example.org", MembershipRole.OWNER
        )
    outsider = app.test_client()
    sign_in_as(outsider, other)
    assert outsider.get(f"/documents/{document_id}").status_code == 404
    assert outsider.get(f"/organisations/{member['organisation_id']}/documents").status_code == 404
    assert upload(outsider, member["organisation_id"], PDF, "x.pdf").status_code == 404


def test_a_new_version_keeps_the_old_one(app, member):
    from grants.services import documents

    with app.test_request_context():
        user = db.session.merge(member["user"])
        first = documents.upload(
            user, io.BytesIO(PDF), "policy.pdf", organisation_id=member["organisation_id"],
            purpose="safeguarding_policy",
        )  # fmt: skip
        second = documents.upload(
            user, io.BytesIO(PDF + b"% revised\n"), "policy v2.pdf",
            organisation_id=member["organisation_id"], purpose="safeguarding_policy",
            replaces=first,
        )  # fmt: skip
        assert (second.version, second.lineage_id) == (2, first.id)
        assert first.storage_key != second.storage_key
        with documents.open_document(first) as stream:
            assert stream.read() == PDF  # the old version stays readable


def test_a_question_that_allows_only_some_types_says_which(app, member):
    from grants.services import documents
    from grants.services.errors import ServiceError

    with app.test_request_context():
        user = db.session.merge(member["user"])
        with pytest.raises(ServiceError, match="must be a CSV file"):
            documents.upload(
                user, io.BytesIO(PDF), "budget.pdf", organisation_id=member["organisation_id"],
                purpose="other", allowed=["csv"],
            )  # fmt: skip


def test_a_stream_that_cannot_be_reread_is_copied_first(app, member):
    from grants.services import documents

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.data.read(size)

    with app.test_request_context():
        user = db.session.merge(member["user"])
        document = documents.upload(
            user, OneWay(PDF), "piped.pdf", organisation_id=member["organisation_id"],
            purpose="other",
        )  # fmt: skip
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        with documents.open_document(document) as stream:
            assert stream.read() == PDF
