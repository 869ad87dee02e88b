"""Programmes of the four kinds, their budgets per financial year, and their funding rounds."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column


class ProgrammeKind(enum.Enum):
    COMMUNITY_GRANT = "community_grant"
    CSP_ALLOCATION = "csp_allocation"
    EXTERNAL_BID = "external_bid"
    COMMISSIONED_SERVICE = "commissioned_service"

    @property
    def label(self) -> str:
        return PROGRAMME_KIND_LABELS[self]


PROGRAMME_KIND_LABELS = {
    ProgrammeKind.COMMUNITY_GRANT: "Community grants",
    ProgrammeKind.CSP_ALLOCATION: "Community Safety Partnership funding",
    ProgrammeKind.EXTERNAL_BID: "External bid",
    ProgrammeKind.COMMISSIONED_SERVICE: "Commissioned service",
}


class Priority(Base):
    """A Police and Crime Plan priority, used to classify programmes and projects."""

    __tablename__ = "priorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Place(Base):
    """A beneficiary location: the city, a district or Rutland, with its ONS (GSS) code."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    gss_code: Mapped[str] = mapped_column(String(9), unique=True)


programme_priorities = Table(
    "programme_priorities",
    Base.metadata,
    Column("programme_id", ForeignKey("programmes.id"), primary_key=True),
    Column("priority_id", ForeignKey("priorities.id"), primary_key=True),
)


# Greater Manchester's CSP grant condition: no unallocated underspend above £15,000.
DEFAULT_UNDERSPEND_THRESHOLD_PENCE = 1_500_000


class Programme(TimestampMixin, Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[ProgrammeKind] = mapped_column(enum_column(ProgrammeKind, "programme_kind"))
    summary: Mapped[str] = mapped_column(Text, default="")
    # External bids: who the office bids to (e.g. "Home Office").
    funder_name: Mapped[str | None] = mapped_column(String(200))
    # CSP funding: a partnership forecast to leave more than this unspent in a year is flagged
    # for a decision (roll over, reallocate or claw back). Whole pounds; set on the CSP pages.
    underspend_threshold_pence: Mapped[int] = mapped_column(
        Pence(),
        default=DEFAULT_UNDERSPEND_THRESHOLD_PENCE,
        server_default=str(DEFAULT_UNDERSPEND_THRESHOLD_PENCE),
    )

    budgets: Mapped[list[ProgrammeBudget]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        order_by="ProgrammeBudget.financial_year",
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="programme", order_by="Round.opens_at"
    )
    priorities: Mapped[list[Priority]] = relationship(
        secondary=programme_priorities, order_by=Priority.name
    )

    @property
    def total_budget_pence(self) -> int:
        return sum(budget.amount_pence for budget in self.budgets)

    @property
    def takes_annual_plans(self) -> bool:
        """A CSP sends its annual plan through the application journey, and the journey's
        pages call it a plan rather than an application for a project."""
        return self.kind is ProgrammeKind.CSP_ALLOCATION


class ProgrammeBudget(Base):
    """A programme's budget for one financial year (1 April to 31 March, Europe/London)."""

    __tablename__ = "programme_budgets"
    __table_args__ = (UniqueConstraint("programme_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    # The calendar year the financial year starts in: 2025 means 2025/26.
    financial_year: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Pence())

    programme: Mapped[Programme] = relationship(back_populates="budgets")


class Round(TimestampMixin, Base):
    """A funding round of a programme: when it opens and closes and what it will fund."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Prefix of application references, e.g. "PF" gives PF-2526-0042.
    reference_prefix: Mapped[str] = mapped_column(String(8))
    financial_year: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    budget_pence: Mapped[int] = mapped_column(Pence())
    min_award_pence: Mapped[int] = mapped_column(Pence())
    max_award_pence: Mapped[int] = mapped_column(Pence())
    # At or below this amount the proportionate short form is used; 0 means every
    # application gets the full form (CSP plans).
    short_form_threshold_pence: Mapped[int] = mapped_column(Pence())
    who_can_apply: Mapped[str] = mapped_column(Text, default="")
    # Non-competitive rounds (CSP allocations) are by invitation only.
    invitation_only: Mapped[bool] = mapped_column(default=False)
    # Applications scoring at least this weighted percentage are above the funding line.
    funding_threshold_percent: Mapped[int | None] = mapped_column(Integer)
    # Above this amount only a decision maker may approve (officers may approve up to it).
    approval_limit_pence: Mapped[int | None] = mapped_column(Pence())
    # How far approvals may go over the round's budget, e.g. to fund the last project in full.
    budget_tolerance_pence: Mapped[int] = mapped_column(Pence(), default=0)
    # Scores from two assessors further apart than this (in points) need moderation.
    moderation_spread: Mapped[int] = mapped_column(Integer, default=2)
    # A round is set up as a draft and only opens once published, which needs criteria and a
    # budget (grants/services/rounds.py).
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The form's optional questions and documents this round leaves out, as keys separated by
    # spaces (workflows/application_form.py marks which may be left out); fixed once published.
    left_out: Mapped[str] = mapped_column(Text, default="", server_default="")

    programme: Mapped[Programme] = relationship(back_populates="rounds")
    criteria: Mapped[list[Criterion]] = relationship(
        cascade="all, delete-orphan", order_by="Criterion.position"
    )
    eligibility_questions: Mapped[list[EligibilityQuestion]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="EligibilityQuestion.position",
    )

    @property
    def left_out_keys(self) -> frozenset[str]:
        return frozenset((self.left_out or "").split())

    @property
    def has_short_form(self) -> bool:
        return self.short_form_threshold_pence > 0

    def is_open_at(self, moment: dt.datetime) -> bool:
        """Open for applications: published, and between its opening and closing times."""
        return self.published_at is not None and self.opens_at <= moment < self.closes_at


class EligibilityQuestion(Base):
    """A yes/no question anyone answers before applying; the wrong answer explains why not."""

    __tablename__ = "eligibility_questions"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(String(300))
    hint: Mapped[str] = mapped_column(Text, default="")
    # The answer an eligible applicant gives: True for "Yes", False for "No".
    eligible_answer: Mapped[bool] = mapped_column(default=True)
    # Shown to someone who gives the other answer.
    ineligible_reason: Mapped[str] = mapped_column(Text)

    round: Mapped[Round] = relationship(back_populates="eligibility_questions")


from grants.models.assessment import Criterion  # noqa: E402
