"""SQLAlchemy models: data only. Rules live in services; state changes in workflows."""

from grants.models.applications import (
    Application,
    ApplicationAnswer,
    ApplicationSection,
    ApplicationStatus,
    BudgetLine,
    InformationRequest,
    OutputTarget,
    ReferenceCounter,
)
from grants.models.audit import GENESIS_HASH, AuditEvent, AuditHead, OutboxJob
from grants.models.awards import (
    Award,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    Payment,
    PaymentStatus,
    ReturnStatus,
    Variation,
    VariationStatus,
)
from grants.models.base import Base, utcnow
from grants.models.bids import ExternalBid, ExternalBidStatus
from grants.models.commissioning import (
    Contract,
    ContractStatus,
    Procurement,
    ProcurementStatus,
)
from grants.models.documents import Document, ScanStatus
from grants.models.organisations import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
)
from grants.models.programmes import (
    EligibilityQuestion,
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
    "GENESIS_HASH",
    "Application",
    "ApplicationAnswer",
    "ApplicationSection",
    "ApplicationStatus",
    "AuditEvent",
    "AuditHead",
    "Award",
    "AwardStatus",
    "AwardYear",
    "Base",
    "BudgetLine",
    "Contract",
    "ContractStatus",
    "Document",
    "EligibilityQuestion",
    "ExternalBid",
    "ExternalBidStatus",
    "InformationRequest",
    "Invitation",
    "Membership",
    "MembershipRole",
    "MonitoringReturn",
    "Organisation",
    "OrganisationType",
    "OutboxJob",
    "OutputTarget",
    "Payment",
    "PaymentStatus",
    "Place",
    "Priority",
    "Procurement",
    "ProcurementStatus",
    "Programme",
    "ProgrammeBudget",
    "ProgrammeKind",
    "RateLimitHit",
    "ReferenceCounter",
    "ReturnStatus",
    "Round",
    "ScanStatus",
    "SignInToken",
    "StaffRole",
    "TokenPurpose",
    "User",
    "Variation",
    "VariationStatus",
    "WebSession",
    "utcnow",
]
