"""Community Safety Partnership funding: allocations per CSP and financial year, set by a
recorded method, and decisions on forecast underspend."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column


class AllocationMethod(enum.Enum):
    FLAT = "flat"
    FORMULA = "formula"

    @property
    def label(self) -> str:
        return "A flat amount per area" if self is AllocationMethod.FLAT else "A formula"


class CspAllocationStatus(enum.Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class UnderspendStatus(enum.Enum):
    FLAGGED = "flagged"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return "Waiting for a decision" if self is UnderspendStatus.FLAGGED else "Decided"


class CspAllocationBasis(Base):
    """How one financial year's allocations of a CSP programme were worked out: the method and
    the inputs shared by every partnership (the flat amount, or the pot and the weights)."""

    __tablename__ = "csp_allocation_bases"
    __table_args__ = (UniqueConstraint("programme_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    method: Mapped[AllocationMethod] = mapped_column(
        enum_column(AllocationMethod, "csp_allocation_method")
    )
    flat_amount_pence: Mapped[int | None] = mapped_column(Pence())
    # The formula shares this pot between the partnerships.
    pot_pence: Mapped[int | None] = mapped_column(Pence())
    # Whole percentages adding up to 100.
    population_weight: Mapped[int | None] = mapped_column(Integer)
    crime_weight: Mapped[int | None] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CspAllocation(TimestampMixin, Base):
    """One partnership's allocation for one financial year, with the inputs the formula used
    for it. Proposed while the method may still change; confirmed allocations are fixed."""

    __tablename__ = "csp_allocations"
    __table_args__ = (UniqueConstraint("programme_id", "organisation_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[CspAllocationStatus] = mapped_column(
        enum_column(CspAllocationStatus, "csp_allocation_status"),
        default=CspAllocationStatus.PROPOSED,
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    method: Mapped[AllocationMethod] = mapped_column(
        enum_column(AllocationMethod, "csp_allocation_row_method")
    )
    amount_pence: Mapped[int] = mapped_column(Pence())
    population: Mapped[int | None] = mapped_column(Integer)
    recorded_crime: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[Programme] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CspForecast(Base):
    """What a partnership forecast it will spend in the rest of the year, as at one of its
    returns (the return itself reports spend to date)."""

    __tablename__ = "csp_forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_returns.id"), unique=True)
    rest_of_year_pence: Mapped[int] = mapped_column(Pence())
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CspUnderspend(TimestampMixin, Base):
    """A partnership flagged for forecast underspend above the threshold, and the decision
    taken on it: roll over, reallocate or claw back an amount, with the reason."""

    __tablename__ = "csp_underspends"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"))
    # The return whose spend to date and forecast raised the flag.
    return_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_returns.id"))
    status: Mapped[UnderspendStatus] = mapped_column(
        enum_column(UnderspendStatus, "underspend_status"), default=UnderspendStatus.FLAGGED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    funded_pence: Mapped[int] = mapped_column(Pence())
    spent_to_date_pence: Mapped[int] = mapped_column(Pence())
    forecast_rest_pence: Mapped[int] = mapped_column(Pence())
    forecast_unspent_pence: Mapped[int] = mapped_column(Pence())
    threshold_pence: Mapped[int] = mapped_column(Pence())
    # roll_over, reallocate or claw_back: the trigger that decided it.
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_pence: Mapped[int] = mapped_column(Pence(), default=0)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[Programme] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CspInvitation(Base):
    """A partnership invited to send its annual plan to a CSP plan round. Only an invited
    partnership may start a plan there; the invitation is emailed to its members."""

    __tablename__ = "csp_invitations"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()


from grants.models.organisations import Organisation  # noqa: E402
from grants.models.programmes import Programme, Round  # noqa: E402
