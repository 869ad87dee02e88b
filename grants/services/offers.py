"""The organisation's side of an offer: reading it and its grant agreement, accepting it with a
named signatory's declaration, or declining it with a reason.

Every check that can refuse the move is made here first, in the order the engine makes them,
so the page can say what is wrong; the engine checks everything again when the move is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.jobs.agreements import latest_agreement
from grants.models import AuditEvent, Award, AwardCondition, AwardStatus, Document, User, utcnow
from grants.policy import visible_awards
from grants.services.errors import NotFound, ServiceError
from workflows.engine import fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

NAME_MAX = 200
ROLE_MAX = 120
REASON_MAX = 2_000
NAME_MISSING = "Enter the full name of the person accepting the offer"
NAME_TOO_LONG = f"Full name must be {NAME_MAX} characters or fewer"
ROLE_MISSING = "Enter their role in the organisation"
ROLE_TOO_LONG = f"Role must be {ROLE_MAX} characters or fewer"
REASON_MISSING = "Enter why you are declining the offer"
REASON_TOO_LONG = f"Your reason must be {REASON_MAX:,} characters or fewer"
EXPIRED = "This offer has expired"


class ChangedMeanwhile(ServiceError):
    """The award changed after the page was shown (another tab, another member)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or ChangedBySomeoneElse().message)


@dataclass(frozen=True)
class Declined:
    """The organisation's answer when it declined, from the ledger."""

    at: dt.datetime
    reason: str


def offer_for(user: User, award_id: int) -> Award:
    """An award of one of the user's organisations; NotFound for anyone else's, and for staff
    (these pages are the organisation's; staff have their own)."""
    if user.is_staff:
        raise NotFound
    award = db.session.scalar(
        visible_awards(user)
        .options(
            selectinload(Award.organisation),
            selectinload(Award.programme),
            selectinload(Award.years),
            selectinload(Award.conditions),
            selectinload(Award.payments),
            selectinload(Award.returns),
        )
        .where(Award.id == award_id)
    )
    if award is None:
        raise NotFound
    return award


def offers_of_organisation(user: User, organisation_id: int) -> list[Award]:
    """Offers waiting for the organisation's answer, the soonest to expire first."""
    return list(
        db.session.scalars(
            visible_awards(user)
            .where(Award.organisation_id == organisation_id, Award.status == AwardStatus.OFFERED)
            .order_by(Award.offer_expires_at.is_(None), Award.offer_expires_at, Award.id)
        )
    )


def agreement_for(award: Award) -> Document | None:
    """The latest version of the award's grant agreement, or None while it is being drawn up."""
    return latest_agreement(award.id)


def is_expired(award: Award, now: dt.datetime | None = None) -> bool:
    expires = award.offer_expires_at
    return expires is not None and (now or utcnow()) >= expires


def can_respond(award: Award) -> bool:
    """Whether the organisation can still accept or decline: offered and not yet expired."""
    return closed_message(award) is None


def pre_payment_conditions(award: Award) -> list[AwardCondition]:
    return [c for c in award.conditions if c.before_first_payment]


def closed_message(award: Award) -> str | None:
    """Why the offer can no longer be answered, or None while it can."""
    if award.status is AwardStatus.OFFERED:
        return EXPIRED if is_expired(award) else None
    if award.status is AwardStatus.DECLINED:
        return "This offer has been declined"
    if award.status is AwardStatus.LAPSED:
        return "This offer has lapsed: it was not accepted in time"
    return "This offer has already been accepted"


def declaration_text(award: Award) -> str:
    """What the signatory declares; recorded word for word with the acceptance."""
    name = award.organisation.name
    return (
        f"I confirm I am authorised to accept this grant on behalf of {name} and that {name} "
        "agrees to the terms and conditions in the grant agreement"
    )


def accept(
    user: User, award_id: int, name: str | None, role: str | None, expected_version: int | None
) -> Award:
    """Accept the offer for the organisation: the signatory's name and role, the declaration
    they made and the time go into the award and its ledger event."""
    award = offer_for(user, award_id)
    name, role = _normalised(name), _normalised(role)
    _check_open(award, expected_version)
    _check_text(name, "signatory", NAME_MISSING, NAME_MAX, NAME_TOO_LONG)
    _check_text(role, "role", ROLE_MISSING, ROLE_MAX, ROLE_TOO_LONG)
    _fire(
        user,
        award,
        "accept",
        expected_version,
        signatory=name,
        signatory_role=role,
        declaration=declaration_text(award),
    )
    return award


def decline(user: User, award_id: int, reason: str | None, expected_version: int | None) -> Award:
    """Decline the offer, with the organisation's reason."""
    award = offer_for(user, award_id)
    reason = _normalised(reason)
    _check_open(award, expected_version)
    _check_text(reason, "reason", REASON_MISSING, REASON_MAX, REASON_TOO_LONG)
    _fire(user, award, "decline", expected_version, reason=reason)
    return award


def declined(award: Award) -> Declined | None:
    """When and why the offer was declined, as the ledger recorded it."""
    if award.status is not AwardStatus.DECLINED:
        return None
    event = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "award",
            AuditEvent.object_id == award.id,
            AuditEvent.action == "decline",
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if event is None:
        return None
    return Declined(at=event.occurred_at, reason=event.reason or "")


def _fire(
    user: User, award: Award, trigger: str, expected_version: int | None, **payload: object
) -> None:
    try:
        fire(user, award, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        # Only a change made between the checks above and the move gets here.
        db.session.rollback()
        if isinstance(refusal, ChangedBySomeoneElse):
            raise ChangedMeanwhile(refusal.message) from refusal
        raise ServiceError(refusal.message) from refusal


def _check_open(award: Award, expected_version: int | None) -> None:
    # As in the engine, a stale page is said first: it is the likeliest reason for a refusal.
    if expected_version is not None and award.version != expected_version:
        raise ChangedMeanwhile
    closed = closed_message(award)
    if closed:
        raise ServiceError(closed)


def _normalised(text: str | None) -> str:
    # Browsers send line breaks as CRLF but count them as one character, as the character
    # count does: count them the same way here.
    return (text or "").replace("\r\n", "\n").strip()


def _check_text(text: str, field: str, missing: str, limit: int, too_long: str) -> None:
    if not text:
        raise ServiceError(missing, field=field)
    if len(text) > limit:
        raise ServiceError(too_long, field=field)
