"""Bids by the office to outside funders (e.g. the Home Office's Safer Streets Fund): the bid,
its proposals and their interventions (budget per financial year, delivery partner, outputs,
match funding), the funder's side changes to the award, and the office's own returns to the
funder rolled up from its partners' awards."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column


class ExternalBidStatus(enum.Enum):
    DRAFTING = "drafting"
    SUBMITTED = "submitted"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    WITHDRAWN = "withdrawn"
    MOBILISING = "mobilising"
    DELIVERING = "delivering"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ExternalBid(TimestampMixin, Base):
    __tablename__ = "external_bids"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    funder_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ExternalBidStatus] = mapped_column(
        enum_column(ExternalBidStatus, "external_bid_status"), default=ExternalBidStatus.DRAFTING
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    amount_requested_pence: Mapped[int] = mapped_column(Pence())
    amount_awarded_pence: Mapped[int | None] = mapped_column(Pence())
    # The financial years the bid covers, first to last (both None for a bid made before they
    # were recorded: it covers the years of its proposals).
    first_financial_year: Mapped[int | None] = mapped_column(Integer)
    last_financial_year: Mapped[int | None] = mapped_column(Integer)
    # The funder's terms: whether money it awarded for one financial year may be claimed in
    # another. Most (the Home Office among them) do not allow it. Changed only by the bid's
    # ``allow_year_transfers`` and ``forbid_year_transfers`` moves, so the ledger says who
    # changed it, when and why.
    allows_transfer_between_years: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    programme: Mapped[Programme] = relationship()
    proposals: Mapped[list[BidProposal]] = relationship(
        back_populates="bid", cascade="all, delete-orphan", order_by="BidProposal.position"
    )
    funder_variations: Mapped[list[FunderVariation]] = relationship(
        back_populates="bid", order_by="FunderVariation.id"
    )
    funder_returns: Mapped[list[FunderReturn]] = relationship(
        back_populates="bid", order_by="FunderReturn.period_start"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def financial_years(self) -> list[int]:
        """The years the bid covers, with any year a proposal asks for money in."""
        years = {y.financial_year for proposal in self.proposals for y in proposal.years}
        if self.first_financial_year is not None and self.last_financial_year is not None:
            years.update(range(self.first_financial_year, self.last_financial_year + 1))
        return sorted(years)


class BidProposal(Base):
    """One proposal of a bid (e.g. ASB in Melton); the funder decides each on its own."""

    __tablename__ = "bid_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("external_bids.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")

    bid: Mapped[ExternalBid] = relationship(back_populates="proposals")
    years: Mapped[list[ProposalYear]] = relationship(
        back_populates="proposal",
        cascade="all, delete-orphan",
        order_by="ProposalYear.financial_year",
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Intervention.position"
    )


class ProposalYear(Base):
    """What was asked for one proposal in one financial year, and what the funder awarded: its
    cap for the year, lowered by a funder variation. Claims to the funder never exceed it."""

    __tablename__ = "proposal_years"
    __table_args__ = (UniqueConstraint("proposal_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("bid_proposals.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    requested_pence: Mapped[int] = mapped_column(Pence())
    awarded_pence: Mapped[int | None] = mapped_column(Pence())

    proposal: Mapped[BidProposal] = relationship(back_populates="years")


class Intervention(Base):
    """Something a proposal pays for, delivered by one partner organisation."""

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("bid_proposals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    match_funding_pence: Mapped[int] = mapped_column(Pence(), default=0)
    match_funding_source: Mapped[str | None] = mapped_column(String(200))

    proposal: Mapped[BidProposal] = relationship(back_populates="interventions")
    partner: Mapped[Organisation] = relationship()
    years: Mapped[list[InterventionYear]] = relationship(
        back_populates="intervention",
        cascade="all, delete-orphan",
        order_by="InterventionYear.financial_year",
    )
    outputs: Mapped[list[InterventionOutput]] = relationship(
        back_populates="intervention",
        cascade="all, delete-orphan",
        order_by="InterventionOutput.position",
    )
    awards: Mapped[list[Award]] = relationship(back_populates="intervention", order_by="Award.id")


class InterventionYear(Base):
    """An intervention's budget in one financial year: partner awards never go beyond it."""

    __tablename__ = "intervention_years"
    __table_args__ = (UniqueConstraint("intervention_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("interventions.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    budget_pence: Mapped[int] = mapped_column(Pence())
    # The quarter of the year delivery starts in (1 = April to June): the profile spreads the
    # budget evenly over the quarters from there to March.
    first_quarter: Mapped[int] = mapped_column(Integer, default=1)

    intervention: Mapped[Intervention] = relationship(back_populates="years")


class InterventionOutput(Base):
    """What an intervention will deliver, e.g. 400 properties target-hardened."""

    __tablename__ = "intervention_outputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("interventions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    target: Mapped[int] = mapped_column(Integer)

    intervention: Mapped[Intervention] = relationship(back_populates="outputs")


class PartnerOutputReport(Base):
    """Achieved to date against an intervention's output, as a partner's monitoring return
    reported it. Partner awards have no application, so no output targets of their own: the
    office records the figures from the partner's return against the intervention."""

    __tablename__ = "partner_output_reports"
    __table_args__ = (UniqueConstraint("return_id", "intervention_output_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_returns.id"), index=True)
    intervention_output_id: Mapped[int] = mapped_column(ForeignKey("intervention_outputs.id"))
    achieved: Mapped[int] = mapped_column(Integer)

    monitoring_return: Mapped[MonitoringReturn] = relationship()
    output: Mapped[InterventionOutput] = relationship()


class FunderVariationStatus(enum.Enum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class FunderVariation(TimestampMixin, Base):
    """A change the funder made to its award (a proposal's cap for a year lowered), recorded
    with the reductions to partner awards it makes necessary, proposed for approval."""

    __tablename__ = "funder_variations"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("external_bids.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("bid_proposals.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    previous_cap_pence: Mapped[int] = mapped_column(Pence())
    new_cap_pence: Mapped[int] = mapped_column(Pence())
    reason: Mapped[str] = mapped_column(Text)
    # Not a lifecycle: the office's one decision on the funder's change (the column keeps its
    # name "status").
    decision: Mapped[FunderVariationStatus] = mapped_column(
        "status",
        enum_column(FunderVariationStatus, "funder_variation_status"),
        default=FunderVariationStatus.PROPOSED,
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)

    bid: Mapped[ExternalBid] = relationship(back_populates="funder_variations")
    proposal: Mapped[BidProposal] = relationship()
    reductions: Mapped[list[PartnerReduction]] = relationship(
        back_populates="funder_variation",
        cascade="all, delete-orphan",
        order_by="PartnerReduction.id",
    )


class PartnerReduction(Base):
    """One partner award's proposed reduction in a year, carried out as a variation of that
    award (through the engine) that the approval decides."""

    __tablename__ = "partner_reductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_variation_id: Mapped[int] = mapped_column(ForeignKey("funder_variations.id"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("variations.id"))
    financial_year: Mapped[int] = mapped_column(Integer)
    current_pence: Mapped[int] = mapped_column(Pence())
    reduction_pence: Mapped[int] = mapped_column(Pence())

    funder_variation: Mapped[FunderVariation] = relationship(back_populates="reductions")
    award: Mapped[Award] = relationship()
    variation: Mapped[Variation | None] = relationship()


class FunderReturnStatus(enum.Enum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    SIGNED_OFF = "signed_off"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class FunderReturn(TimestampMixin, Base):
    """The office's quarterly return to the funder, drafted from its partners' accepted
    returns and approved or paid claims, with the claim it makes on the funder's award."""

    __tablename__ = "funder_returns"
    __table_args__ = (UniqueConstraint("bid_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("external_bids.id"), index=True)
    status: Mapped[FunderReturnStatus] = mapped_column(
        enum_column(FunderReturnStatus, "funder_return_status"), default=FunderReturnStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    financial_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)  # 1 = April to June
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    funder_reference: Mapped[str | None] = mapped_column(String(100))

    bid: Mapped[ExternalBid] = relationship(back_populates="funder_returns")
    lines: Mapped[list[FunderReturnLine]] = relationship(
        back_populates="funder_return", cascade="all, delete-orphan", order_by="FunderReturnLine.id"
    )
    outputs: Mapped[list[FunderReturnOutput]] = relationship(
        back_populates="funder_return",
        cascade="all, delete-orphan",
        order_by="FunderReturnOutput.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def claim_pence(self) -> int:
        return sum(line.claimed_pence for line in self.lines)


class FunderReturnLine(Base):
    """One intervention in a return: its profile for the quarter, what the partners spent
    (their approved or paid claims) and what is claimed from the funder for it."""

    __tablename__ = "funder_return_lines"
    __table_args__ = (UniqueConstraint("funder_return_id", "intervention_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_return_id: Mapped[int] = mapped_column(ForeignKey("funder_returns.id"), index=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("interventions.id"))
    profile_pence: Mapped[int] = mapped_column(Pence())
    spent_pence: Mapped[int] = mapped_column(Pence())
    claimed_pence: Mapped[int] = mapped_column(Pence())
    partner_narrative: Mapped[str] = mapped_column(Text, default="")

    funder_return: Mapped[FunderReturn] = relationship(back_populates="lines")
    intervention: Mapped[Intervention] = relationship()


class FunderReturnOutput(Base):
    """Achieved to date against one intervention output, summed from the partners' returns."""

    __tablename__ = "funder_return_outputs"
    __table_args__ = (UniqueConstraint("funder_return_id", "intervention_output_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_return_id: Mapped[int] = mapped_column(ForeignKey("funder_returns.id"), index=True)
    intervention_output_id: Mapped[int] = mapped_column(ForeignKey("intervention_outputs.id"))
    achieved: Mapped[int] = mapped_column(Integer)

    funder_return: Mapped[FunderReturn] = relationship(back_populates="outputs")
    output: Mapped[InterventionOutput] = relationship()


from grants.models.awards import Award, MonitoringReturn, Variation  # noqa: E402
from grants.models.organisations import Organisation  # noqa: E402
from grants.models.programmes import Programme  # noqa: E402
