"""Applications for funding: their answers and budget lines."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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
    # The officer's recommendation that comes before the decision.
    recommendation: Mapped[str | None] = mapped_column(String(20))  # approve or reject
    recommended_amount_pence: Mapped[int | None] = mapped_column(Pence())
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
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
    output_targets: Mapped[list[OutputTarget]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="OutputTarget.position",
    )
    sections: Mapped[list[ApplicationSection]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    information_requests: Mapped[list[InformationRequest]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="InformationRequest.id",
    )
    assignments: Mapped[list[AssessorAssignment]] = relationship(
        cascade="all, delete-orphan", order_by="AssessorAssignment.id"
    )
    interest_declarations: Mapped[list[InterestDeclaration]] = relationship(
        cascade="all, delete-orphan", order_by="InterestDeclaration.id"
    )
    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan", order_by="Score.id")
    checks: Mapped[list[DueDiligenceCheck]] = relationship(
        cascade="all, delete-orphan", order_by="DueDiligenceCheck.id"
    )
    decision_record: Mapped[DecisionRecord | None] = relationship()
    # Every version of every file uploaded to the application, oldest first.
    documents: Mapped[list[Document]] = relationship(viewonly=True, order_by="Document.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def budget_total_pence(self) -> int:
        return sum(line.amount_pence for line in self.budget_lines)

    @property
    def answer_map(self) -> dict[str, str]:
        return {answer.question_key: answer.value for answer in self.answers}

    @property
    def uses_full_form(self) -> bool:
        """Above the round's threshold the full form applies; at or below it, the short one."""
        return self.amount_requested_pence > self.round.short_form_threshold_pence

    @property
    def current_documents(self) -> dict[str, Document]:
        """The latest version of each document, by purpose."""
        return {document.purpose: document for document in self.documents}

    @property
    def open_information_request(self) -> InformationRequest | None:
        return next((r for r in self.information_requests if r.answered_at is None), None)


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


class OutputTarget(Base):
    """Something the project will deliver or change, with a number to report against."""

    __tablename__ = "output_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    target: Mapped[int] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="output_targets")


class ApplicationSection(Base):
    """An applicant's mark that a section of the form is complete (the task list's status)."""

    __tablename__ = "application_sections"
    __table_args__ = (UniqueConstraint("application_id", "section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    section_key: Mapped[str] = mapped_column(String(40))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counts saves, so a page saved over someone else's newer save of the section is refused.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="sections")


class InformationRequest(Base):
    """A question an officer or assessor asked the applicant, and the applicant's answer."""

    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    response_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    application: Mapped[Application] = relationship(back_populates="information_requests")
    response_document: Mapped[Document | None] = relationship()


class ReferenceCounter(Base):
    """The last reference number given per prefix and financial year (PF-2526-0042 is 42),
    taken with an UPDATE so two submissions at once never get the same number."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    financial_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


from grants.models.assessment import (  # noqa: E402
    AssessorAssignment,
    DecisionRecord,
    DueDiligenceCheck,
    InterestDeclaration,
    Score,
)
from grants.models.documents import Document  # noqa: E402
