"""Applications for funding: their answers and budget lines."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column, utcnow
from grants.models.organisations import Organisation
from grants.models.programmes import Round


class ApplicationStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_ASSESSMENT = "in_assessment"
    INFORMATION_REQUESTED = "information_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Application(TimestampMixin, Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Given at submission, e.g. PF-2526-0042; drafts have none.
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT
    )
    # Optimistic lock: every change bumps it, and a stale writer is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    project_title: Mapped[str] = mapped_column(String(200), default="")
    amount_requested_pence: Mapped[int] = mapped_column(Pence(), default=0)
    # Set by the decision: may be less than requested, never more.
    amount_approved_pence: Mapped[int | None] = mapped_column(Pence())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()
    answers: Mapped[list[ApplicationAnswer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="BudgetLine.position",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def budget_total_pence(self) -> int:
        return sum(line.amount_pence for line in self.budget_lines)


class ApplicationAnswer(Base):
    """One answer to one question of the round's form, keyed by the question's stable key."""

    __tablename__ = "application_answers"
    __table_args__ = (UniqueConstraint("application_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="answers")


class BudgetLine(Base):
    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    financial_year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    amount_pence: Mapped[int] = mapped_column(Pence())

    application: Mapped[Application] = relationship(back_populates="budget_lines")
