"""Application references such as PF-2526-0042, numbered per prefix and financial year."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grants.models import Application, ReferenceCounter


def format_reference(prefix: str, financial_year: int, number: int) -> str:
    """PF, 2025 and 42 give PF-2526-0042."""
    return f"{prefix}-{financial_year % 100:02d}{(financial_year + 1) % 100:02d}-{number:04d}"


def next_reference(session: Session, prefix: str, financial_year: int) -> str:
    """Take the next number with one UPDATE, which holds the counter's row lock until commit,
    so concurrent submissions queue for it rather than share a number."""
    for _ in range(3):
        number = session.execute(
            update(ReferenceCounter)
            .where(
                ReferenceCounter.prefix == prefix,
                ReferenceCounter.financial_year == financial_year,
            )
            .values(last_number=ReferenceCounter.last_number + 1)
            .returning(ReferenceCounter.last_number)
        ).scalar()
        if number is not None:
            return format_reference(prefix, financial_year, number)
        # First submission with this prefix and year: start after any reference already given
        # (for example by an import), and let a concurrent first submission win the insert.
        stem = format_reference(prefix, financial_year, 0)[:-4]
        highest = session.scalar(
            select(func.max(Application.reference)).where(Application.reference.like(f"{stem}%"))
        )
        start = int(highest[len(stem) :]) if highest and highest[len(stem) :].isdigit() else 0
        try:
            with session.begin_nested():
                session.add(
                    ReferenceCounter(
                        prefix=prefix, financial_year=financial_year, last_number=start + 1
                    )
                )
        except IntegrityError:
            continue
        return format_reference(prefix, financial_year, start + 1)
    raise RuntimeError("could not take a reference number")
