"""Bids by the office to outside funders (e.g. the Home Office's Safer Streets Fund)."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.models.base import Base, Pence, TimestampMixin, enum_column


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

    programme: Mapped[Programme] = relationship()

    __mapper_args__ = {"version_id_col": version}


from grants.models.programmes import Programme  # noqa: E402
