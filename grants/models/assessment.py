"""Assessing applications: scoring criteria, who assesses what, declarations of interest,
scores with their justifications, due-diligence checks, and the record of each decision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, UTCDateTime


class Criterion(Base):
    """One scoring criterion of a round: assessors score 0 to ``max_score``; ``weight`` is its
    share of the total in per cent (a round's weights add up to 100)."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer, default=5)


class AssessorAssignment(Base):
    __tablename__ = "assessor_assignments"
    __table_args__ = (UniqueConstraint("application_id", "assessor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class InterestDeclaration(Base):
    """A staff member's declaration, before scoring or deciding, of any interest in one
    application; a declared conflict keeps them from scoring or deciding it."""

    __tablename__ = "interest_declarations"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    conflicted: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RegisteredInterest(Base):
    """The register of interests: a staff member's standing interest in an organisation (a
    trustee, say). It conflicts them out of that organisation's applications."""

    __tablename__ = "registered_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("application_id", "assessor_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    criterion: Mapped[Criterion] = relationship()


class DueDiligenceCheck(Base):
    """An eligibility or due-diligence check an officer made (charity registered, accounts
    filed, safeguarding policy in date...), passed or not, with a note."""

    __tablename__ = "due_diligence_checks"
    __table_args__ = (UniqueConstraint("application_id", "check_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    check_key: Mapped[str] = mapped_column(String(40))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DecisionRecord(Base):
    """The public record of a decision: what was decided, for how much, by whom and when, the
    interests declared, and whether it is published or withheld (with the exemption)."""

    __tablename__ = "decision_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(20))  # approved or rejected
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    amount_pence: Mapped[int] = mapped_column(Pence(), default=0)
    decision_maker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    interests_declared: Mapped[str] = mapped_column(Text, default="None declared")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    exemption: Mapped[str | None] = mapped_column(Text)
