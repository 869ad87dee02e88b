"""People who sign in, how they sign in, and their server-side sessions."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, TimestampMixin, UTCDateTime, enum_column


class StaffRole(enum.Enum):
    COMMISSIONING_OFFICER = "commissioning_officer"
    ASSESSOR = "assessor"
    DECISION_MAKER = "decision_maker"
    FINANCE = "finance"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # None for community-group users; staff have exactly one role.
    staff_role: Mapped[StaffRole | None] = mapped_column(enum_column(StaffRole, "staff_role"))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted, so a code cannot be replayed inside its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None

    @property
    def organisation_ids(self) -> set[int]:
        return {membership.organisation_id for membership in self.memberships}


class TokenPurpose(enum.Enum):
    SIGN_IN = "sign_in"
    ACCOUNT_SETUP = "account_setup"


class SignInToken(TimestampMixin, Base):
    """A single-use emailed link. Only the SHA-256 of the token is stored."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A server-side session. The cookie holds a random id; the row is keyed by its SHA-256."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class RateLimitHit(Base):
    """One attempt against a rate-limited action; counted over a sliding window."""

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


from grants.models.organisations import Membership  # noqa: E402
