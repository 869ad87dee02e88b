"""What each kind of user sees first after signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
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
from grants.policy import visible_awards, visible_organisations
from grants.services import accounts, applications, claims, programmes, returns
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

    @property
    def questions(self) -> list[Application]:
        return [a for a in self.applications if a.status is ApplicationStatus.INFORMATION_REQUESTED]

    @property
    def drafts(self) -> list[Application]:
        return [a for a in self.applications if a.status is ApplicationStatus.DRAFT]

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
    return OrganisationDashboard(
        organisation=organisation,
        applications=applications.applications_of_organisation(user, organisation_id),
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


@dataclass
class StaffDashboard:
    role: StaffRole
    programmes: list[Programme]
    counts: list[tuple[ApplicationStatus, int]]
    recent: list[Application]
    staff_users: list[User] = field(default_factory=list)


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
