"""SQLAlchemy models: data only. Rules live in services; state changes in workflows."""

from grants.models.applications import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    BudgetLine,
)
from grants.models.base import Base, utcnow
from grants.models.organisations import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
)
from grants.models.programmes import (
    Place,
    Priority,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    Round,
)
from grants.models.users import (
    RateLimitHit,
    SignInToken,
    StaffRole,
    TokenPurpose,
    User,
    WebSession,
)

__all__ = [
    "Application",
    "ApplicationAnswer",
    "ApplicationStatus",
    "Base",
    "BudgetLine",
    "Invitation",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationType",
    "Place",
    "Priority",
    "Programme",
    "ProgrammeBudget",
    "ProgrammeKind",
    "RateLimitHit",
    "Round",
    "SignInToken",
    "StaffRole",
    "TokenPurpose",
    "User",
    "WebSession",
    "utcnow",
]
