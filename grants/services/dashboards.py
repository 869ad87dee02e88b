"""What each kind of user sees first after signing in."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Organisation,
    Programme,
    Round,
    StaffRole,
    User,
)
from grants.policy import visible_organisations
from grants.services import accounts, applications, programmes
from grants.services.errors import NotFound


@dataclass
class OrganisationDashboard:
    organisation: Organisation
    applications: list[Application]
    is_owner: bool
    open_rounds: list[Round] = field(default_factory=list)


def organisations_of(user: User) -> list[Organisation]:
    return list(db.session.scalars(visible_organisations(user).order_by(Organisation.name)))


def organisation_dashboard(user: User, organisation_id: int) -> OrganisationDashboard:
    organisation = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation_id)
    )
    if organisation is None or user.is_staff:
        raise NotFound
    return OrganisationDashboard(
        organisation=organisation,
        applications=applications.applications_of_organisation(user, organisation_id),
        is_owner=any(
            m.organisation_id == organisation_id and m.role.value == "owner"
            for m in user.memberships
        ),
        open_rounds=programmes.open_rounds_summary(),
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
