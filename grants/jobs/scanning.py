"""The email when a virus is found in an uploaded document: to the members of its organisation
and whoever uploaded it, and to every active commissioning officer. Recorded with the quarantine
under one key per document, and sent at most once (see registry.run_outbox_job).

The scan itself (``document.scan``) is registered by grants.services.scanning, next to the rules
it applies: job modules are reached from the workflow engine (engine -> outbox -> registry), so
they may not import services or storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.registry import handler
from grants.mail import send_email
from grants.models import Application, Document, Membership, Organisation, StaffRole, User

INFECTED_EMAIL_JOB = "email.document_infected"


@dataclass(frozen=True)
class Recipient:
    user: User
    staff: bool


def infected_recipients(document: Document) -> list[Recipient]:
    """Each person once: the organisation's active members, the uploader, then the officers."""
    people: dict[int, Recipient] = {}
    if document.organisation_id is not None:
        for user in db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.organisation_id == document.organisation_id, User.is_active)
            .order_by(User.id)
        ):
            people[user.id] = Recipient(user, staff=False)
    uploader = db.session.get(User, document.uploaded_by_id)
    if uploader is not None and uploader.is_active and uploader.id not in people:
        people[uploader.id] = Recipient(uploader, staff=uploader.is_staff)
    for officer in db.session.scalars(
        select(User)
        .where(User.staff_role == StaffRole.COMMISSIONING_OFFICER, User.is_active)
        .order_by(User.id)
    ):
        people.setdefault(officer.id, Recipient(officer, staff=True))
    return list(people.values())


@handler(INFECTED_EMAIL_JOB)
def document_infected(payload: dict[str, Any]) -> None:
    document = db.session.get(Document, payload["document_id"])
    if document is None:
        return  # removed since: there is no file left to warn anyone about
    application = (
        db.session.get(Application, document.application_id) if document.application_id else None
    )
    uploader = db.session.get(User, document.uploaded_by_id)
    whose = _whose(document, application)
    for recipient in infected_recipients(document):
        user = recipient.user
        send_email(
            user.email,
            (
                f"Virus found in a file from {whose}"
                if recipient.staff
                else "A virus was found in a file you sent us"
            ),
            "document_infected",
            name=user.full_name,
            staff=recipient.staff,
            document=document,
            application=application,
            uploader=uploader,
            whose=whose,
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
    return "a user of the service"


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
