"""Assessing applications: declarations of interest and the register of interests,
due-diligence checks, scores, moderation, the ranked list against the round's budget, and the
officer's recommendation.

Scoring and recommending are workflow moves (``score`` and ``recommend``), so the engine's rules
decide them: interests declared and no conflict, every criterion scored and justified, a valid
recommendation. This module gathers what the pages show, saves what is not a move (declarations,
the register, checks) and turns the engine's refusals into messages for the error summary.

Refusals that belong to one form field name it (``has_interest``, ``details``, ``conflicted``,
``organisation``, ``description``, ``score_<criterion id>``, ``justification_<criterion id>``,
``<check key>_result``, ``<check key>_note``, ``recommendation``, ``amount``, ``reason``), which
are the names the forms in forms/assessment.py give those fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Criterion,
    DecisionRecord,
    DueDiligenceCheck,
    InterestDeclaration,
    Organisation,
    RegisteredInterest,
    Round,
    Score,
    StaffRole,
    User,
    utcnow,
)
from grants.policy import visible_applications, visible_organisations
from grants.services.errors import NotFound, ServiceError
from workflows import assessment_rules as rules
from workflows.engine import fire
from workflows.errors import WorkflowError

S = ApplicationStatus
TEXT_MAX = 2000
# Applications being assessed: a question to the applicant pauses, but does not end, it.
ASSESSING = (S.IN_ASSESSMENT, S.INFORMATION_REQUESTED)
DECLARABLE = (S.SUBMITTED, *ASSESSING)
CHECKABLE = (S.SUBMITTED, *ASSESSING)
SCORERS = (StaffRole.ASSESSOR, StaffRole.COMMISSIONING_OFFICER)

# The due-diligence checks an officer makes on every application, in the order they are asked.
CHECKS: tuple[tuple[str, str], ...] = (
    ("registration", "Charity or company registration checked"),
    ("accounts", "Latest accounts filed"),
    ("safeguarding", "Safeguarding policy in date"),
    ("bank_account", "Bank account in the organisation's name"),
    ("previous_grants", "No unresolved concerns from previous grants"),
)
CHECK_LABELS = dict(CHECKS)


def is_officer(user: User) -> bool:
    return user.staff_role is StaffRole.COMMISSIONING_OFFICER


def _load(user: User, application_id: int) -> Application:
    """The application with everything assessment reads, if this user may see it."""
    application = db.session.scalar(
        visible_applications(user)
        .options(
            selectinload(Application.round).options(
                selectinload(Round.criteria), selectinload(Round.programme)
            ),
            selectinload(Application.organisation),
            selectinload(Application.interest_declarations),
            selectinload(Application.scores),
            selectinload(Application.checks),
            selectinload(Application.assignments),
            selectinload(Application.decision_record),
        )
        .where(Application.id == application_id)
    )
    if application is None:
        raise NotFound
    return application


def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _text(value: str | None, field: str, missing: str, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(missing, field=field)
    if len(text) > TEXT_MAX:
        raise ServiceError(f"{name} must be {TEXT_MAX:,} characters or fewer", field=field)
    return text


def _status_words(application: Application) -> str:
    return application.status.label.lower()


def _mean(values: list[int]) -> int | None:
    """The mean rounded half up, in whole numbers (no floats)."""
    if not values:
        return None
    return (2 * sum(values) + len(values)) // (2 * len(values))


def _complete_percents(application: Application) -> dict[int, int]:
    """Each assessor's weighted percentage, for those who have scored every criterion."""
    assessors = {score.assessor_id for score in application.scores}
    percents = {a: rules.weighted_percent(application, a) for a in sorted(assessors)}
    return {a: p for a, p in percents.items() if p is not None}


def mean_percent(application: Application) -> int | None:
    return _mean(list(_complete_percents(application).values()))


# Declarations of interest ------------------------------------------------------------------


def _registered_interests(user: User, organisation_id: int) -> list[RegisteredInterest]:
    return list(
        db.session.scalars(
            select(RegisteredInterest)
            .where(
                RegisteredInterest.user_id == user.id,
                RegisteredInterest.organisation_id == organisation_id,
                RegisteredInterest.ended_at.is_(None),
            )
            .order_by(RegisteredInterest.registered_at)
        )
    )


def _my_declaration(user: User, application: Application) -> InterestDeclaration | None:
    return next((d for d in application.interest_declarations if d.user_id == user.id), None)


def _declaration_locked(user: User, application: Application) -> str | None:
    """Why this user cannot make or change their declaration now, if they cannot."""
    if application.status is S.DRAFT:
        return "This application has not been submitted yet, so there is nothing to declare"
    if application.status not in DECLARABLE:
        return f"This application is {_status_words(application)}, so declarations are closed"
    if any(score.assessor_id == user.id for score in application.scores):
        return (
            "You have scored this application, so you cannot change your declaration. "
            "If it needs correcting, tell the commissioning officer"
        )
    if application.recommended_by_id == user.id:
        return (
            "You have made the recommendation on this application, so you cannot change your "
            "declaration. If it needs correcting, tell the commissioning officer"
        )
    return None


@dataclass(frozen=True)
class DeclarationPage:
    application: Application
    mine: InterestDeclaration | None
    registered: list[RegisteredInterest]
    locked: str | None


def declaration_page(user: User, application_id: int) -> DeclarationPage:
    application = _load(user, application_id)
    return DeclarationPage(
        application=application,
        mine=_my_declaration(user, application),
        registered=_registered_interests(user, application.organisation_id),
        locked=_declaration_locked(user, application),
    )


def declare_interest(
    user: User,
    application_id: int,
    has_interest: bool,
    details: str | None = None,
    conflicted: bool | None = None,
) -> InterestDeclaration:
    """Make or change this user's one declaration on the application, and commit."""
    application = _load(user, application_id)
    locked = _declaration_locked(user, application)
    if locked:
        raise ServiceError(locked, field="has_interest")
    if has_interest:
        details = _text(details, "details", "Describe your interest", "Your interest")
        if conflicted is None:
            raise ServiceError(
                "Select whether your interest stops you taking part", field="conflicted"
            )
    else:
        details, conflicted = "", False
    declaration = _my_declaration(user, application)
    if declaration is None:
        declaration = InterestDeclaration(user_id=user.id, conflicted=False)
        application.interest_declarations.append(declaration)
    declaration.conflicted = bool(conflicted)
    declaration.details = details
    declaration.declared_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError as error:
        # The same person declaring in two tabs at once: the first declaration stands.
        db.session.rollback()
        raise ServiceError(
            "You have already declared your interests in this application: "
            "check your declaration and try again",
            field="has_interest",
        ) from error
    return declaration


# The register of interests ------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    interest: RegisteredInterest
    organisation_name: str
    staff_name: str
    staff_role: str

    @property
    def active(self) -> bool:
        return self.interest.ended_at is None


def _register(*conditions: object) -> list[RegisterRow]:
    rows = db.session.execute(
        select(RegisteredInterest, Organisation.name, User.full_name, User.staff_role)
        .join(Organisation, Organisation.id == RegisteredInterest.organisation_id)
        .join(User, User.id == RegisteredInterest.user_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(
            RegisteredInterest.ended_at.is_not(None),
            User.full_name,
            Organisation.name,
            RegisteredInterest.id,
        )
    ).all()
    return [
        RegisterRow(interest, organisation, name, role.label if role else "")
        for interest, organisation, name, role in rows
    ]


def my_register(user: User) -> list[RegisterRow]:
    """This user's interests, current ones first."""
    return _register(RegisteredInterest.user_id == user.id)


def full_register() -> list[RegisterRow]:
    """Every staff member's interests, current ones first (for the decisions register)."""
    return _register()


def organisation_choices(user: User) -> list[tuple[int, str]]:
    return [
        (organisation.id, organisation.name)
        for organisation in db.session.scalars(
            visible_organisations(user).order_by(Organisation.name)
        )
    ]


def register_interest(user: User, organisation_id: int | None, description: str | None) -> None:
    organisation = (
        db.session.scalar(visible_organisations(user).where(Organisation.id == organisation_id))
        if organisation_id is not None
        else None
    )
    if organisation is None:
        raise ServiceError("Select the organisation", field="organisation")
    description = _text(description, "description", "Describe your interest", "Your interest")
    db.session.add(
        RegisteredInterest(
            user_id=user.id,
            organisation_id=organisation.id,
            description=description,
            registered_at=utcnow(),
        )
    )
    db.session.commit()


def end_interest(user: User, interest_id: int) -> None:
    """End one of this user's own current interests; anyone else's is not found."""
    interest = db.session.scalar(
        select(RegisteredInterest).where(
            RegisteredInterest.id == interest_id,
            RegisteredInterest.user_id == user.id,
            RegisteredInterest.ended_at.is_(None),
        )
    )
    if interest is None:
        raise NotFound
    interest.ended_at = utcnow()
    db.session.commit()


# Due-diligence checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    key: str
    label: str
    check: DueDiligenceCheck | None
    checked_by: str | None


@dataclass(frozen=True)
class ChecksPage:
    application: Application
    rows: list[CheckRow]
    refusal: str | None  # why this user cannot record checks now, if they cannot


def _checks_refusal(user: User, application: Application) -> str | None:
    if not is_officer(user):
        return "Only commissioning officers record due-diligence checks"
    if application.status not in CHECKABLE:
        return (
            "Checks are recorded while an application is being assessed; "
            f"this one is {_status_words(application)}"
        )
    return None


def checks_page(user: User, application_id: int) -> ChecksPage:
    application = _load(user, application_id)
    made = {check.check_key: check for check in application.checks}
    names = _names(check.checked_by_id for check in made.values())
    rows = [
        CheckRow(
            key,
            label,
            made.get(key),
            names.get(made[key].checked_by_id) if key in made else None,
        )
        for key, label in CHECKS
    ]
    return ChecksPage(application, rows, _checks_refusal(user, application))


def record_checks(user: User, application_id: int, results: Mapping[str, tuple[bool, str]]) -> None:
    """Save the results given (check key: passed, note), replacing earlier ones, and commit."""
    application = _load(user, application_id)
    first = f"{CHECKS[0][0]}_result"
    refusal = _checks_refusal(user, application)
    if refusal:
        raise ServiceError(refusal, field=first)
    if not results:
        raise ServiceError("Record the result of at least one check", field=first)
    made = {check.check_key: check for check in application.checks}
    now = utcnow()
    for key, (passed, note) in results.items():
        if key not in CHECK_LABELS:
            raise ServiceError("Record only the checks listed", field=first)
        note = (note or "").strip()
        if len(note) > TEXT_MAX:
            raise ServiceError(
                f"The note must be {TEXT_MAX:,} characters or fewer", field=f"{key}_note"
            )
        if not passed and not note:
            raise ServiceError(f"Say why '{CHECK_LABELS[key]}' was not passed", field=f"{key}_note")
        check = made.get(key)
        if check is None:
            check = DueDiligenceCheck(check_key=key)
            application.checks.append(check)
        check.passed = passed
        check.note = note
        check.checked_by_id = user.id
        check.checked_at = now
    db.session.commit()


# Scoring -----------------------------------------------------------------------------------


def _may_score(user: User, application: Application) -> str | None:
    """Assignment is the office's choice of who scores, not a rule of the lifecycle, so it is
    checked here: once anyone is assigned, only they (and officers) score."""
    if user.staff_role not in SCORERS:
        return "Only assessors and commissioning officers score applications"
    if is_officer(user) or not application.assignments:
        return None
    if any(a.assessor_id == user.id for a in application.assignments):
        return None
    return "Only the assessors assigned to this application can score it"


@dataclass(frozen=True)
class ScoringSheet:
    application: Application
    criteria: list[Criterion]
    mine: dict[int, Score]
    declared: bool
    # Why the form is not offered (role, assignment, state, conflict), if it is not.
    refusal: str | None
    weighted_percent: int | None


def scoring_sheet(user: User, application_id: int) -> ScoringSheet:
    application = _load(user, application_id)
    criteria = list(application.round.criteria)
    refusal = _may_score(user, application)
    if refusal is None and application.status is not S.IN_ASSESSMENT:
        refusal = (
            "Applications are scored while they are in assessment; "
            f"this one is {_status_words(application)}"
        )
    if refusal is None and not criteria:
        refusal = "This round has no scoring criteria yet"
    if refusal is None and rules.is_conflicted(user, application):
        refusal = "You have a conflict of interest in this application, so you cannot take part"
    return ScoringSheet(
        application=application,
        criteria=criteria,
        mine={s.criterion_id: s for s in application.scores if s.assessor_id == user.id},
        declared=rules.has_declared(user, application),
        refusal=refusal,
        weighted_percent=rules.weighted_percent(application, user.id),
    )


def submit_scores(
    user: User,
    application_id: int,
    marks: Mapping[int, tuple[int | None, str | None]],
    expected_version: int | None,
) -> Application:
    """Save this user's score and justification for every criterion and submit them as the
    ``score`` move. If the engine refuses, nothing is saved."""
    application = _load(user, application_id)
    refusal = _may_score(user, application)
    if refusal:
        raise ServiceError(refusal)
    now = utcnow()
    mine = {s.criterion_id: s for s in application.scores if s.assessor_id == user.id}
    checked: list[tuple[Criterion, int, str]] = []
    for criterion in application.round.criteria:
        value, justification = marks.get(criterion.id, (None, None))
        if value is None:
            raise ServiceError(
                f"Select a score for '{criterion.name}'", field=f"score_{criterion.id}"
            )
        if not 0 <= value <= criterion.max_score:
            raise ServiceError(
                f"The score for '{criterion.name}' must be between 0 and {criterion.max_score}",
                field=f"score_{criterion.id}",
            )
        text = _text(
            justification,
            f"justification_{criterion.id}",
            f"Give the reasons for your score for '{criterion.name}'",
            f"The reasons for '{criterion.name}'",
        )
        checked.append((criterion, value, text))
    for criterion, value, text in checked:
        score = mine.get(criterion.id)
        if score is None:
            score = Score(assessor_id=user.id, criterion_id=criterion.id)
            application.scores.append(score)
        score.score = value
        score.justification = text
        score.scored_at = now
    try:
        fire(
            user,
            application,
            "score",
            expected_version=expected_version,
            weighted_percent=rules.weighted_percent(application, user.id),
        )
        db.session.commit()
    except WorkflowError as refusal_:
        db.session.rollback()
        raise ServiceError(refusal_.message) from refusal_
    return application


# Moderation and the ranked list --------------------------------------------------------------


def _round(round_id: int) -> Round:
    round_ = db.session.scalar(
        select(Round)
        .options(selectinload(Round.criteria), selectinload(Round.programme))
        .where(Round.id == round_id)
    )
    if round_ is None:
        raise NotFound
    return round_


def _applications(user: User, round_id: int, statuses: Iterable[S]) -> list[Application]:
    """The round's applications in these states with their scores and declarations: a fixed
    number of statements however many there are."""
    return list(
        db.session.scalars(
            visible_applications(user)
            .options(
                selectinload(Application.organisation),
                selectinload(Application.scores),
                selectinload(Application.interest_declarations),
            )
            .where(Application.round_id == round_id, Application.status.in_(list(statuses)))
            .order_by(Application.reference, Application.id)
        )
    )


def _conflicted_ids(user: User, applications: list[Application]) -> set[int]:
    """The applications this user is conflicted in, by declaration or by the register."""
    registered = set(
        db.session.scalars(
            select(RegisteredInterest.organisation_id).where(
                RegisteredInterest.user_id == user.id, RegisteredInterest.ended_at.is_(None)
            )
        )
    )
    return {
        a.id
        for a in applications
        if a.organisation_id in registered
        or any(d.user_id == user.id and d.conflicted for d in a.interest_declarations)
    }


@dataclass(frozen=True)
class AssessorResult:
    name: str
    weighted_percent: int | None  # None until they have scored every criterion


@dataclass(frozen=True)
class CriterionSpread:
    criterion: Criterion
    scores: list[int]
    spread: int | None  # None with fewer than two scores
    diverges: bool


@dataclass(frozen=True)
class ModerationRow:
    application: Application
    assessors: list[AssessorResult] = field(default_factory=list)
    mean: int | None = None
    spreads: list[CriterionSpread] = field(default_factory=list)
    needs_moderation: bool = False
    # The viewer has a conflict of interest here, so the scores are not shown to them.
    hidden: bool = False


@dataclass(frozen=True)
class Moderation:
    round: Round
    rows: list[ModerationRow]

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.needs_moderation)


def moderation(user: User, round_id: int) -> Moderation:
    round_ = _round(round_id)
    applications = _applications(user, round_id, ASSESSING)
    names = _names(s.assessor_id for a in applications for s in a.scores)
    conflicted = _conflicted_ids(user, applications)
    rows = []
    for application in applications:
        if application.id in conflicted:
            rows.append(ModerationRow(application, hidden=True))
            continue
        assessors = sorted({s.assessor_id for s in application.scores}, key=lambda a: names[a])
        results = [
            AssessorResult(names[a], rules.weighted_percent(application, a)) for a in assessors
        ]
        spreads = []
        for criterion in round_.criteria:
            given = [s.score for s in application.scores if s.criterion_id == criterion.id]
            spread = max(given) - min(given) if len(given) >= 2 else None
            diverges = spread is not None and spread > round_.moderation_spread
            spreads.append(CriterionSpread(criterion, sorted(given), spread, diverges))
        rows.append(
            ModerationRow(
                application,
                results,
                mean_percent(application),
                spreads,
                any(s.diverges for s in spreads),
            )
        )
    return Moderation(round_, rows)


@dataclass(frozen=True)
class RankedRow:
    application: Application
    rank: int | None
    mean: int | None
    approved: bool
    below_threshold: bool
    # The total of the applications still to decide down to this one (fundable ones only).
    running_total_pence: int | None
    # True above the funding line, False below it; None for rows the line does not apply to
    # (approved, not yet scored, below the threshold).
    above_line: bool | None
    hidden: bool = False


@dataclass(frozen=True)
class Ranking:
    round: Round
    rows: list[RankedRow]
    approved_pence: int
    remaining_pence: int
    # Where the funding line is drawn: before the row at this index (len(rows): after them all).
    line_index: int | None
    fits: int  # applications above the line


def ranking(user: User, round_id: int) -> Ranking:
    """The round's applications in assessment and approved ones, best mean score first, with the
    funding line where the running total of those still to decide passes what is left of the
    budget. Applications below the round's funding threshold are marked and are not counted:
    they are not funded whatever the budget."""
    round_ = _round(round_id)
    applications = _applications(user, round_id, (*ASSESSING, S.APPROVED))
    conflicted = _conflicted_ids(user, applications)
    approved = sum(a.amount_approved_pence or 0 for a in applications if a.status is S.APPROVED)
    remaining = max(round_.budget_pence - approved, 0)
    means = {a.id: mean_percent(a) for a in applications}

    def order(application: Application) -> tuple[int, int, int, str]:
        mean = means[application.id]
        return (
            mean is None,
            -(mean or 0),
            application.amount_requested_pence,
            application.reference or "",
        )

    threshold = round_.funding_threshold_percent
    rows: list[RankedRow] = []
    running = 0
    line_index: int | None = None
    fits = 0
    for position, application in enumerate(sorted(applications, key=order)):
        mean = means[application.id]
        is_approved = application.status is S.APPROVED
        below = mean is not None and threshold is not None and mean < threshold
        total: int | None = None
        above: bool | None = None
        if not is_approved and mean is not None and not below:
            running += application.amount_requested_pence
            total = running
            above = line_index is None and running <= remaining
            if above:
                fits += 1
            elif line_index is None:
                line_index = position
        rows.append(
            RankedRow(
                application=application,
                rank=position + 1 if mean is not None else None,
                mean=mean,
                approved=is_approved,
                below_threshold=below,
                running_total_pence=total,
                above_line=above,
                hidden=application.id in conflicted,
            )
        )
    if line_index is None:
        # Everything still to decide fits: the line goes after the last one counted.
        counted = [i for i, row in enumerate(rows) if row.above_line is not None]
        line_index = counted[-1] + 1 if counted else None
    return Ranking(round_, rows, approved, remaining, line_index, fits)


# Recommendation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationPage:
    application: Application
    mean: int | None
    declared: bool
    refusal: str | None  # why the form is not offered, if it is not
    recommended_by: str | None
    reason: str | None
    recommended_at: dt.datetime | None


def _last_recommendation(application: Application) -> AuditEvent | None:
    """The ledger's record of the latest recommendation, which holds its reasons."""
    return db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "application",
            AuditEvent.object_id == application.id,
            AuditEvent.action == "recommend",
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def recommendation_page(user: User, application_id: int) -> RecommendationPage:
    application = _load(user, application_id)
    refusal = None
    if not is_officer(user):
        refusal = "Only commissioning officers make recommendations"
    elif application.status is not S.IN_ASSESSMENT:
        refusal = (
            "A recommendation is made while the application is in assessment; "
            f"this one is {_status_words(application)}"
        )
    elif rules.is_conflicted(user, application):
        refusal = "You have a conflict of interest in this application, so you cannot take part"
    event = _last_recommendation(application) if application.recommendation else None
    return RecommendationPage(
        application=application,
        mean=mean_percent(application),
        declared=rules.has_declared(user, application),
        refusal=refusal,
        recommended_by=_names([application.recommended_by_id]).get(
            application.recommended_by_id or 0
        ),
        reason=event.reason if event else None,
        recommended_at=event.occurred_at if event else None,
    )


def recommend(
    user: User,
    application_id: int,
    recommendation: str,
    amount_pence: int | None,
    reason: str | None,
    expected_version: int | None,
) -> Application:
    """Make (or replace) the recommendation through the ``recommend`` move, and commit."""
    application = _load(user, application_id)
    reason = _text(reason, "reason", "Enter the reasons for your recommendation", "The reasons")
    payload: dict[str, object] = {"recommendation": recommendation, "reason": reason}
    if recommendation == "approve":
        payload["amount_pence"] = amount_pence
    try:
        fire(user, application, "recommend", expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        about_amount = "amount" in refusal.message.lower()
        raise ServiceError(refusal.message, field="amount" if about_amount else None) from refusal
    return application


# What the application page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentSummary:
    my_declaration: InterestDeclaration | None
    registered_conflict: bool
    checks_passed: int
    checks_failed: int
    my_percent: int | None
    assessors_finished: int
    mean: int | None
    recommended_by: str | None
    recommendation_reason: str | None
    decision_record: DecisionRecord | None
    decision_maker: str | None
    is_officer: bool
    may_score: bool

    @property
    def checks_total(self) -> int:
        return len(CHECKS)


def summary_for(user: User, application: Application) -> AssessmentSummary:
    """Where the application stands in assessment, for its page."""
    percents = _complete_percents(application)
    record = application.decision_record
    event = _last_recommendation(application) if application.recommendation else None
    names = _names([application.recommended_by_id, record.decision_maker_id if record else None])
    return AssessmentSummary(
        my_declaration=_my_declaration(user, application),
        registered_conflict=bool(_registered_interests(user, application.organisation_id)),
        checks_passed=sum(1 for c in application.checks if c.passed),
        checks_failed=sum(1 for c in application.checks if not c.passed),
        my_percent=percents.get(user.id),
        assessors_finished=len(percents),
        mean=_mean(list(percents.values())),
        recommended_by=names.get(application.recommended_by_id or 0),
        recommendation_reason=event.reason if event else None,
        decision_record=record,
        decision_maker=names.get(record.decision_maker_id) if record else None,
        is_officer=is_officer(user),
        may_score=_may_score(user, application) is None,
    )
