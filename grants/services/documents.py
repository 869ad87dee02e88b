"""The one upload path every journey uses, and downloads that check the policy first.

An upload is read in chunks, never whole into memory: from the temporary file werkzeug already
spooled it to, or copied to one first when the stream cannot be read twice. While it is read its
size is checked and its SHA-256 computed; its type is decided by content; the bytes are written
to the store under a random key before the database row is committed, and removed again if the
commit fails, so the database never points at a missing object. With a virus scanner
configured the row starts "pending" and its scan is recorded in the outbox in the same
transaction (see grants.services.scanning); nothing downloads it until the scan says clean.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app

from grants.extensions import db
from grants.jobs.outbox import note_pending
from grants.models import Document, ScanStatus, User
from grants.policy import visible_documents
from grants.services import scanning
from grants.services.errors import NotFound, ServiceError
from storage.base import DocumentStore, StorageError
from storage.sniff import ALL_TYPES, FileType, Unrecognised, sniff

CHUNK = 1024 * 1024
IN_MEMORY = 1024 * 1024
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
    limit = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    scannable = scanning.largest_scannable()
    if scannable is not None:
        limit = min(limit, scannable)  # a file the scanner refuses could never be downloaded
    with ExitStack() as cleanup:
        if _seekable(stream):
            # Already on disk or in memory (werkzeug spools uploads): read it where it is.
            source = stream
            size, digest = _measure(source, limit, copy_to=None)
        else:
            source = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=IN_MEMORY))
            size, digest = _measure(stream, limit, copy_to=source)
        try:
            kind = sniff(source, size)
        except Unrecognised as refusal:
            raise ServiceError(str(refusal)) from refusal
        if kind.code not in allowed:
            raise ServiceError(f"The selected file must be a {_type_names(allowed)}")
        key = f"documents/{secrets.token_hex(2)}/{secrets.token_hex(16)}"
        source.seek(0)
        try:
            store().put(key, source, size=size, sha256_hex=digest, content_type=kind.mime)
        except StorageError as failure:
            current_app.logger.warning("document store refused an upload: %s", failure)
            raise ServiceError(NOT_SAVED) from failure
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
        scan_status=ScanStatus.PENDING if scannable is not None else ScanStatus.NOT_SCANNED,
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


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable()) and stream.tell() == 0
    except (AttributeError, OSError, ValueError):
        return False


def _measure(stream: BinaryIO, limit: int, copy_to: BinaryIO | None) -> tuple[int, str]:
    """Read the upload once in chunks: its size (refused past ``limit`` as soon as it gets
    there) and its SHA-256, copying it on the way when it cannot be read twice."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ServiceError(
                f"The selected file must be smaller than {limit // (1024 * 1024)} MB"
            )
        digest.update(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return size, digest.hexdigest()


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
