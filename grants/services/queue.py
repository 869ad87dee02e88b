"""A round's application queue for staff: filters, search, sorting, pages of 50, counts per
status, and assigning assessors to many applications at once.

A page costs the same handful of statements however many applications the round holds: the
round and its filter options, one statement for the counts per status and the page's rows
(the counts also give the total, so there is no separate COUNT), and one for the page's
assessors. Only submitted applications appear: a draft is the applicant's own until they
submit it, and so is one withdrawn or lapsed before it was ever submitted.

Priorities and places are stored in answers as comma-separated codes, so they are matched in
SQL with ``(',' || value || ',') LIKE '%,code,%'`` inside an EXISTS, which reads the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    AssessorAssignment,
    Organisation,
    Place,
    Priority,
    Programme,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.policy import Rule, staff, visible_applications
from grants.services.errors import NotFound, ServiceError

PAGE_SIZE = 50
SEARCH_MAX = 100
# The states a submitted application can be in (only drafts lapse, so never "lapsed").
QUEUE_STATUSES = tuple(
    s for s in ApplicationStatus if s not in (ApplicationStatus.DRAFT, ApplicationStatus.LAPSED)
)
# Assessors are only worth assigning while an application can still be assessed.
ASSIGNABLE = frozenset(
    {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_ASSESSMENT,
        ApplicationStatus.INFORMATION_REQUESTED,
    }
)
# Who may assign assessors (officers run the round); everyone on the staff may read the queue.
ASSIGNERS: Rule = staff(StaffRole.COMMISSIONING_OFFICER)
UNASSIGNED = "none"

# Amount bands in whole pence: (above, up to and including); None is open-ended.
AMOUNT_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "up-to-5000": ("£5,000 or less", None, 500_000),
    "5000-to-10000": ("£5,000.01 to £10,000", 500_000, 1_000_000),
    "over-10000": ("More than £10,000", 1_000_000, None),
}
SORT_LABELS = {
    "submitted-desc": "Most recently submitted",
    "submitted-asc": "Submitted longest ago",
    "amount-desc": "Largest amount requested",
    "amount-asc": "Smallest amount requested",
    "organisation-asc": "Organisation (A to Z)",
    "organisation-desc": "Organisation (Z to A)",
    "reference-asc": "Reference (first to last)",
    "reference-desc": "Reference (last to first)",
}
DEFAULT_SORT = "submitted-desc"


@dataclass(frozen=True)
class QueueFilters:
    """What the reader asked for, as plain values (the form checks them against the options;
    the service checks again so no caller can get round it)."""

    in_status: str | None = None  # not `status`: that name is kept for the workflow engine
    priority: str | None = None
    place: str | None = None
    assessor: str | None = None  # a user id, or UNASSIGNED
    band: str | None = None
    search: str = ""
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return any(
            [self.in_status, self.priority, self.place, self.assessor, self.band, self.search]
        )


@dataclass(frozen=True)
class QueueOptions:
    """The round and what its filters offer."""

    round: Round
    priorities: list[Priority]
    places: list[Place]
    assessors: list[User]  # every assessor, so old assignments can still be found

    @property
    def assignable_assessors(self) -> list[User]:
        return [user for user in self.assessors if user.is_active]

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """(value, label) pairs for each filter, without the "any" option."""
        return {
            "status": [(s.value, s.label) for s in QUEUE_STATUSES],
            "priority": [(p.code, p.name) for p in self.priorities],
            "place": [(p.gss_code, p.name) for p in self.places],
            "assessor": [(UNASSIGNED, "Not assigned")]
            + [(str(u.id), u.full_name) for u in self.assessors],
            "band": [(key, label) for key, (label, _, _) in AMOUNT_BANDS.items()],
            "sort": list(SORT_LABELS.items()),
        }

    def assessor_choices(self) -> list[tuple[str, str]]:
        return [(str(u.id), u.full_name) for u in self.assignable_assessors]


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str | None
    organisation: str
    project_title: str
    amount_requested_pence: int
    submitted_at: dt.datetime | None
    status: ApplicationStatus
    assessors: tuple[str, ...] = ()

    @property
    def assignable(self) -> bool:
        return self.status in ASSIGNABLE


@dataclass(frozen=True)
class QueuePage:
    options: QueueOptions
    filters: QueueFilters
    rows: list[QueueRow]
    # Every status the queue shows, with how many match the filters other than status.
    counts: list[tuple[ApplicationStatus, int]]
    total: int  # matching every filter, status included
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def round(self) -> Round:
        return self.options.round

    @property
    def all_statuses(self) -> int:
        return sum(count for _, count in self.counts)

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.page_size + len(self.rows)


def queue_options(round_id: int) -> QueueOptions:
    """The round with what its filters offer; NotFound if there is no such round."""
    round_ = db.session.scalar(
        select(Round)
        .options(joinedload(Round.programme).selectinload(Programme.priorities))
        .where(Round.id == round_id)
    )
    if round_ is None:
        raise NotFound
    # Applicants choose from the programme's priorities, or from all of them if it names none.
    priorities = list(round_.programme.priorities) or list(
        db.session.scalars(select(Priority).order_by(Priority.name))
    )
    places = list(db.session.scalars(select(Place).order_by(Place.name)))
    assessors = list(
        db.session.scalars(
            select(User).where(User.staff_role == StaffRole.ASSESSOR).order_by(User.full_name)
        )
    )
    return QueueOptions(round=round_, priorities=priorities, places=places, assessors=assessors)


def queue_page(user: User, options: QueueOptions, filters: QueueFilters, page: int) -> QueuePage:
    """One page of the round's queue. A page past the end shows the last page; pages start
    at 1 (the view turns anything else into a 404)."""
    check_filters(options, filters)
    if page < 1:
        raise NotFound
    counts: dict[ApplicationStatus, int] = {}
    found = []
    for row in db.session.execute(queue_statement(user, options.round.id, filters, page)):
        if row.position is None:
            counts[row.status] = row.n
        else:
            found.append(row)
    found.sort(key=lambda row: row.position)
    assessors = assessor_names([row.id for row in found])
    total = (
        counts.get(ApplicationStatus(filters.in_status), 0)
        if filters.in_status
        else sum(counts.values())
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return QueuePage(
        options=options,
        filters=filters,
        rows=[
            QueueRow(
                row.id,
                row.reference,
                row.organisation,
                row.project_title,
                row.amount_requested_pence,
                row.submitted_at,
                row.status,
                tuple(assessors.get(row.id, ())),
            )
            for row in found
        ],
        counts=[(status, counts.get(status, 0)) for status in QUEUE_STATUSES],
        total=total,
        # The statement shows the last page for a page past the end; so does the page.
        page=min(page, pages),
        pages=pages,
    )


def check_filters(options: QueueOptions, filters: QueueFilters) -> None:
    """Refuse any value the filters do not offer, naming the filter."""
    offered = options.choices()
    for name, what in (
        ("in_status", "a status"),
        ("priority", "a priority"),
        ("place", "a place"),
        ("assessor", "an assessor"),
        ("band", "an amount"),
        ("sort", "how to sort"),
    ):
        value = getattr(filters, name)
        field_name = name.removeprefix("in_")
        if value and value not in {code for code, _ in offered[field_name]}:
            raise ServiceError(f"Choose {what} from the list", field=field_name)
    if len(filters.search) > SEARCH_MAX:
        raise ServiceError(f"Search must be {SEARCH_MAX} characters or fewer", field="q")


# Statements ---------------------------------------------------------------------------------
# Built here and nowhere else, so the benchmark times exactly what the page runs.


def queue_statement(user: User, round_id: int, filters: QueueFilters, page: int) -> Any:
    """Counts per status (every filter but status) and the page's rows (every filter) in one
    statement, so the filters are worked out once: both parts read the matching applications
    from one CTE. Count rows have no ``position``; page rows have no ``n``. A page past the
    end gives the last page's rows."""
    sort_key, _, direction = filters.sort.partition("-")
    query = _matching(user, round_id, filters)
    columns: list[Any] = [
        Application.id,
        Application.status,
        Application.reference,
        Application.organisation_id,
        Application.project_title,
        Application.amount_requested_pence,
        Application.submitted_at,
    ]
    if filters.search or sort_key == "organisation":
        query = query.join(Organisation, Organisation.id == Application.organisation_id)
        columns.append(Organisation.name.label("organisation_name"))
    matching = query.with_only_columns(*columns).cte("matching")

    sort_column = {
        "submitted": matching.c.submitted_at,
        "amount": matching.c.amount_requested_pence,
        "organisation": matching.c.get("organisation_name"),
        "reference": matching.c.reference,
    }[sort_key]
    descending = direction == "desc"
    # The id breaks ties, so a row never shows on two pages or on none.
    order = (
        [sort_column.desc(), matching.c.id.desc()]
        if descending
        else [sort_column.asc(), matching.c.id.asc()]
    )
    shown = select(
        matching,
        func.row_number().over(order_by=order).label("position"),
        func.count().over().label("total"),
    )
    if filters.in_status:
        shown = shown.where(matching.c.status == ApplicationStatus(filters.in_status))
    ordered = shown.subquery("ordered")
    wanted = (page - 1) * PAGE_SIZE
    first = case(
        (ordered.c.total > wanted, wanted),
        else_=(ordered.c.total - 1) // PAGE_SIZE * PAGE_SIZE,
    )
    rows = (
        select(
            ordered.c.status,
            null().label("n"),
            ordered.c.position,
            ordered.c.id,
            ordered.c.reference,
            Organisation.name.label("organisation"),
            ordered.c.project_title,
            ordered.c.amount_requested_pence,
            ordered.c.submitted_at,
        )
        .join(Organisation, Organisation.id == ordered.c.organisation_id)
        .where(ordered.c.position > first, ordered.c.position <= first + PAGE_SIZE)
    )
    counts = select(matching.c.status, func.count(), *[null()] * 7).group_by(matching.c.status)
    return union_all(rows, counts)


def assessors_statement(application_ids: Sequence[int]) -> Select[Any]:
    return (
        select(AssessorAssignment.application_id, User.full_name)
        .join(User, User.id == AssessorAssignment.assessor_id)
        .where(AssessorAssignment.application_id.in_(application_ids))
        .order_by(User.full_name)
    )


def assessor_names(application_ids: Sequence[int]) -> dict[int, list[str]]:
    # Run even for an empty page, so every page costs the same statements.
    names: dict[int, list[str]] = {}
    for application_id, name in db.session.execute(assessors_statement(application_ids)):
        names.setdefault(application_id, []).append(name)
    return names


def _matching(user: User, round_id: int, filters: QueueFilters) -> Select[Any]:
    """The round's submitted applications that match every filter but status."""
    query = visible_applications(user).where(
        Application.round_id == round_id, Application.submitted_at.is_not(None)
    )
    if filters.priority:
        query = query.where(_answer_has("priorities", filters.priority))
    if filters.place:
        query = query.where(_answer_has("places", filters.place))
    if filters.assessor == UNASSIGNED:
        query = query.where(~_assigned())
    elif filters.assessor:
        query = query.where(_assigned(AssessorAssignment.assessor_id == int(filters.assessor)))
    if filters.band:
        _, above, up_to = AMOUNT_BANDS[filters.band]
        if above is not None:
            query = query.where(Application.amount_requested_pence > above)
        if up_to is not None:
            query = query.where(Application.amount_requested_pence <= up_to)
    if filters.search:
        query = query.where(_search(filters.search))
    return query


def _answer_has(question_key: str, code: str) -> ColumnElement[bool]:
    padded = literal(",") + ApplicationAnswer.value + literal(",")
    return exists().where(
        ApplicationAnswer.application_id == Application.id,
        ApplicationAnswer.question_key == question_key,
        padded.like(f"%,{_like_escape(code)},%", escape="\\"),
    )


def _assigned(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(AssessorAssignment.application_id == Application.id, *conditions)


def _search(text: str) -> ColumnElement[bool]:
    """Part of the organisation's name, or of the reference, in any case."""
    pattern = f"%{_like_escape(text.lower())}%"
    return or_(
        func.lower(Organisation.name).like(pattern, escape="\\"),
        func.lower(Application.reference).like(pattern, escape="\\"),
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Assigning assessors ------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentResult:
    assessor: str
    assigned: int
    already: int
    left_out: int

    @property
    def message(self) -> str:
        def applications(n: int) -> str:
            return f"{n:,} application{'' if n == 1 else 's'}"

        parts = [f"{self.assessor} assigned to {applications(self.assigned)}"]
        if self.already:
            parts.append(f"They were already assigned to {applications(self.already)}")
        if self.left_out:
            parts.append(
                f"{applications(self.left_out)} left out: not open for assessment in this round"
            )
        return ". ".join(parts)


def assign_assessor(
    actor: User, round_id: int, application_ids: Iterable[int], assessor_id: int | None
) -> AssignmentResult:
    """Assign one assessor to the chosen applications of this round. Assignments that exist
    are left as they are; applications of other rounds, drafts and decided ones are left out
    (the page offers only open ones, so those came from a stale page or an edited form)."""
    if not ASSIGNERS.allows(actor):
        raise ServiceError("Only commissioning officers can assign assessors")
    wanted = sorted(set(application_ids))
    if not wanted:
        raise ServiceError("Select the applications to assign", field="applications")
    if len(wanted) > PAGE_SIZE:
        # A page lists 50; more came from an edited form.
        raise ServiceError(
            f"Select at most {PAGE_SIZE} applications at a time", field="applications"
        )
    assessor = (
        db.session.scalar(
            select(User).where(
                User.id == assessor_id,
                User.staff_role == StaffRole.ASSESSOR,
                User.is_active.is_(True),
            )
        )
        if assessor_id is not None
        else None
    )
    if assessor is None:
        raise ServiceError("Choose an assessor", field="assessor")
    open_ids = list(
        db.session.scalars(
            visible_applications(actor)
            .with_only_columns(Application.id)
            .where(
                Application.round_id == round_id,
                Application.id.in_(wanted),
                Application.status.in_(ASSIGNABLE),
            )
        )
    )
    if not open_ids:
        raise ServiceError(
            "None of the selected applications is open for assessment", field="applications"
        )
    existing = set(
        db.session.scalars(
            select(AssessorAssignment.application_id).where(
                AssessorAssignment.assessor_id == assessor.id,
                AssessorAssignment.application_id.in_(open_ids),
            )
        )
    )
    new = [i for i in open_ids if i not in existing]
    if new:
        now = utcnow()
        rows = [
            {"application_id": i, "assessor_id": assessor.id, "assigned_by_id": actor.id,
             "assigned_at": now}
            for i in new
        ]  # fmt: skip
        try:
            db.session.execute(insert(AssessorAssignment), rows)
            db.session.commit()
        except IntegrityError:
            # Another officer assigned the same person to one of these a moment ago.
            db.session.rollback()
            raise ServiceError(
                "Someone else assigned assessors to these applications at the same time. "
                "Check the list and try again",
                field="applications",
            ) from None
    return AssignmentResult(
        assessor=assessor.full_name,
        assigned=len(new),
        already=len(existing),
        left_out=len(wanted) - len(open_ids),
    )
