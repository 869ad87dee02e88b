"""Virus scanning with ClamAV's clamd, as a job after each upload.

With a scanner configured (CLAMD_SOCKET or CLAMD_HOST) a new document is "pending" and its scan
is recorded in the outbox in the same transaction as its row, so the scan cannot be lost
between the two; nothing downloads the file until the scan says it is clean. A virus moves the
object under ``quarantine/`` (kept, so officers can see what was found, but never downloadable)
and the uploader's organisation and the commissioning officers are emailed once. A scan that
fails is "error", never clean, and the sweep asks again later, as it does for a scan whose job
was lost. Without a scanner documents are "not scanned", and officers see that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.jobs.registry import handler
from grants.jobs.scanning import INFECTED_EMAIL_JOB
from grants.models import Document, OutboxJob, ScanStatus, utcnow
from storage.base import DocumentStore, ObjectExists, StorageError
from storage.clamd import Clamd, ScanError, StreamTooLarge, Verdict

SCAN_JOB = "document.scan"
QUARANTINE_PREFIX = "quarantine/"
WAITING = (ScanStatus.PENDING, ScanStatus.ERROR)
# A scan not settled this long after it was asked for is asked for again; each further attempt
# waits twice as long as the one before, up to the longest wait.
RESCAN_AFTER = dt.timedelta(minutes=5)
LONGEST_WAIT = dt.timedelta(hours=6)
CHUNK = 1024 * 1024


def _store() -> DocumentStore:
    return current_app.extensions["document_store"]


def scanner() -> Clamd | None:
    """The configured clamd, or None when there is no scanner."""
    config = current_app.config
    if not (config.get("CLAMD_SOCKET") or config.get("CLAMD_HOST")):
        return None
    return Clamd(
        socket_path=config.get("CLAMD_SOCKET"),
        host=config.get("CLAMD_HOST"),
        port=config["CLAMD_PORT"],
        connect_timeout=config["CLAMD_CONNECT_TIMEOUT"],
        timeout=config["CLAMD_TIMEOUT"],
        max_stream_bytes=config["CLAMD_MAX_STREAM_BYTES"],
    )


def is_enabled() -> bool:
    config = current_app.config
    return bool(config.get("CLAMD_SOCKET") or config.get("CLAMD_HOST"))


def largest_scannable() -> int | None:
    """The largest file the scanner takes, or None without a scanner. A larger file could
    never be shown to be clean, so uploads are limited to this."""
    return current_app.config["CLAMD_MAX_STREAM_BYTES"] if is_enabled() else None


def request_scan(document: Document, attempt: int = 1) -> None:
    """Record the document's scan in the outbox, in the caller's transaction (the document
    needs its id: flush first). Each attempt has its own key, so a retry is a new job."""
    db.session.add(
        OutboxJob(
            job=SCAN_JOB,
            payload=json.dumps({"document_id": document.id}),
            dedupe_key=f"{SCAN_JOB}:{document.id}:{attempt}",
        )
    )


@dataclass(frozen=True)
class ScanOutcome:
    status: ScanStatus | None  # None: nothing to do (removed, or settled by another run)
    signature: str | None = None
    failure: str | None = None
    # A failure that may pass (scanner down, store unreachable), as opposed to a file the
    # scanner will never take.
    worth_retrying: bool = False


def scan_document(document_id: int) -> ScanOutcome:
    """Scan a stored document and record what was found. Safe to run twice, at once or one
    after another: only a run that finds the document still waiting changes it."""
    document = db.session.get(Document, document_id)
    if document is None or document.scan_status not in WAITING:
        db.session.rollback()
        return ScanOutcome(None)
    key, digest, size = document.storage_key, document.sha256, document.size_bytes
    content_type = document.content_type
    # No transaction stays open while clamd reads the file (SQLite would block every writer).
    db.session.commit()
    client = scanner()
    try:
        if client is None:
            raise ScanError("no virus scanner is configured here (CLAMD_SOCKET or CLAMD_HOST)")
        verdict = _scan_stored(client, key, digest, size)
    except (ScanError, StorageError) as failure:
        current_app.logger.warning("document %s could not be scanned: %s", document_id, failure)
        settled = _settle(document_id, key, ScanStatus.ERROR)
        return ScanOutcome(
            ScanStatus.ERROR if settled else None,
            failure=str(failure),
            worth_retrying=settled and not isinstance(failure, StreamTooLarge | StoredFileDiffers),
        )
    if verdict.clean:
        return ScanOutcome(
            ScanStatus.CLEAN if _settle(document_id, key, ScanStatus.CLEAN) else None
        )
    current_app.logger.warning(
        "virus %s found in document %s; quarantining it", verdict.signature, document_id
    )
    moved = _quarantine(document_id, key, digest, size, content_type, verdict.signature or "")
    return ScanOutcome(ScanStatus.INFECTED if moved else None, signature=verdict.signature)


@handler(SCAN_JOB)
def scan_job(payload: dict[str, Any]) -> None:
    """The ``document.scan`` job. A failure that may pass fails the job after "error" is
    recorded, so the queue retries it with back-off and, once it gives up, keeps the reason in
    RQ's failed registry; the sweep asks again later either way."""
    outcome = scan_document(payload["document_id"])
    if outcome.status is ScanStatus.INFECTED:
        dispatch_pending()  # the email recorded with the quarantine: sent now, not next sweep
    if outcome.worth_retrying:
        raise ScanError(f"document {payload['document_id']} was not scanned: {outcome.failure}")


class StoredFileDiffers(ScanError):
    """What the store holds is not what was uploaded: scanning it again will not change that."""


class _Hashing:
    """Reads the stored object for clamd while checking it is the file that was uploaded."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self.source.read(size)
        except Exception as exc:
            # Backends raise their own errors mid-stream (botocore's read timeouts, for one).
            raise StorageError(f"the stored file could not be read: {exc}") from exc
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def _scan_stored(client: Clamd, key: str, digest: str, size: int) -> Verdict:
    if size > client.max_stream_bytes:
        raise StreamTooLarge(
            f"the file ({size} bytes) is larger than the scanner takes "
            f"({client.max_stream_bytes} bytes)"
        )
    source = _store().open(key)
    try:
        reader = _Hashing(source)
        verdict = client.scan(reader, size)
    finally:
        source.close()
    if reader.size != size or reader.digest.hexdigest() != digest:
        raise StoredFileDiffers(f"the stored object {key} does not match the upload's SHA-256")
    return verdict


def _settle(document_id: int, key: str, status: ScanStatus) -> bool:
    """Record a scan's result unless another run got there first (or the row went)."""
    changed = db.session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.storage_key == key,
            Document.scan_status.in_(WAITING),
        )
        .values(scan_status=status)
    )
    db.session.commit()
    return changed.rowcount == 1


def _quarantine(
    document_id: int, key: str, digest: str, size: int, content_type: str, signature: str
) -> bool:
    """Move the object under quarantine/ and mark the row infected, with the email to send, in
    one transaction. The copy is written first and the original removed last, so the row
    always points at an object; a failure part-way leaves it waiting for the next attempt."""
    target = QUARANTINE_PREFIX + key
    _copy(key, target, digest, size, content_type)
    moved = db.session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.storage_key == key,
            Document.scan_status.in_(WAITING),
        )
        .values(scan_status=ScanStatus.INFECTED, storage_key=target)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        if db.session.scalar(select(Document.id).where(Document.storage_key == target)) is None:
            _delete_quietly(target)
        return False
    db.session.add(
        OutboxJob(
            job=INFECTED_EMAIL_JOB,
            payload=json.dumps({"document_id": document_id, "signature": signature}),
            dedupe_key=f"{INFECTED_EMAIL_JOB}:{document_id}",
        )
    )
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _delete_quietly(target)
        raise
    _delete_quietly(key)  # if this fails the orphan sweep removes it: no row points at it
    return True


def _copy(key: str, target: str, digest: str, size: int, content_type: str) -> None:
    store = _store()
    with tempfile.SpooledTemporaryFile(max_size=CHUNK) as copy:
        source = store.open(key)
        try:
            while chunk := source.read(CHUNK):
                copy.write(chunk)
        finally:
            source.close()
        copy.seek(0)
        # An earlier attempt may have copied it already (the store checked the same checksum).
        with contextlib.suppress(ObjectExists):
            store.put(target, copy, size=size, sha256_hex=digest, content_type=content_type)


def _delete_quietly(key: str) -> None:
    try:
        _store().delete(key)
    except StorageError as failure:
        current_app.logger.warning("could not remove %s from the document store: %s", key, failure)


# The sweep ------------------------------------------------------------------------------------


def requeue_unsettled(now: dt.datetime | None = None) -> list[int] | None:
    """Ask again for scans still pending (their job lost or stuck) or failed, once their last
    attempt is old enough; returns the documents asked for, or None without a scanner. A scan
    whose job is still waiting in the outbox is left to the outbox's own dispatch, and a file
    the scanner will never take is not asked for again."""
    if not is_enabled():
        return None
    now = now or utcnow()
    largest = current_app.config["CLAMD_MAX_STREAM_BYTES"]
    waiting = db.session.scalars(
        select(Document.id)
        .where(
            Document.scan_status.in_(WAITING),
            Document.created_at <= now - RESCAN_AFTER,
            Document.size_bytes <= largest,
        )
        .order_by(Document.id)
    ).all()
    requeued = []
    for document_id in waiting:
        attempts, last_asked, undelivered = _attempts(document_id)
        if undelivered:
            continue
        wait = min(RESCAN_AFTER * 2 ** max(attempts - 1, 0), LONGEST_WAIT)
        if last_asked is not None and now - last_asked < wait:
            continue
        document = db.session.get(Document, document_id)
        if document is None:
            continue
        request_scan(document, attempt=attempts + 1)
        try:
            db.session.commit()
        except IntegrityError:  # another sweep asked a moment ago
            db.session.rollback()
            continue
        requeued.append(document_id)
    return requeued


def _attempts(document_id: int) -> tuple[int, dt.datetime | None, bool]:
    """How many scans were asked for, when the last one was, and whether one is still waiting
    to be handed to the queue."""
    prefix = f"{SCAN_JOB}:{document_id}:"
    jobs = (
        select(OutboxJob)
        .where(OutboxJob.job == SCAN_JOB, OutboxJob.dedupe_key.startswith(prefix, autoescape=True))
        .subquery()
    )
    attempts, last_asked = db.session.execute(
        select(func.count(), func.max(jobs.c.created_at)).select_from(jobs)
    ).one()
    undelivered = db.session.scalar(
        select(func.count())
        .select_from(jobs)
        .where(jobs.c.dispatched_at.is_(None), jobs.c.completed_at.is_(None))
    )
    return attempts, last_asked, bool(undelivered)
