"""Award history from the ledger alone: every event of an award and of what belongs to it (its
application, payments, monitoring returns and variations), per award, organisation and
programme, and what was committed and paid "as at" the end of any London day.

Nothing here reads an object's current state to describe the past. The figures come from
replaying the events in ledger order: each event carries its object's amounts after the move,
so the latest event of an award up to a moment says what it was worth then and in what state.
The one fact taken from the tables is which award each object belongs to (and a payment's
financial year), which never changes once the object exists.

Every page runs a fixed number of statements, however many events there are: the objects of
the awards in view are one UNION subquery joined to the events, with the award's reference and
the actor's name joined in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import LONDON, financial_year, london_date, pounds
from grants.models import (
    Application,
    AuditEvent,
    Award,
    AwardStatus,
    MonitoringReturn,
    Organisation,
    Payment,
    PaymentStatus,
    Programme,
    StaffRole,
    User,
    Variation,
)
from grants.policy import visible_awards, visible_organisations
from grants.services.errors import NotFound, ServiceError
from workflows.registry import BY_NAME

PAGE_SIZE = 50
SHORT_HASH = 12
# As programme_dashboard counts them: accepted and running awards are committed; a terminated
# award only for what was paid on it, since the rest will never be paid.
COMMITTED = frozenset(
    s.value for s in (AwardStatus.ACCEPTED, AwardStatus.ACTIVE, AwardStatus.SUSPENDED,
                      AwardStatus.CLOSED)
)  # fmt: skip
TERMINATED = AwardStatus.TERMINATED.value
PAID = PaymentStatus.PAID.value
OBJECT_WORDS = {
    "award": "Award",
    "application": "Application",
    "payment": "Payment",
    "monitoring_return": "Monitoring return",
    "variation": "Variation",
}
# What happened, in the past tense; anything not here falls back to the move's own label.
ACTION_WORDS = {
    ("award", "create"): "Offer made",
    ("award", "accept"): "Offer accepted",
    ("award", "decline"): "Offer declined",
    ("award", "lapse"): "Offer lapsed",
    ("award", "activate"): "Grant started",
    ("award", "suspend"): "Suspended",
    ("award", "reinstate"): "Reinstated",
    ("award", "terminate"): "Terminated",
    ("award", "close"): "Closed",
    ("award", "rate"): "Rated",
    ("application", "create"): "Application started",
    ("application", "submit"): "Application submitted",
    ("application", "start_assessment"): "Assessment started",
    ("application", "score"): "Scores submitted",
    ("application", "recommend"): "Recommendation made",
    ("application", "request_information"): "More information asked for",
    ("application", "provide_information"): "Information sent",
    ("application", "approve"): "Approved",
    ("application", "reject"): "Rejected",
    ("application", "withdraw"): "Withdrawn",
    ("payment", "create"): "Payment scheduled",
    ("payment", "claim"): "Claimed",
    ("payment", "approve"): "Payment approved",
    ("payment", "reject"): "Claim rejected",
    ("payment", "pay"): "Paid",
    ("payment", "reduce"): "Scheduled payment lowered",
    ("payment", "cancel"): "Scheduled payment cancelled",
    ("monitoring_return", "create"): "Return scheduled",
    ("monitoring_return", "open"): "Return opened",
    ("monitoring_return", "submit"): "Return submitted",
    ("monitoring_return", "accept"): "Return accepted",
    ("monitoring_return", "send_back"): "Return sent back with comments",
    ("monitoring_return", "waive"): "Return waived",
    ("variation", "create"): "Variation requested",
    ("variation", "approve"): "Variation approved",
    ("variation", "reject"): "Variation rejected",
}
AMOUNT_WORDS = {
    "amount_pence": "Amount",
    "clawback_pence": "Clawback",
    "requested_pence": "Requested",
    "approved_pence": "Approved",
}
ROLE_WORDS = {"applicant": "Applicant", "system": "System"}


# What a page shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One ledger event, described for people."""

    seq: int
    occurred_at: dt.datetime
    who: str
    role: str
    award_id: int
    award_reference: str
    object_type: str
    object_label: str
    what: str
    from_state: str | None
    to_state: str | None
    amounts: tuple[tuple[str, int], ...]
    details: tuple[tuple[str, str], ...]
    reason: str | None
    hash: str
    prev_hash: str

    @property
    def short_hash(self) -> str:
        return self.hash[:SHORT_HASH]

    @property
    def moved(self) -> bool:
        return self.from_state != self.to_state


@dataclass(frozen=True)
class YearFigures:
    financial_year: int | None  # None: an award not split by year
    awarded_pence: int
    committed_pence: int
    paid_pence: int

    @property
    def label(self) -> str:
        return financial_year(self.financial_year) if self.financial_year else "Not split by year"


@dataclass(frozen=True)
class AwardAsAt:
    award_id: int
    reference: str
    state: str  # the award's status as at the moment, replayed from the ledger
    amount_pence: int
    committed_pence: int
    paid_pence: int
    clawback_pence: int


@dataclass(frozen=True)
class Figures:
    """Money replayed from the ledger: what was awarded, committed and paid, by year."""

    years: tuple[YearFigures, ...]
    awarded_pence: int
    offered_pence: int
    committed_pence: int
    paid_pence: int
    clawback_pence: int
    awards: tuple[AwardAsAt, ...]


@dataclass(frozen=True)
class AwardHistory:
    award: Award
    entries: list[Entry]
    figures: Figures

    @property
    def status(self) -> str | None:
        return self.figures.awards[0].state if self.figures.awards else None


@dataclass(frozen=True)
class HistoryPage:
    """One page of a merged timeline (an organisation's or a programme's awards)."""

    name: str
    entries: list[Entry]
    page: int
    pages: int
    total: int
    award_count: int
    as_at: dt.date | None = None
    figures: Figures | None = None

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.entries else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.entries)


@dataclass(frozen=True)
class ProgrammeAsAt:
    programme: Programme
    as_at: dt.date
    figures: Figures


# Replaying the ledger --------------------------------------------------------------------------


@dataclass
class _AwardState:
    reference: str
    state: str = ""  # the status the ledger's events had reached
    amounts: dict[str, int] = field(default_factory=dict)


@dataclass
class _PaymentState:
    award_id: int
    financial_year: int | None
    state: str = ""  # the status the ledger's events had reached
    amount_pence: int = 0


class Replay:
    """The state and amounts of each award and payment after the events fed to it (in ledger
    order): the latest event of each object is what it was."""

    def __init__(self) -> None:
        self.awards: dict[int, _AwardState] = {}
        self.payments: dict[int, _PaymentState] = {}

    def feed(
        self,
        object_type: str,
        object_id: int,
        award_id: int,
        award_reference: str,
        financial_year: int | None,
        to_state: str | None,
        amounts: dict[str, Any],
    ) -> None:
        award = self.awards.setdefault(award_id, _AwardState(award_reference))
        if object_type == "award":
            award.state = to_state or award.state
            award.amounts = {name: int(value) for name, value in amounts.items()}
        elif object_type == "payment":
            payment = self.payments.setdefault(object_id, _PaymentState(award_id, financial_year))
            payment.state = to_state or payment.state
            payment.amount_pence = int(amounts.get("amount_pence", payment.amount_pence))

    def figures(self) -> Figures:
        paid_by_award_year: dict[tuple[int, int | None], int] = {}
        for payment in self.payments.values():
            if payment.state == PAID:
                key = (payment.award_id, payment.financial_year)
                paid_by_award_year[key] = paid_by_award_year.get(key, 0) + payment.amount_pence
        awarded_by_year: dict[int | None, int] = {}
        committed: dict[int | None, int] = {}
        paid: dict[int | None, int] = {}
        for (_award_id, year), pence in paid_by_award_year.items():
            paid[year] = paid.get(year, 0) + pence
        rows: list[AwardAsAt] = []
        awarded = offered = clawback = 0
        for award_id, award in sorted(self.awards.items(), key=lambda item: item[1].reference):
            if not award.state:
                continue  # events of its application only: no award yet at that moment
            amount = award.amounts.get("amount_pence", 0)
            award_paid = sum(p for (a, _), p in paid_by_award_year.items() if a == award_id)
            award_committed = 0
            for year, pence in _years(award.amounts, amount):
                awarded_by_year[year] = awarded_by_year.get(year, 0) + pence
            if award.state in COMMITTED:
                for year, pence in _years(award.amounts, amount):
                    committed[year] = committed.get(year, 0) + pence
                award_committed = amount
            elif award.state == TERMINATED:
                for (a, year), pence in paid_by_award_year.items():
                    if a == award_id:
                        committed[year] = committed.get(year, 0) + pence
                award_committed = award_paid
            if award.state == AwardStatus.OFFERED.value:
                offered += amount
            awarded += amount
            clawback += award.amounts.get("clawback_pence", 0)
            rows.append(
                AwardAsAt(
                    award_id=award_id,
                    reference=award.reference,
                    state=award.state,
                    amount_pence=amount,
                    committed_pence=award_committed,
                    paid_pence=award_paid,
                    clawback_pence=award.amounts.get("clawback_pence", 0),
                )
            )
        years = sorted(
            set(awarded_by_year) | set(committed) | set(paid), key=lambda y: (y is None, y or 0)
        )
        return Figures(
            years=tuple(
                YearFigures(y, awarded_by_year.get(y, 0), committed.get(y, 0), paid.get(y, 0))
                for y in years
            ),
            awarded_pence=awarded,
            offered_pence=offered,
            committed_pence=sum(committed.values()),
            paid_pence=sum(paid.values()),
            clawback_pence=clawback,
            awards=tuple(rows),
        )


def _years(amounts: dict[str, int], amount: int) -> list[tuple[int | None, int]]:
    """An award's amounts per financial year from its ``fyYYYY_pence`` amounts (an award not
    split by year counts whole under None)."""
    years = [
        (int(name[2:6]), pence)
        for name, pence in amounts.items()
        if name.startswith("fy") and name.endswith("_pence") and name[2:6].isdigit()
    ]
    return years or [(None, amount)]


# Which events belong to which award ------------------------------------------------------------


def _text(value: str) -> ColumnElement[str]:
    # Inline SQL literals rather than parameters, so PostgreSQL types the UNION's columns.
    return literal_column(f"'{value}'", String)


def _owned(awards: ColumnElement[bool]) -> Subquery:
    """Every object belonging to the awards matching ``awards``: (object_type, object_id,
    award_id, financial_year, on_date, label), one row per object."""
    no_year = cast(null(), Integer)
    no_date = cast(null(), Date)
    no_label = cast(null(), String)
    return union_all(
        select(
            _text("award").label("object_type"),
            Award.id.label("object_id"),
            Award.id.label("award_id"),
            no_year.label("financial_year"),
            no_date.label("on_date"),
            Award.reference.label("label"),
        ).where(awards),
        select(
            _text("application"), Application.id, Award.id, no_year, no_date, Application.reference
        )
        .join(Application, Application.id == Award.application_id)
        .where(awards),
        select(
            _text("payment"),
            Payment.id,
            Payment.award_id,
            Payment.financial_year,
            Payment.due_date,
            no_label,
        )
        .join(Award, Award.id == Payment.award_id)
        .where(awards),
        select(
            _text("monitoring_return"),
            MonitoringReturn.id,
            MonitoringReturn.award_id,
            no_year,
            MonitoringReturn.period_end,
            no_label,
        )
        .join(Award, Award.id == MonitoringReturn.award_id)
        .where(awards),
        select(
            _text("variation"), Variation.id, Variation.award_id, no_year, no_date, Variation.kind
        )
        .join(Award, Award.id == Variation.award_id)
        .where(awards),
    ).subquery("owned")


def _events(owned: Subquery, until: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    """The events of the owned objects with their award's reference and the actor's name, in
    ledger order."""
    query = (
        select(
            AuditEvent,
            owned.c.award_id,
            owned.c.financial_year,
            owned.c.on_date,
            owned.c.label,
            Award.reference,
            User.full_name,
        )
        .join(
            owned,
            and_(
                owned.c.object_type == AuditEvent.object_type,
                owned.c.object_id == AuditEvent.object_id,
            ),
        )
        .join(Award, Award.id == owned.c.award_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.seq)
    )
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return query


def _count(owned: Subquery, until: dt.datetime | None) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .join(
            owned,
            and_(
                owned.c.object_type == AuditEvent.object_type,
                owned.c.object_id == AuditEvent.object_id,
            ),
        )
    )
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return db.session.scalar(query) or 0


def _replayed(owned: Subquery, until: dt.datetime | None) -> Figures:
    """Replay only the columns the figures need, streamed: memory grows with the number of
    awards and payments, not of events."""
    query = (
        select(
            AuditEvent.object_type,
            AuditEvent.object_id,
            owned.c.award_id,
            Award.reference,
            owned.c.financial_year,
            AuditEvent.to_state,
            AuditEvent.amounts,
        )
        .join(
            owned,
            and_(
                owned.c.object_type == AuditEvent.object_type,
                owned.c.object_id == AuditEvent.object_id,
            ),
        )
        .join(Award, Award.id == owned.c.award_id)
        .where(AuditEvent.object_type.in_(("award", "payment")))
        .order_by(AuditEvent.seq)
    )
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    replay = Replay()
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        replay.feed(
            row.object_type,
            row.object_id,
            row.award_id,
            row.reference,
            row.financial_year,
            row.to_state,
            json.loads(row.amounts),
        )
    return replay.figures()


# Describing events -----------------------------------------------------------------------------


def _entries(rows: Iterable[Any], replay: Replay | None = None) -> Iterator[Entry]:
    """Rows of ``_events`` as entries. An amount is shown when it is not nothing or when it
    changed since the object's previous event on the same list."""
    previous: dict[tuple[str, int], dict[str, int]] = {}
    for event, award_id, year, on_date, label, reference, full_name in rows:
        amounts = {name: int(value) for name, value in json.loads(event.amounts).items()}
        if replay is not None:
            replay.feed(
                event.object_type, event.object_id, award_id, reference, year, event.to_state,
                amounts,
            )  # fmt: skip
        key = (event.object_type, event.object_id)
        before = previous.get(key, {})
        previous[key] = amounts
        shown = tuple(
            (_amount_words(name), pence)
            for name, pence in sorted(amounts.items(), key=lambda item: _amount_order(item[0]))
            if pence or (name in before and before[name] != pence)
        )
        yield Entry(
            seq=event.seq,
            occurred_at=event.occurred_at,
            who=_who(event.actor_id, full_name),
            role=_role_words(event.actor_role),
            award_id=award_id,
            award_reference=reference,
            object_type=event.object_type,
            object_label=_object_label(event.object_type, label, year, on_date),
            what=_action_words(event.object_type, event.action),
            from_state=_state_words(event.from_state),
            to_state=_state_words(event.to_state),
            amounts=shown,
            details=tuple(_details(json.loads(event.changes))),
            reason=event.reason,
            hash=event.hash,
            prev_hash=event.prev_hash,
        )


def _who(actor_id: int | None, full_name: str | None) -> str:
    if actor_id is None:
        return "The system"
    return full_name or f"User {actor_id} (no longer on the system)"


def _role_words(role: str) -> str:
    if role in ROLE_WORDS:
        return ROLE_WORDS[role]
    try:
        return StaffRole(role).label
    except ValueError:
        return role.replace("_", " ").capitalize()


def _state_words(state: str | None) -> str | None:
    return state.replace("_", " ") if state else None


def _action_words(object_type: str, action: str) -> str:
    words = ACTION_WORDS.get((object_type, action))
    if words:
        return words
    lifecycle = BY_NAME.get(object_type)
    transition = lifecycle.transition_named(action) if lifecycle else None
    if transition is not None:
        return transition.label
    return action.replace("_", " ").capitalize()


def _object_label(
    object_type: str, label: str | None, year: int | None, on_date: dt.date | None
) -> str:
    words = OBJECT_WORDS.get(object_type, object_type.replace("_", " ").capitalize())
    if object_type == "payment":
        parts = [financial_year(year)] if year else []
        if on_date:
            parts.append(f"due {london_date(on_date)}")
        return f"{words} ({', '.join(parts)})" if parts else words
    if object_type == "monitoring_return" and on_date:
        return f"{words} (period to {london_date(on_date)})"
    if object_type == "variation" and label:
        return f"{words} ({label.replace('_', ' ')})"
    return f"{words} {label}" if label else words


def _amount_words(name: str) -> str:
    if name in AMOUNT_WORDS:
        return AMOUNT_WORDS[name]
    if name.startswith("fy") and name[2:6].isdigit():
        return f"For {financial_year(int(name[2:6]))}"
    return name.removesuffix("_pence").replace("_", " ").capitalize()


def _amount_order(name: str) -> tuple[int, str]:
    order = ("amount_pence", "requested_pence", "approved_pence", "clawback_pence")
    return (order.index(name), name) if name in order else (len(order), name)


def _details(changes: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in sorted(changes.items()):
        label = name.removesuffix("_pence").replace("_", " ").capitalize()
        if name.endswith("_pence") and str(value).lstrip("-").isdigit():
            yield label, pounds(int(value))
        elif isinstance(value, bool):
            yield label, "Yes" if value else "No"
        elif value is not None and value != "":
            yield label, str(value)


# Use cases -------------------------------------------------------------------------------------


def end_of_london_day(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` in London, in UTC: events before it happened on or before
    that day."""
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    return following.astimezone(dt.UTC)


def check_as_at(day: dt.date) -> dt.date:
    if day > london_today():
        raise ServiceError("The date must be today or in the past")
    return day


def award_history(user: User, award_id: int) -> AwardHistory:
    """Every event of the award and of everything belonging to it, oldest first, with the
    money replayed from those events."""
    award = db.session.scalar(
        visible_awards(user)
        .where(Award.id == award_id)
        .options(joinedload(Award.organisation), joinedload(Award.programme))
    )
    if award is None:
        raise NotFound
    replay = Replay()
    rows = db.session.execute(_events(_owned(Award.id == award_id)))
    entries = list(_entries(rows, replay))
    return AwardHistory(award=award, entries=entries, figures=replay.figures())


def organisation_history(user: User, organisation_id: int, page: int = 1) -> HistoryPage:
    organisation = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation_id)
    )
    if organisation is None:
        raise NotFound
    return _page(organisation.name, Award.organisation_id == organisation_id, page, None)


def programme_history(
    user: User, programme_id: int, page: int = 1, as_at: dt.date | None = None
) -> HistoryPage:
    programme = _programme(programme_id)
    return _page(programme.name, Award.programme_id == programme_id, page, as_at)


def programme_as_at(user: User, programme_id: int, day: dt.date) -> ProgrammeAsAt:
    """What the programme had committed and paid at the end of ``day`` in London, replayed
    from the ledger up to that moment."""
    programme = _programme(programme_id)
    check_as_at(day)
    figures = _replayed(_owned(Award.programme_id == programme_id), end_of_london_day(day))
    return ProgrammeAsAt(programme=programme, as_at=day, figures=figures)


def programme_name(user: User, programme_id: int) -> str:
    return _programme(programme_id).name


def _programme(programme_id: int) -> Programme:
    # Every programme is visible to staff, the only readers of these pages.
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound
    return programme


def _page(name: str, awards: ColumnElement[bool], page: int, as_at: dt.date | None) -> HistoryPage:
    until = end_of_london_day(check_as_at(as_at)) if as_at is not None else None
    owned = _owned(awards)
    total = _count(owned, until)
    award_count = db.session.scalar(select(func.count()).select_from(Award).where(awards)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(_events(owned, until).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    figures = _replayed(owned, until) if until is not None else None
    return HistoryPage(
        name=name,
        entries=list(_entries(rows)),
        page=page,
        pages=pages,
        total=total,
        award_count=award_count,
        as_at=as_at,
        figures=figures,
    )
