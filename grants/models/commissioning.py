"""Commissioned services: contracts, and the procurements that recommission them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Integer, String
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


class Contract(TimestampMixin, Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
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

    __mapper_args__ = {"version_id_col": version}


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

    replaces: Mapped[Contract | None] = relationship(foreign_keys=[replaces_contract_id])
    programme: Mapped[Programme] = relationship()

    __mapper_args__ = {"version_id_col": version}


from grants.models.organisations import Organisation  # noqa: E402
from grants.models.programmes import Programme  # noqa: E402
