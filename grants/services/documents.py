"""The one upload path every journey uses, and downloads that check the policy first.

An upload is received into a ``storage.incoming.IncomingFile``: a local temporary file (never
the whole upload in memory) while its size is counted and its SHA-256 computed. In a request,
``UploadRequest`` has werkzeug write a multipart form's file straight into one, and for a
signed-in user a large file goes to the store part by part while the rest of the request is
still arriving; any other stream is copied into one here, in chunks, refused as soon as it
passes the size limit. Once the whole file is in, its size is checked and its type decided by
content; only then is it kept: the parts already sent are completed (or the whole file put) under
its random key, before the database row is committed, and removed again if the commit fails, so
the database never points at a missing object. A file refused for any reason, or whose request
ends without it being kept, is never completed: its parts are aborted. With a virus scanner
configured the row starts "pending" and its scan is recorded in the outbox in the same
transaction (see grants.services.scanning); nothing downloads it until the scan says clean.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, BinaryIO

from flask import Request, current_app, session

from grants.extensions import db
from grants.jobs.outbox import note_pending
from grants.models import Document, ScanStatus, User
from grants.policy import visible_documents
from grants.services import scanning
from grants.services.errors import NotFound, ServiceError
from storage.base import DocumentStore, StorageError
from storage.incoming import IncomingFile
from storage.sniff import ALL_TYPES, FileType, Unrecognised, sniff

CHUNK = 1024 * 1024
DEFAULT_TYPES = ("pdf", "docx", "xlsx", "odt", "ods", "png", "jpeg", "csv")
NOT_SAVED = "The file could not be saved. Nothing was saved. Try again"
# Only a clean file, or one uploaded while no scanner was configured, is ever handed out.
DOWNLOADABLE = {ScanStatus.CLEAN, ScanStatus.NOT_SCANNED}
NOT_DOWNLOADABLE = {
    ScanStatus.PENDING: "This file is being checked for viruses. Try again in a few minutes",
    ScanStatus.INFECTED: "A virus was found in this file, so nobody can download it",
    ScanStatus.ERROR: "This file could not be checked for viruses yet. We will check it again, "
    "and you can download it once it has passed",
}


def store() -> DocumentStore:
    return current_app.extensions["document_store"]


def display_name(filename: str | None) -> str:
    """The uploader's file name made safe to show: no folders, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    name = name.strip().lstrip(".")
    return name[:200] or "document"


def _type_names(codes: Iterable[str]) -> str:
    labels = [t.label for t in ALL_TYPES if t.code in set(codes)]
    if not labels:
        return "file of a type this question accepts"
    return ", ".join(labels[:-1]) + (" or " if len(labels) > 1 else "") + labels[-1]


def upload_limit(max_bytes: int | None = None) -> int:
    """The largest file accepted: ``UPLOAD_MAX_BYTES``, or a lower ``max_bytes``, and never more
    than the virus scanner takes (a file it refuses could never be shown to be clean)."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    scannable = scanning.largest_scannable()
    return limit if scannable is None else min(limit, scannable)


def receive(*, limit: int | None = None, send_early: bool = True) -> IncomingFile:
    """A file to receive an upload into, under a new random key (see ``storage.incoming``).
    With ``send_early`` a large one goes to the store in parts while it arrives, until it
    passes ``limit`` (by default ``upload_limit()``)."""
    key = f"documents/{secrets.token_hex(2)}/{secrets.token_hex(16)}"
    return IncomingFile(store(), key, limit=limit or upload_limit(), send_early=send_early)


class UploadRequest(Request):
    """The application's request: a file in a multipart form is received into an IncomingFile
    instead of werkzeug's temporary file, so the upload path neither copies nor reads it again.

    The form is parsed before the view runs (the CSRF check reads it), so the file starts
    going to the store before anyone has decided to keep it: it stays an unfinished multipart
    upload until ``upload`` completes it, and every file this request received and did not
    keep is aborted when the request ends (``close``), whatever happened."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        # Only a signed-in user's file goes to the store early: nobody else can make the store
        # hold even an unfinished upload. The view still checks who may upload what.
        incoming = receive(send_early=session.get("user_id") is not None)
        self._incoming_files.append(incoming)
        return incoming  # type: ignore[return-value]  (a binary file)

    @property
    def _incoming_files(self) -> list[IncomingFile]:
        return self.__dict__.setdefault("_incoming", [])

    def close(self) -> None:
        # Includes a file whose form failed to parse part-way, which werkzeug never lists.
        try:
            super().close()
        finally:
            for incoming in self._incoming_files:
                incoming.close()


def upload(
    actor: User,
    stream: BinaryIO,
    filename: str | None,
    *,
    organisation_id: int | None,
    purpose: str,
    application_id: int | None = None,
    payment_id: int | None = None,
    monitoring_return_id: int | None = None,
    allowed: Iterable[str] = DEFAULT_TYPES,
    max_bytes: int | None = None,
    replaces: Document | None = None,
) -> Document:
    allowed = tuple(allowed)
    limit = upload_limit(max_bytes)
    scanned = scanning.largest_scannable() is not None
    with ExitStack() as cleanup:
        # From UploadRequest the file has been measured and hashed, and maybe partly sent.
        incoming = stream if isinstance(stream, IncomingFile) else _received(stream, limit)
        cleanup.callback(incoming.close)  # aborts whatever was sent unless it is saved
        incoming.finish()
        size, digest = incoming.size, incoming.sha256_hex
        if size > limit:
            raise ServiceError(_too_large(limit))
        try:
            kind = sniff(incoming, size)  # type: ignore[arg-type]  (a binary file)
        except Unrecognised as refusal:
            raise ServiceError(str(refusal)) from refusal
        if kind.code not in allowed:
            raise ServiceError(f"The selected file must be a {_type_names(allowed)}")
        try:
            incoming.save(content_type=kind.mime)
        except StorageError as failure:
            current_app.logger.warning("document store refused an upload: %s", failure)
            raise ServiceError(NOT_SAVED) from failure
        key = incoming.key
    document = Document(
        storage_key=key,
        organisation_id=organisation_id,
        application_id=application_id,
        payment_id=payment_id,
        monitoring_return_id=monitoring_return_id,
        uploaded_by_id=actor.id,
        purpose=purpose,
        filename=_with_true_extension(display_name(filename), kind),
        file_type=kind.code,
        content_type=kind.mime,
        size_bytes=size,
        sha256=digest,
        scan_status=ScanStatus.PENDING if scanned else ScanStatus.NOT_SCANNED,
        lineage_id=(replaces.lineage_id or replaces.id) if replaces else None,
        version=(replaces.version + 1) if replaces else 1,
    )
    db.session.add(document)
    try:
        if document.scan_status is ScanStatus.PENDING:
            db.session.flush()  # the scan job names the document by its id
            scanning.request_scan(document)
        db.session.commit()
    except Exception:
        db.session.rollback()
        store().delete(key)  # the row never existed, so neither may the object
        raise
    if document.scan_status is ScanStatus.PENDING:
        note_pending()
    return document


def _received(stream: BinaryIO, limit: int) -> IncomingFile:
    """A stream that did not come in through UploadRequest, copied into an IncomingFile in
    chunks (sent to the store early as well) and refused as soon as it passes ``limit``."""
    incoming = receive(limit=limit)
    try:
        while chunk := stream.read(CHUNK):
            incoming.write(chunk)
            if incoming.size > limit:
                raise ServiceError(_too_large(limit))
    except BaseException:
        incoming.close()
        raise
    return incoming


def _too_large(limit: int) -> str:
    return f"The selected file must be smaller than {limit // (1024 * 1024)} MB"


def _with_true_extension(name: str, kind: FileType) -> str:
    """Show what the file really is: 'invoice.pdf.exe' holding a PDF becomes 'invoice.pdf'."""
    stem = re.sub(r"(\.[A-Za-z0-9]{1,5})+$", "", name) or "document"
    return f"{stem}.{kind.extension}"


@dataclass(frozen=True)
class Download:
    document: Document
    url: str | None  # a short-lived presigned URL, or None to stream through the app


def download_for(user: User, document_id: int) -> Download:
    document = db.session.scalar(visible_documents(user).where(Document.id == document_id))
    if document is None:
        raise NotFound
    if document.scan_status not in DOWNLOADABLE:
        raise ServiceError(
            NOT_DOWNLOADABLE.get(
                document.scan_status,
                "This file cannot be downloaded until it has passed a virus scan",
            )
        )
    url = store().download_url(
        document.storage_key, document.filename, document.content_type, seconds=60
    )
    return Download(document, url)


def open_document(document: Document) -> BinaryIO:
    try:
        return store().open(document.storage_key)
    except StorageError as failure:
        raise ServiceError("The file could not be read just now. Try again") from failure


def documents_of(user: User, organisation_id: int) -> list[Document]:
    return list(
        db.session.scalars(
            visible_documents(user)
            # The organisation's own documents. Files sent with an application, a return, a
            # claim or an agreement are shown with those.
            .where(
                Document.organisation_id == organisation_id,
                Document.application_id.is_(None),
                Document.monitoring_return_id.is_(None),
                Document.payment_id.is_(None),
                Document.award_id.is_(None),
            )
            .order_by(Document.created_at.desc(), Document.id.desc())
        )
    )
