"""Commissioned services: contracts with their co-commissioning partners, KPIs and quarterly KPI
returns, the options appraisals made before a contract ends, and the procurements that
recommission them (bids, evaluation, award, standstill, mobilisation)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, UTCDateTime, enum_column


class ContractStatus(enum.Enum):
    MOBILISING = "mobilising"
    ACTIVE = "active"
    REVIEW_DUE = "review_due"
    RECOMMISSIONING = "recommissioning"
    DECOMMISSIONING = "decommissioning"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ProcurementStatus(enum.Enum):
    PLANNING = "planning"
    PUBLISHED = "published"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    ABANDONED = "abandoned"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class KpiReturnStatus(enum.Enum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class KpiRating(enum.Enum):
    """The officer's rating of a quarter's performance, in the inspectorates' four grades."""

    GOOD = "good"
    APPROACHING_TARGET = "approaching_target"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Contract(TimestampMixin, Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The service commissioned, as the register lists it (e.g. "Victims' services").
    service: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.MOBILISING
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    annual_value_pence: Mapped[int] = mapped_column(Pence())
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    extension_options: Mapped[int] = mapped_column(Integer, default=0)
    extensions_used: Mapped[int] = mapped_column(Integer, default=0)

    programme: Mapped[Programme] = relationship()
    provider: Mapped[Organisation] = relationship()
    partners: Mapped[list[ContractPartner]] = relationship(
        back_populates="contract", order_by="ContractPartner.id", cascade="all, delete-orphan"
    )
    kpis: Mapped[list[ContractKpi]] = relationship(
        back_populates="contract", order_by="ContractKpi.position", cascade="all, delete-orphan"
    )
    years: Mapped[list[ContractYear]] = relationship(
        back_populates="contract",
        order_by="ContractYear.financial_year",
        cascade="all, delete-orphan",
    )
    kpi_returns: Mapped[list[KpiReturn]] = relationship(
        back_populates="contract", order_by="KpiReturn.period_start"
    )
    appraisals: Mapped[list[OptionsAppraisal]] = relationship(
        back_populates="contract", order_by="OptionsAppraisal.id"
    )
    checklist: Mapped[list[MobilisationItem]] = relationship(
        back_populates="contract",
        order_by="MobilisationItem.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def total_value_pence(self) -> int:
        """The contract's value over its whole term: its years add up to it exactly."""
        return sum(year.value_pence for year in self.years)

    @property
    def extensions_remaining(self) -> int:
        return max(self.extension_options - self.extensions_used, 0)

    @property
    def pending_appraisal(self) -> OptionsAppraisal | None:
        """The appraisal recorded for the current review, not yet acted on."""
        return next((a for a in reversed(self.appraisals) if a.decision is None), None)


class ContractYear(Base):
    """A contract's value in one financial year (stored as the year it starts): the months of
    service that fall in it and their share of the contract's value in whole pence. A
    contract's years add up exactly to its value over the term (largest remainder)."""

    __tablename__ = "contract_years"
    __table_args__ = (UniqueConstraint("contract_id", "financial_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)
    value_pence: Mapped[int] = mapped_column(Pence())

    contract: Mapped[Contract] = relationship(back_populates="years")


class ContractPartner(Base):
    """A co-commissioner (a council, NHS England) and what it puts in each year."""

    __tablename__ = "contract_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    contribution_pence: Mapped[int] = mapped_column(Pence())  # a year

    contract: Mapped[Contract] = relationship(back_populates="partners")


class ContractKpi(Base):
    """A key performance indicator with its target for each quarter. Values are whole numbers
    of the unit scaled by 10^decimals (97.5% with one decimal is stored as 975)."""

    __tablename__ = "contract_kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    decimals: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[int] = mapped_column(Integer)

    contract: Mapped[Contract] = relationship(back_populates="kpis")


class KpiReturn(TimestampMixin, Base):
    """A provider's quarterly report of its KPI values, rated by the officer."""

    __tablename__ = "kpi_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[KpiReturnStatus] = mapped_column(
        enum_column(KpiReturnStatus, "kpi_return_status"), default=KpiReturnStatus.SCHEDULED
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    narrative: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[KpiRating | None] = mapped_column(enum_column(KpiRating, "kpi_rating"))
    reviewer_comments: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(back_populates="kpi_returns")
    values: Mapped[list[KpiValue]] = relationship(
        back_populates="kpi_return", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def value_of(self, kpi: ContractKpi) -> int | None:
        # Unflushed values know their indicator only by the relationship.
        return next((v.value for v in self.values if v.kpi_id == kpi.id or v.kpi is kpi), None)


class KpiValue(Base):
    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint("kpi_return_id", "kpi_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_return_id: Mapped[int] = mapped_column(ForeignKey("kpi_returns.id"), index=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("contract_kpis.id"), index=True)
    value: Mapped[int] = mapped_column(Integer)

    kpi_return: Mapped[KpiReturn] = relationship(back_populates="values")
    kpi: Mapped[ContractKpi] = relationship()


class OptionsAppraisal(Base):
    """What the officer weighed before deciding a contract's future; ``decision`` is filled by
    the move it led to (extend, recommission or decommission)."""

    __tablename__ = "options_appraisals"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    options_considered: Mapped[str] = mapped_column(Text)
    costs: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(20))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    contract: Mapped[Contract] = relationship(back_populates="appraisals")


class MobilisationItem(Base):
    """One thing to have in place before a new contract's service starts."""

    __tablename__ = "mobilisation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(back_populates="checklist")


class Procurement(TimestampMixin, Base):
    """A tender: publish, receive bids, evaluate, award, wait out standstill, contract."""

    __tablename__ = "procurements"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    replaces_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProcurementStatus] = mapped_column(
        enum_column(ProcurementStatus, "procurement_status"), default=ProcurementStatus.PLANNING
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    estimated_value_pence: Mapped[int] = mapped_column(Pence())
    awarded_value_pence: Mapped[int | None] = mapped_column(Pence())
    awarded_to_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    awarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    standstill_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    specification_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    # Evaluation weights in per cent; they add up to 100.
    quality_weight: Mapped[int] = mapped_column(Integer, default=70)
    price_weight: Mapped[int] = mapped_column(Integer, default=30)
    # The contract it let, once signed.
    let_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))

    replaces: Mapped[Contract | None] = relationship(foreign_keys=[replaces_contract_id])
    let_contract: Mapped[Contract | None] = relationship(foreign_keys=[let_contract_id])
    programme: Mapped[Programme] = relationship()
    awarded_to: Mapped[Organisation | None] = relationship(foreign_keys=[awarded_to_id])
    specification: Mapped[Document | None] = relationship()
    bids: Mapped[list[TenderBid]] = relationship(
        back_populates="procurement", order_by="TenderBid.id"
    )

    __mapper_args__ = {"version_id_col": version}


class TenderBid(Base):
    """A bid received: who, at what price over the contract's term, and its quality score."""

    __tablename__ = "tender_bids"

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurements.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    price_pence: Mapped[int] = mapped_column(Pence())
    received_on: Mapped[dt.date] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # Per cent of the quality marks available, from the evaluation panel.
    quality_score: Mapped[int | None] = mapped_column(Integer)

    procurement: Mapped[Procurement] = relationship(back_populates="bids")
    bidder: Mapped[Organisation] = relationship()
    document: Mapped[Document | None] = relationship()


from grants.models.documents import Document  # noqa: E402
from grants.models.organisations import Organisation  # noqa: E402
from grants.models.programmes import Programme  # noqa: E402
