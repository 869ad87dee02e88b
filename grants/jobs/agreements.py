"""The grant agreement: a PDF drawn up from the award's own data when the award is offered, and
drawn up again (a new version of the same document) whenever the award has changed since."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.registry import handler
from grants.models import AuditEvent, Award, Document, ScanStatus
from grants.services.threesixty import recipient_identifier

AGREEMENT_PURPOSE = "grant_agreement"

# The award version an agreement was drawn from is part of its storage key (the documents table
# has no column for it): a job that finds the agreement already drawn from this version of the
# award has nothing to do.
_KEY = "documents/agreements/{award_id}/v{version}-{token}.pdf"
_KEY_VERSION = re.compile(r"^documents/agreements/\d+/v(\d+)-[0-9a-f]+\.pdf$")


@handler("agreement.render")
def render_agreement(payload: dict[str, Any]) -> None:
    # Locking the award row (PostgreSQL; SQLite serialises writers anyway) keeps two renders of
    # the same award from both deciding a new version is needed.
    award = db.session.get(Award, payload["object_id"], with_for_update=True)
    if award is None:
        raise LookupError(f"award {payload['object_id']} no longer exists")
    latest = latest_agreement(award.id)
    if latest is not None and drawn_from_version(latest) == award.version:
        db.session.rollback()  # nothing to do: release the lock
        return
    version = latest.version + 1 if latest is not None else 1
    store_agreement(award, agreement_pdf(award, version), latest)


def latest_agreement(award_id: int) -> Document | None:
    """The latest version of an award's grant agreement, or None before the first is drawn."""
    return db.session.scalar(
        select(Document)
        .where(Document.award_id == award_id, Document.purpose == AGREEMENT_PURPOSE)
        .order_by(Document.version.desc(), Document.id.desc())
        .limit(1)
    )


def drawn_from_version(document: Document) -> int | None:
    """The award version an agreement was drawn from, or None if its key does not say."""
    match = _KEY_VERSION.match(document.storage_key)
    return int(match.group(1)) if match else None


def agreement_pdf(award: Award, document_version: int = 1) -> bytes:
    """The agreement as PDF bytes; nothing is fetched from anywhere while it is drawn."""
    # Slow to import: only processes that draw agreements pay for it.
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    html = render_template(
        "agreements/agreement.html",
        award=award,
        organisation=award.organisation,
        # The same org-id as the published 360Giving data gives the organisation.
        organisation_identifier=recipient_identifier(award.organisation),
        document_version=document_version,
        commissioner=f"Office of the {current_app.config['SERVICE_OWNER']}",
    )
    # The agreement is drawn from the template alone: a reference to anything outside it
    # (a web font, an image) is a mistake to fail on, not a request to make.
    offline = URLFetcher(allowed_protocols=(), fail_on_errors=True)
    try:
        return HTML(string=html, base_url=None, url_fetcher=offline).write_pdf()
    except FatalURLFetchingError as refusal:
        # A BaseException in WeasyPrint: made an ordinary failure, so the job is retried.
        raise RuntimeError(
            f"the grant agreement refers to something outside it: {refusal}"
        ) from None


def store_agreement(award: Award, data: bytes, replaces: Document | None) -> Document:
    """The bytes go to the store first, then the row; if the row cannot be saved the object is
    removed again, so no row ever points at a missing file."""
    digest = hashlib.sha256(data).hexdigest()
    key = _KEY.format(award_id=award.id, version=award.version, token=secrets.token_hex(16))
    store = current_app.extensions["document_store"]
    store.put(
        key, io.BytesIO(data), size=len(data), sha256_hex=digest, content_type="application/pdf"
    )
    document = Document(
        storage_key=key,
        organisation_id=award.organisation_id,
        award_id=award.id,
        uploaded_by_id=_drawn_up_by(award),
        purpose=AGREEMENT_PURPOSE,
        filename=f"Grant agreement {award.reference}.pdf",
        file_type="pdf",
        content_type="application/pdf",
        size_bytes=len(data),
        sha256=digest,
        # Drawn up here from the award's data, never uploaded: there is nothing to scan.
        scan_status=ScanStatus.NOT_SCANNED,
        lineage_id=(replaces.lineage_id or replaces.id) if replaces is not None else None,
        version=replaces.version + 1 if replaces is not None else 1,
    )
    db.session.add(document)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.delete(key)
        raise
    return document


def _drawn_up_by(award: Award) -> int:
    """Who the agreement is recorded against: whoever approved the award, else whoever
    recommended it, else whoever made the offer."""
    user_id = award.approved_by_id or award.recommended_by_id
    if user_id is None:
        user_id = db.session.scalar(
            select(AuditEvent.actor_id).where(
                AuditEvent.object_type == "award",
                AuditEvent.object_id == award.id,
                AuditEvent.action == "create",
            )
        )
    if user_id is None:
        raise LookupError(f"award {award.id} has no officer to record its agreement against")
    return user_id
