"""Documents: the evidence behind decisions and payments. The bytes live in the document store
under a random key; this row says whose they are, what they are and whether they are safe."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from grants.models.base import Base, TimestampMixin, enum_column


class ScanStatus(enum.Enum):
    NOT_SCANNED = "not_scanned"  # no scanner configured: officers see this
    PENDING = "pending"
    CLEAN = "clean"
    INFECTED = "infected"
    ERROR = "error"  # never treated as clean

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Document(TimestampMixin, Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Set when the document was uploaded as part of an application (purpose is the question).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    # Or as part of an award: its agreement, a return's evidence, a claim's evidence.
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id"), index=True)
    monitoring_return_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_returns.id"), index=True
    )
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(60))
    # The uploader's file name, for display only; never used as a path or a key.
    filename: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    scan_status: Mapped[ScanStatus] = mapped_column(enum_column(ScanStatus, "scan_status"))
    # Re-uploading makes a new version; earlier versions stay readable.
    lineage_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
