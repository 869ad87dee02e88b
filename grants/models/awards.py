"""Awards and what hangs off them: amounts per financial year, payments, returns, variations."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column


class Labelled(enum.Enum):
    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AwardStatus(Labelled):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    TERMINATED = "terminated"


class PaymentStatus(Labelled):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ReturnStatus(Labelled):
    SCHEDULED = "scheduled"
    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WAIVED = "waived"


class VariationStatus(Labelled):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Rag(Labelled):
    """A red, amber or green rating of how an award is going."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Award(TimestampMixin, Base):
    """An offer of funding to an organisation, and once accepted, the grant itself."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    # A partner award issued from an intervention of the office's bid to an outside funder.
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("interventions.id"), index=True)
    status: Mapped[AwardStatus] = mapped_column(
        enum_column(AwardStatus, "award_status"), default=AwardStatus.OFFERED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(Pence())
    # Who approved the award: segregation of duties keeps them from approving its payments.
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    clawback_pence: Mapped[int] = mapped_column(Pence(), default=0)
    # The funded project's dates (from the application; a variation may move the end).
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # Who accepted the offer for the organisation, as they declared it, and when.
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_role: Mapped[str | None] = mapped_column(String(120))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[Programme] = relationship()
    organisation: Mapped[Organisation] = relationship()
    application: Mapped[Application | None] = relationship()
    intervention: Mapped[Intervention | None] = relationship(back_populates="awards")
    conditions: Mapped[list[AwardCondition]] = relationship(
        back_populates="award", cascade="all, delete-orphan", order_by="AwardCondition.position"
    )
    years: Mapped[list[AwardYear]] = relationship(
        back_populates="award", cascade="all, delete-orphan", order_by="AwardYear.financial_year"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="award", order_by="Payment.id")
    returns: Mapped[list[MonitoringReturn]] = relationship(
        back_populates="award", order_by="MonitoringReturn.due_date"
    )
    ratings: Mapped[list[AwardRating]] = relationship(
        back_populates="award", order_by="[AwardRating.rated_at, AwardRating.id]"
    )

    __mapper_args__ = {"version_id_col": version}


class AwardRating(Base):
    """One red/amber/green rating of an award's delivery, spend and risk, with the rater's
    comment. Ratings are kept as history (each is also a ``rate`` event in the ledger); the
    latest is the award's current rating."""

    __tablename__ = "award_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    delivery: Mapped[Rag] = mapped_column(enum_column(Rag, "rag_delivery"))
    spend: Mapped[Rag] = mapped_column(enum_column(Rag, "rag_spend"))
    risk: Mapped[Rag] = mapped_column(enum_column(Rag, "rag_risk"))
    comment: Mapped[str] = mapped_column(Text)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    award: Mapped[Award] = relationship(back_populates="ratings")
    rated_by: Mapped[User | None] = relationship()


class AwardCondition(Base):
    """A condition of the grant. Those before the first payment (bank details verified,
    safeguarding policy in date) block payment until an officer records them as met."""

    __tablename__ = "award_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    before_first_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    met_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    award: Mapped[Award] = relationship(back_populates="conditions")


class AwardYear(Base):
    """The part of an award that falls in one financial year."""

    __tablename__ = "award_years"
    __table_args__ = (UniqueConstraint("award_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Pence())

    award: Mapped[Award] = relationship(back_populates="years")


class Payment(TimestampMixin, Base):
    """A scheduled payment in advance, or a claim in arrears, and its approval and payment."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "payment_status"), default=PaymentStatus.SCHEDULED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    financial_year: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Pence())
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(60))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    award: Mapped[Award] = relationship(back_populates="payments")
    claim_lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="ClaimLine.id"
    )

    __mapper_args__ = {"version_id_col": version}


class MonitoringReturn(TimestampMixin, Base):
    __tablename__ = "monitoring_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(
        enum_column(ReturnStatus, "return_status"), default=ReturnStatus.SCHEDULED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewer_comments: Mapped[str | None] = mapped_column(Text)
    # What the organisation reports (kept as a draft until submitted).
    narrative: Mapped[str | None] = mapped_column(Text)
    case_study: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    # A Community Safety Partnership's return is signed off by its responsible officer.
    signed_off_by: Mapped[str | None] = mapped_column(String(200))
    signed_off_role: Mapped[str | None] = mapped_column(String(120))

    award: Mapped[Award] = relationship(back_populates="returns")
    spend: Mapped[list[ReturnSpend]] = relationship(
        back_populates="monitoring_return", cascade="all, delete-orphan"
    )
    outputs: Mapped[list[ReturnOutput]] = relationship(
        back_populates="monitoring_return", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ReturnSpend(Base):
    """Spend to date on one budget line, as reported in a return."""

    __tablename__ = "return_spend"
    __table_args__ = (UniqueConstraint("return_id", "budget_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_returns.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"))
    spent_pence: Mapped[int] = mapped_column(Pence())

    monitoring_return: Mapped[MonitoringReturn] = relationship(back_populates="spend")


class ReturnOutput(Base):
    """Achieved to date against one output target, as reported in a return."""

    __tablename__ = "return_outputs"
    __table_args__ = (UniqueConstraint("return_id", "output_target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_returns.id"), index=True)
    output_target_id: Mapped[int] = mapped_column(ForeignKey("output_targets.id"))
    achieved: Mapped[int] = mapped_column(Integer)

    monitoring_return: Mapped[MonitoringReturn] = relationship(back_populates="outputs")


class ClaimLine(Base):
    """One item of spend claimed in arrears, with the file that evidences it."""

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    amount_pence: Mapped[int] = mapped_column(Pence())
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    payment: Mapped[Payment] = relationship(back_populates="claim_lines")


class Variation(TimestampMixin, Base):
    """A change to an award's budget, dates or outputs, requested and then decided."""

    __tablename__ = "variations"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    status: Mapped[VariationStatus] = mapped_column(
        enum_column(VariationStatus, "variation_status"), default=VariationStatus.REQUESTED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    # budget (move money between lines), end_date or outputs.
    kind: Mapped[str] = mapped_column(String(20), default="budget")
    new_end_date: Mapped[dt.date | None] = mapped_column(Date)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    award: Mapped[Award] = relationship()

    __mapper_args__ = {"version_id_col": version}


from grants.models.applications import Application  # noqa: E402
from grants.models.bids import Intervention  # noqa: E402
from grants.models.organisations import Organisation  # noqa: E402
from grants.models.programmes import Programme  # noqa: E402
from grants.models.users import User  # noqa: E402
