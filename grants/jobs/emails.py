"""Emails that follow workflow moves. Each is sent once per job (see registry.run_outbox_job)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from grants.extensions import db
from grants.jobs.registry import handler
from grants.mail import send_email
from grants.models import Application, AuditEvent, Award, Membership, User


def _application(payload: dict[str, Any]) -> Application:
    application = db.session.get(Application, payload["object_id"])
    if application is None:
        raise LookupError(f"application {payload['object_id']} no longer exists")
    return application


def _members(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.organisation_id == organisation_id, User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def _last_reason(application: Application, action: str) -> str:
    return (
        db.session.scalar(
            select(AuditEvent.reason)
            .where(
                AuditEvent.object_type == "application",
                AuditEvent.object_id == application.id,
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        or ""
    )


def _send_to_members(application: Application, subject: str, template: str, **context: Any) -> None:
    link = url_for("organisation.application", application_id=application.id, _external=True)
    for member in _members(application.organisation_id):
        send_email(
            member.email,
            subject,
            template,
            name=member.full_name,
            application=application,
            link=link,
            **context,
        )


@handler("email.application_submitted")
def application_submitted(payload: dict[str, Any]) -> None:
    application = _application(payload)
    _send_to_members(
        application, f"We have your application {application.reference}", "application_submitted"
    )


@handler("email.information_requested")
def information_requested(payload: dict[str, Any]) -> None:
    application = _application(payload)
    _send_to_members(
        application,
        f"We need more information about {application.reference}",
        "information_requested",
        question=_last_reason(application, "request_information"),
    )


@handler("email.application_decided")
def application_decided(payload: dict[str, Any]) -> None:
    application = _application(payload)
    approved = application.status.value == "approved"
    award = db.session.scalar(select(Award).where(Award.application_id == application.id))
    offer_link = (
        url_for("offers.offer", award_id=award.id, _external=True) if award is not None else None
    )
    _send_to_members(
        application,
        f"Decision on your application {application.reference}",
        "application_decided",
        approved=approved,
        reasons="" if approved else _last_reason(application, "reject"),
        award=award,
        offer_link=offer_link,
    )
