"""The public decisions register: every decision record, newest first, with search and paging.

Anyone may read it, without signing in. A published decision shows what was decided, for whom,
for how much, by whom, when, and the interests declared. A withheld decision shows only its
reference, date and exemption: nothing else is read from the database for it, and a search
matches it by reference only, so searching for a withheld decision's title or organisation
cannot reveal that it exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from grants.extensions import db
from grants.models import Application, DecisionRecord, Organisation, User
from grants.services.errors import NotFound, ServiceError

PAGE_SIZE = 25
SEARCH_MAX = 100
DECISION_LABELS = {"approved": "Approved", "rejected": "Rejected"}


@dataclass(frozen=True)
class DecisionEntry:
    reference: str
    decided_at: dt.datetime
    published: bool
    exemption: str | None
    # None for a withheld decision.
    decision: str | None = None
    title: str | None = None
    summary: str | None = None
    amount_pence: int | None = None
    organisation: str | None = None
    decision_maker: str | None = None
    interests_declared: str | None = None

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.decision or "", (self.decision or "").capitalize())

    def as_json(self) -> dict[str, Any]:
        if not self.published:
            return {
                "reference": self.reference,
                "date": self.decided_at.isoformat(),
                "published": False,
                "exemption": self.exemption,
            }
        return {
            "reference": self.reference,
            "date": self.decided_at.isoformat(),
            "published": True,
            "decision": self.decision,
            "title": self.title,
            "summary": self.summary,
            "organisation": self.organisation,
            # Pence, like every amount in the service; pounds for readers of the feed.
            "amount_pence": self.amount_pence,
            "amount": f"{(self.amount_pence or 0) / 100:.2f}",
            "currency": "GBP",
            "decision_maker": self.decision_maker,
            "interests_declared": self.interests_declared,
        }


@dataclass(frozen=True)
class RegisterPage:
    entries: list[DecisionEntry]
    search: str
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.entries else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.page_size + len(self.entries)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def _columns() -> Any:
    published = DecisionRecord.published.is_(True)

    # Only a published decision's details are selected at all; a withheld one gets NULLs.
    def shown(column: Any) -> Any:
        return case((published, column), else_=literal(None)).label(column.key)

    return select(
        DecisionRecord.reference,
        DecisionRecord.decided_at,
        DecisionRecord.published,
        DecisionRecord.exemption,
        shown(DecisionRecord.decision),
        shown(DecisionRecord.title),
        shown(DecisionRecord.summary),
        shown(DecisionRecord.amount_pence),
        shown(Organisation.name),
        shown(User.full_name),
        shown(DecisionRecord.interests_declared),
    )


def _joined(statement: Any) -> Any:
    return (
        statement.select_from(DecisionRecord)
        .join(Application, Application.id == DecisionRecord.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(User, User.id == DecisionRecord.decision_maker_id)
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(search: str) -> ColumnElement[bool] | None:
    if not search:
        return None
    pattern = _like(search)

    def has(column: Any) -> ColumnElement[bool]:
        return func.lower(column).like(pattern, escape="\\")

    return or_(
        has(DecisionRecord.reference),
        and_(
            DecisionRecord.published.is_(True),
            or_(has(DecisionRecord.title), has(Organisation.name)),
        ),
    )


def _entry(row: Any) -> DecisionEntry:
    published = bool(row.published)
    return DecisionEntry(
        reference=row.reference,
        decided_at=row.decided_at,
        published=published,
        exemption=None if published else (row.exemption or "Exempt from publication"),
        decision=row.decision,
        title=row.title,
        summary=row.summary,
        amount_pence=row.amount_pence,
        organisation=row.name,
        decision_maker=row.full_name,
        interests_declared=row.interests_declared,
    )


def clean_search(search: str | None) -> str:
    text = " ".join((search or "").split())
    if len(text) > SEARCH_MAX:
        raise ServiceError(f"Search must be {SEARCH_MAX} characters or fewer", "q")
    return text


def register_page(search: str | None, page: int) -> RegisterPage:
    """One page of decisions, newest first. A page past the end shows the last page."""
    if page < 1:
        raise ServiceError("Page number must be a whole number, like 2")
    text = clean_search(search)
    condition = _matching(text)
    count = _joined(select(func.count()))
    if condition is not None:
        count = count.where(condition)
    total = db.session.scalar(count) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    statement = _joined(_columns())
    if condition is not None:
        statement = statement.where(condition)
    statement = (
        statement.order_by(DecisionRecord.decided_at.desc(), DecisionRecord.reference.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    entries = [_entry(row) for row in db.session.execute(statement)]
    return RegisterPage(entries=entries, search=text, total=total, page=page, pages=pages)


def decision(reference: str) -> DecisionEntry:
    """One decision by its reference (withheld ones with their exemption only)."""
    if len(reference) > 30:
        raise NotFound
    row = db.session.execute(
        _joined(_columns()).where(DecisionRecord.reference == reference)
    ).first()
    if row is None:
        raise NotFound
    return _entry(row)
