"""Running an award, for staff: the list of awards, one award's terms, conditions, payments,
returns and variations, the moves staff may make on it, red/amber/green ratings, and deciding
variations.

Every state change (the award's moves, ratings, variation decisions) goes through the workflow
engine, so it is checked there and kept in the ledger. Conditions are data, not a lifecycle:
recording one as met stamps who and when, once.

Refusals name the form field they belong to where there is one, so the page puts them next to
it; otherwise they go to the top of the error summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import london_date
from grants.models import (
    Award,
    AwardCondition,
    AwardRating,
    AwardStatus,
    MonitoringReturn,
    Organisation,
    Programme,
    Rag,
    ReturnStatus,
    User,
    Variation,
    VariationStatus,
    utcnow,
)
from grants.policy import MANAGING_STAFF, visible_awards, visible_variations
from grants.services.errors import NotFound, ServiceError
from grants.services.variations import END_DATE, KINDS, VARIABLE, LineChoice, budget_lines
from workflows.engine import available_triggers, fire
from workflows.errors import WorkflowError

PAGE_SIZE = 50
TEXT_MAX = 2000
S = AwardStatus
# Awards that are still running or waiting on the organisation: conditions can be met on them.
OPEN = frozenset({S.OFFERED, S.ACCEPTED, S.ACTIVE, S.SUSPENDED})
# The list puts the awards that need attention first: suspended, then running, then waiting to
# start or be accepted; finished awards last.
LIST_ORDER = (
    S.SUSPENDED, S.ACTIVE, S.ACCEPTED, S.OFFERED, S.CLOSED, S.TERMINATED, S.LAPSED, S.DECLINED,
)  # fmt: skip
# Moves made with their own form on the award page rather than a button, or elsewhere:
# a reduction follows the decision on a funder's lowered cap (grants/services/bids.py).
OWN_FORMS = frozenset({"rate", "reduce"})
RAG_CHOICES = tuple((rag.value, rag.label) for rag in Rag)
RATED = ("delivery", "spend", "risk")
NOT_DUE_YET = frozenset({ReturnStatus.SCHEDULED, ReturnStatus.OPEN})
DECISIONS = {"approve": "Approve", "reject": "Reject"}


# The list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardRow:
    id: int
    reference: str
    title: str
    organisation: str
    programme: str
    amount_pence: int
    award_status: AwardStatus
    rating: AwardRating | None


@dataclass(frozen=True)
class AwardPage:
    rows: list[AwardRow]
    page: int
    pages: int
    total: int

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)


def programme_choices() -> list[tuple[str, str]]:
    programmes = db.session.execute(select(Programme.id, Programme.name).order_by(Programme.name))
    return [(str(id_), name) for id_, name in programmes]


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, status.label) for status in AwardStatus]


def award_page(
    user: User, programme_id: int | None = None, status: str | None = None, page: int = 1
) -> AwardPage:
    """One page of the awards the user may see, filtered by programme and status, each with
    its latest rating. A page past the end shows the last page."""
    query = visible_awards(user)
    if programme_id is not None:
        query = query.where(Award.programme_id == programme_id)
    if status:
        try:
            query = query.where(Award.status == AwardStatus(status))
        except ValueError:
            raise ServiceError("Choose a status from the list", field="status") from None
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    latest = (
        select(AwardRating.award_id, func.max(AwardRating.id).label("rating_id"))
        .group_by(AwardRating.award_id)
        .subquery()
    )
    rank = case(
        *[(Award.status == status, position) for position, status in enumerate(LIST_ORDER)],
        else_=len(LIST_ORDER),
    )
    rows = db.session.execute(
        query.join(Organisation, Organisation.id == Award.organisation_id)
        .join(Programme, Programme.id == Award.programme_id)
        .outerjoin(latest, latest.c.award_id == Award.id)
        .outerjoin(AwardRating, AwardRating.id == latest.c.rating_id)
        .add_columns(Organisation.name, Programme.name, AwardRating)
        .order_by(rank, Award.reference)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return AwardPage(
        rows=[
            AwardRow(
                id=award.id,
                reference=award.reference,
                title=award.title,
                organisation=organisation,
                programme=programme,
                amount_pence=award.amount_pence,
                award_status=award.status,
                rating=rating,
            )
            for award, organisation, programme, rating in rows
        ],
        page=page,
        pages=pages,
        total=total,
    )


# One award -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardMove:
    trigger: str
    label: str
    needs_reason: bool
    needs_clawback: bool


@dataclass(frozen=True)
class ReturnRow:
    monitoring_return: MonitoringReturn
    overdue: bool


@dataclass(frozen=True)
class AwardDetail:
    award: Award
    before_payment: list[AwardCondition]
    other_conditions: list[AwardCondition]
    returns: list[ReturnRow]
    variations: list[Variation]
    ratings: list[AwardRating]  # newest first
    moves: list[AwardMove]
    can_rate: bool
    can_meet_conditions: bool
    people: dict[int, str]  # who met each condition, by user id

    @property
    def latest_rating(self) -> AwardRating | None:
        return self.ratings[0] if self.ratings else None


def award_for_staff(user: User, award_id: int) -> Award:
    award = db.session.scalar(
        visible_awards(user)
        .options(
            selectinload(Award.organisation),
            selectinload(Award.programme),
            selectinload(Award.years),
            selectinload(Award.conditions),
            selectinload(Award.payments),
            selectinload(Award.returns),
            selectinload(Award.ratings).selectinload(AwardRating.rated_by),
        )
        .where(Award.id == award_id)
    )
    if award is None:
        raise NotFound
    return award


def award_detail(user: User, award_id: int) -> AwardDetail:
    award = award_for_staff(user, award_id)
    today = london_today()
    triggers = available_triggers(user, award)
    variations = list(
        db.session.scalars(
            visible_variations(user)
            .where(Variation.award_id == award.id)
            .order_by(Variation.created_at.desc(), Variation.id.desc())
        )
    )
    met_by = {c.met_by_id for c in award.conditions if c.met_by_id is not None}
    people = (
        dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(met_by))).all())
        if met_by
        else {}
    )
    return AwardDetail(
        award=award,
        before_payment=[c for c in award.conditions if c.before_first_payment],
        other_conditions=[c for c in award.conditions if not c.before_first_payment],
        returns=[
            ReturnRow(r, overdue=r.status in NOT_DUE_YET and r.due_date < today)
            for r in award.returns
        ],
        variations=variations,
        ratings=list(reversed(award.ratings)),
        moves=[
            AwardMove(
                trigger=t.trigger,
                label=t.label,
                needs_reason="reason" in t.requires,
                needs_clawback=t.trigger == "terminate",
            )
            for t in triggers
            if t.trigger not in OWN_FORMS
        ],
        can_rate=any(t.trigger == "rate" for t in triggers),
        can_meet_conditions=MANAGING_STAFF.allows(user) and award.status in OPEN,
        people=people,
    )


def mark_condition_met(user: User, award_id: int, condition_id: int, note: str | None) -> None:
    """Record a condition as met, with who and when, and commit. A condition is met once: the
    update only applies while it is still unmet, so two people recording it at once cannot
    both succeed."""
    award = award_for_staff(user, award_id)
    condition = next((c for c in award.conditions if c.id == condition_id), None)
    if condition is None:
        raise NotFound
    if not MANAGING_STAFF.allows(user):
        raise ServiceError("Only commissioning officers and decision makers can record this")
    if condition.met_at is not None:
        raise ServiceError(f"This condition was already met on {london_date(condition.met_at)}")
    if award.status not in OPEN:
        raise ServiceError(f"Conditions cannot be met on an award that is {award.status.value}")
    text = (note or "").strip() or None
    if text is not None and len(text) > TEXT_MAX:
        raise ServiceError(f"The note must be {TEXT_MAX:,} characters or fewer", field="note")
    result = db.session.execute(
        update(AwardCondition)
        .where(AwardCondition.id == condition.id, AwardCondition.met_at.is_(None))
        .values(met_at=utcnow(), met_by_id=user.id, note=text)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ServiceError("This condition has just been recorded as met by someone else")
    db.session.commit()


def move_award(
    user: User,
    award_id: int,
    trigger: str,
    expected_version: int | None,
    reason: str | None = None,
    clawback_pence: int | None = None,
) -> Award:
    """Fire ``trigger`` on an award the user can see, and commit; NotFound if they cannot."""
    award = award_for_staff(user, award_id)
    if trigger in OWN_FORMS:
        raise ServiceError("Rate the award with the rating form")
    payload: dict[str, Any] = {}
    if reason and reason.strip():
        payload["reason"] = reason.strip()
    if trigger == "terminate":
        if clawback_pence is None:
            raise ServiceError("Enter the amount to claw back, or 0", field="clawback")
        payload["clawback_pence"] = clawback_pence
    _fire(user, award, trigger, expected_version, payload)
    return award


def rate_award(
    user: User,
    award_id: int,
    expected_version: int | None,
    ratings: dict[str, str | None],
    comment: str | None,
) -> Award:
    """Record a red/amber/green rating of delivery, spend and risk with a comment, as the
    award's ``rate`` move (the award keeps its state), and commit."""
    award = award_for_staff(user, award_id)
    for field in RATED:
        if ratings.get(field) not in {rag.value for rag in Rag}:
            raise ServiceError(f"Select a rating for {field}", field=field)
    text = (comment or "").strip()
    if not text:
        raise ServiceError("Enter a comment on the rating", field="comment")
    if len(text) > TEXT_MAX:
        raise ServiceError(f"The comment must be {TEXT_MAX:,} characters or fewer", field="comment")
    payload = {field: ratings[field] for field in RATED}
    _fire(user, award, "rate", expected_version, {**payload, "reason": text})
    return award


def _fire(
    user: User, obj: Any, trigger: str, expected_version: int | None, payload: dict[str, Any]
) -> None:
    try:
        fire(user, obj, trigger, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal


# Variations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariationDetail:
    variation: Variation
    award: Award
    kind_label: str
    budget_lines: Sequence[LineChoice]  # as awarded: a request changes none of them
    outputs: Sequence[tuple[str, int]]
    can_decide: bool


def variation_detail(user: User, variation_id: int) -> VariationDetail:
    variation = _variation(user, variation_id)
    award = variation.award
    application = award.application
    return VariationDetail(
        variation=variation,
        award=award,
        kind_label=KINDS.get(variation.kind, variation.kind),
        budget_lines=budget_lines(award),
        outputs=[(o.description, o.target) for o in application.output_targets]
        if application
        else [],
        can_decide=any(t.trigger in DECISIONS for t in available_triggers(user, variation)),
    )


def decide_variation(
    user: User,
    variation_id: int,
    decision: str | None,
    reason: str | None,
    expected_version: int | None,
) -> Variation:
    """Approve or reject a variation with reasons, through the variation's lifecycle, and
    commit. Approving a new end date moves the award's end date in the same transaction (and
    the date goes into the ledger with the decision). Budget and output changes are held as the
    organisation's words only, so approving one records the decision and changes no figures."""
    variation = _variation(user, variation_id)
    if decision not in DECISIONS:
        raise ServiceError("Select whether to approve or reject the change", field="decision")
    text = (reason or "").strip()
    if not text:
        raise ServiceError("Enter the reasons for your decision", field="reason")
    if len(text) > TEXT_MAX:
        raise ServiceError(f"The reasons must be {TEXT_MAX:,} characters or fewer", field="reason")
    payload: dict[str, Any] = {"reason": text}
    award = variation.award
    applies_end_date = (
        decision == "approve"
        and variation.kind == END_DATE
        and variation.new_end_date is not None
        and variation.status is VariationStatus.REQUESTED
    )
    if decision == "approve" and variation.status is VariationStatus.REQUESTED:
        if award.status not in VARIABLE:
            raise ServiceError(
                f"The award is {award.status.value}, so the change cannot be approved: "
                "reject it with your reasons",
                field="decision",
            )
        if applies_end_date and _is_past(variation.new_end_date):
            raise ServiceError(
                "The new end date asked for has passed: reject the request so the organisation "
                "can ask for another date",
                field="decision",
            )
    try:
        if applies_end_date:
            payload["new_end_date"] = variation.new_end_date
            # Set before the move so the engine's flush writes it (and a concurrent change to
            # the award is refused as stale); a refusal rolls it back.
            award.ends_on = variation.new_end_date
        fire(user, variation, decision, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return variation


def _is_past(day: dt.date | None) -> bool:
    return day is not None and day < london_today()


def _variation(user: User, variation_id: int) -> Variation:
    variation = db.session.scalar(
        visible_variations(user)
        .options(selectinload(Variation.award).selectinload(Award.application))
        .where(Variation.id == variation_id)
    )
    if variation is None:
        raise NotFound
    return variation
