"""Emails about CSP annual plans: a partnership invited to send its plan, and a plan (or any
application) sent back for changes. Registered through grants.jobs.catalogue, as every
handler is."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.emails import _application, _last_reason, _members, _send_to_members
from grants.jobs.registry import handler
from grants.mail import send_email
from grants.models.csp import CspInvitation

CHANGES_REQUESTED = "email.changes_requested"
INVITATION = "email.csp_invitation"


@handler(CHANGES_REQUESTED)
def changes_requested(payload: dict[str, Any]) -> None:
    application = _application(payload)
    if application.reference is None:
        return  # nothing was ever sent, so nothing can have been sent back
    _send_to_members(
        application,
        f"Changes asked for to {application.reference}",
        "changes_requested",
        changes=_last_reason(application, "request_changes"),
        change_link=url_for("apply.tasks", application_id=application.id, _external=True),
    )


@handler(INVITATION)
def csp_invitation(payload: dict[str, Any]) -> None:
    invitation = db.session.scalar(
        select(CspInvitation).where(CspInvitation.id == payload["invitation_id"])
    )
    if invitation is None:
        raise LookupError(f"invitation {payload['invitation_id']} no longer exists")
    round_ = invitation.round
    link = url_for("apply.start", round_id=round_.id, _external=True)
    for member in _members(invitation.organisation_id):
        send_email(
            member.email,
            f"Send your annual plan: {round_.name}",
            "csp_invitation",
            name=member.full_name,
            organisation=invitation.organisation,
            round=round_,
            link=link,
        )
