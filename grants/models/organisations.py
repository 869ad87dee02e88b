"""Organisations that apply for, receive or deliver funding, and the people who act for them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, TimestampMixin, UTCDateTime, enum_column


class OrganisationType(enum.Enum):
    REGISTERED_CHARITY = "registered_charity"
    CIO = "charitable_incorporated_organisation"
    COMPANY_LIMITED_BY_GUARANTEE = "company_limited_by_guarantee"
    CIC = "community_interest_company"
    COMMUNITY_GROUP = "community_group"
    LOCAL_AUTHORITY = "local_authority"
    COMMUNITY_SAFETY_PARTNERSHIP = "community_safety_partnership"
    PUBLIC_BODY = "public_body"
    PRIVATE_COMPANY = "private_company"

    @property
    def label(self) -> str:
        return ORGANISATION_TYPE_LABELS[self]


ORGANISATION_TYPE_LABELS = {
    OrganisationType.REGISTERED_CHARITY: "Registered charity",
    OrganisationType.CIO: "Charitable incorporated organisation (CIO)",
    OrganisationType.COMPANY_LIMITED_BY_GUARANTEE: "Company limited by guarantee",
    OrganisationType.CIC: "Community interest company (CIC)",
    OrganisationType.COMMUNITY_GROUP: "Unincorporated community group or club",
    OrganisationType.LOCAL_AUTHORITY: "Local authority",
    OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP: "Community Safety Partnership",
    OrganisationType.PUBLIC_BODY: "Other public body",
    OrganisationType.PRIVATE_COMPANY: "Private company",
}


class MembershipRole(enum.Enum):
    OWNER = "owner"
    MEMBER = "member"


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[OrganisationType] = mapped_column(
        enum_column(OrganisationType, "organisation_type")
    )
    charity_number: Mapped[str | None] = mapped_column(String(20))
    company_number: Mapped[str | None] = mapped_column(String(20))
    # ONS/GSS code for a local authority or the area a CSP covers (e.g. E07000129 for Blaby).
    local_authority_code: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    website: Mapped[str | None] = mapped_column(String(200))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole, "membership_role"))

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: UP037
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(TimestampMixin, Base):
    """An owner's invitation for someone to join their organisation, claimed by emailed link."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole, "invitation_role"))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()


from grants.models.users import User  # noqa: E402
