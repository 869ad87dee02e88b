"""The virus scan of an uploaded document, and the email when a virus is found.

``document.scan`` runs once per outbox row (see registry.run_outbox_job); the sweep records a
new row when a scan is lost or failed. A failure that may pass (clamd down, the store
unreachable) fails the job after recording "error", so the queue retries it with back-off and,
once it gives up, keeps the reason in RQ's failed registry.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.jobs.registry import handler
from grants.mail import send_email
from grants.models import Application, Document, Organisation, ScanStatus, User
from grants.services import scanning
from storage.clamd import ScanError


@handler(scanning.SCAN_JOB)
def scan(payload: dict[str, Any]) -> None:
    outcome = scanning.scan_document(payload["document_id"])
    if outcome.status is ScanStatus.INFECTED:
        dispatch_pending()  # the email recorded with the quarantine: sent now, not next sweep
    if outcome.worth_retrying:
        raise ScanError(f"document {payload['document_id']} was not scanned: {outcome.failure}")


@handler(scanning.INFECTED_EMAIL_JOB)
def document_infected(payload: dict[str, Any]) -> None:
    document = db.session.get(Document, payload["document_id"])
    if document is None:
        return  # removed since: there is no file left to warn anyone about
    application = scanning.application_of(document)
    uploader = db.session.get(User, document.uploaded_by_id)
    for recipient in scanning.infected_recipients(document):
        user = recipient.user
        send_email(
            user.email,
            (
                f"Virus found in a file from {_whose(document, application)}"
                if recipient.staff
                else "A virus was found in a file you sent us"
            ),
            "document_infected",
            name=user.full_name,
            staff=recipient.staff,
            document=document,
            application=application,
            uploader=uploader,
            signature=payload.get("signature") or "",
            link=_link(document, application, staff=recipient.staff),
        )


def _whose(document: Document, application: Application | None) -> str:
    if application is not None:
        return application.organisation.name
    if document.organisation_id is not None:
        organisation = db.session.get(Organisation, document.organisation_id)
        if organisation is not None:
            return organisation.name
    return "a user"


def _link(document: Document, application: Application | None, *, staff: bool) -> str | None:
    if application is not None:
        endpoint = "staff.application" if staff else "organisation.application"
        return url_for(endpoint, application_id=application.id, _external=True)
    if not staff and document.organisation_id is not None:
        return url_for(
            "dashboards.organisation_dashboard",
            organisation_id=document.organisation_id,
            _external=True,
        )
    return None
