"""What each kind of user sees first after signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardStatus,
    MonitoringReturn,
    Organisation,
    Payment,
    PaymentStatus,
    Programme,
    ReturnStatus,
    Round,
    StaffRole,
    User,
)
from grants.models.csp import CspInvitation, CspUnderspend
from grants.policy import visible_awards, visible_organisations
from grants.services import accounts, applications, claims, csp, programmes, returns
from grants.services.errors import NotFound

LIVE_AWARDS = {AwardStatus.ACCEPTED, AwardStatus.ACTIVE, AwardStatus.SUSPENDED}


@dataclass
class OrganisationDashboard:
    organisation: Organisation
    applications: list[Application]
    is_owner: bool
    open_rounds: list[Round] = field(default_factory=list)
    offers: list[Award] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    returns_due: list[MonitoringReturn] = field(default_factory=list)
    claims: list[Payment] = field(default_factory=list)
    today: dt.date | None = None
    # Plan rounds the organisation (a CSP) is invited to and has no plan in yet.
    invitations: list[CspInvitation] = field(default_factory=list)
    # Application id -> the changes the office asked for, for those sent back.
    changes_asked: dict[int, str] = field(default_factory=dict)

    @property
    def questions(self) -> list[Application]:
        return [a for a in self.applications if a.status is ApplicationStatus.INFORMATION_REQUESTED]

    @property
    def drafts(self) -> list[Application]:
        """Drafts not yet sent: those sent back for changes are listed apart."""
        return [
            a
            for a in self.applications
            if a.status is ApplicationStatus.DRAFT and a.reference is None
        ]

    @property
    def sent_back(self) -> list[Application]:
        return [
            a
            for a in self.applications
            if a.status is ApplicationStatus.DRAFT and a.reference is not None
        ]

    def is_overdue(self, monitoring_return: MonitoringReturn) -> bool:
        return returns.is_overdue(monitoring_return, self.today or london_today())


def organisations_of(user: User) -> list[Organisation]:
    return list(db.session.scalars(visible_organisations(user).order_by(Organisation.name)))


def organisation_dashboard(user: User, organisation_id: int) -> OrganisationDashboard:
    organisation = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation_id)
    )
    if organisation is None or user.is_staff:
        raise NotFound
    awards = list(
        db.session.scalars(
            visible_awards(user)
            .options(
                selectinload(Award.returns),
                selectinload(Award.payments),
                selectinload(Award.years),
            )
            .where(Award.organisation_id == organisation_id)
            .order_by(Award.created_at.desc())
        )
    )
    live = [a for a in awards if a.status in LIVE_AWARDS]
    own = applications.applications_of_organisation(user, organisation_id)
    return OrganisationDashboard(
        organisation=organisation,
        applications=own,
        invitations=csp.open_invitations(organisation_id),
        changes_asked=_changes_asked(
            [a.id for a in own if a.status is ApplicationStatus.DRAFT and a.reference]
        ),
        is_owner=any(
            m.organisation_id == organisation_id and m.role.value == "owner"
            for m in user.memberships
        ),
        open_rounds=programmes.open_rounds_summary(),
        offers=[a for a in awards if a.status is AwardStatus.OFFERED],
        awards=live,
        returns_due=sorted(
            (
                r
                for a in live
                for r in a.returns
                if r.status in {ReturnStatus.OPEN, ReturnStatus.RETURNED}
            ),
            key=lambda r: r.due_date,
        ),
        claims=[
            p
            for a in live
            for p in a.payments
            if p.status in {PaymentStatus.CLAIMED, PaymentStatus.APPROVED}
            or claims.is_claim_draft(p)
        ],
        today=london_today(),
    )


def _changes_asked(application_ids: list[int]) -> dict[int, str]:
    """The reason given when each application was last sent back for changes."""
    if not application_ids:
        return {}
    asked: dict[int, str] = {}
    for object_id, reason in db.session.execute(
        select(AuditEvent.object_id, AuditEvent.reason)
        .where(
            AuditEvent.object_type == "application",
            AuditEvent.object_id.in_(application_ids),
            AuditEvent.action == "request_changes",
        )
        .order_by(AuditEvent.seq)
    ):
        asked[object_id] = reason or ""
    return asked


@dataclass
class StaffDashboard:
    role: StaffRole
    programmes: list[Programme]
    counts: list[tuple[ApplicationStatus, int]]
    recent: list[Application]
    staff_users: list[User] = field(default_factory=list)
    # CSPs flagged for forecast underspend and waiting for a decision (commissioning officer).
    underspends: list[CspUnderspend] = field(default_factory=list)


def staff_dashboard(user: User) -> StaffDashboard:
    assert user.staff_role is not None
    dashboard = StaffDashboard(
        role=user.staff_role,
        programmes=programmes.all_programmes(),
        counts=applications.counts_by_status(user),
        recent=applications.recent_applications(user),
    )
    if user.staff_role is StaffRole.ADMINISTRATOR:
        dashboard.staff_users = accounts.staff_users()
    if user.staff_role is StaffRole.COMMISSIONING_OFFICER:
        dashboard.underspends = csp.underspends_waiting(user)
    return dashboard


def organisation_for_member(user: User, organisation_id: int) -> Organisation:
    organisation = db.session.scalar(
        visible_organisations(user)
        .options(selectinload(Organisation.memberships))
        .where(Organisation.id == organisation_id)
    )
    if organisation is None or user.is_staff:
        raise NotFound
    return organisation
