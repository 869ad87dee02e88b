"""Demo applications, with their answers and budget lines, from plain descriptions, and the
journey each one took through the workflow engine to where it is when the demo is loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from grants.demo.application_forms import complete_form
from grants.demo.people import Cast
from grants.demo.scoring import book_marks, book_scores
from grants.demo.timeline import Hook, Timeline
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    AssessorAssignment,
    BudgetLine,
    DueDiligenceCheck,
    InterestDeclaration,
    Organisation,
    Round,
    User,
)
from grants.services.assessment import CHECKS, mean_percent

S = ApplicationStatus
# How far along the journey each state is; the journey stops at the spec's state.
ASSESSED = (S.IN_ASSESSMENT, S.INFORMATION_REQUESTED, S.APPROVED, S.REJECTED)
DECIDED = (S.APPROVED, S.REJECTED)


@dataclass(frozen=True)
class Line:
    category: str
    description: str
    pence: int
    # 1 puts the line in the financial year after the round's: a two-year project.
    year_offset: int = 0


@dataclass(frozen=True)
class DemoApplication:
    organisation: str  # key in grants.demo.organisations
    title: str
    reached: ApplicationStatus  # where its journey has got to when the demo is loaded
    lines: tuple[Line, ...]
    answers: dict[str, str] = field(default_factory=dict)
    # How long after the round opened it was submitted; None for a draft.
    submitted_after: dt.timedelta | None = None
    created_by: str | None = None  # email; the organisation's owner when None
    # The reasons given with the last move: the decision's, the question asked, or what the
    # officer adds to a recommendation's moderated score.
    decision: str | None = None
    approved_pence: int | None = None  # approved or recommended: None for all of it
    score: int | None = None  # the assessors' percentage, about; None: 70
    divergent: bool = False  # assessors far apart on it: it needs moderation
    # How many of the panel have scored one still in assessment, in panel order; None: the
    # first (the first two if divergent).
    scored_by: int | None = None
    # Each scorer's marks, one a criterion, in panel order: exact figures instead of ``score``.
    marks: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class Assessment:
    """When the office moved a round's applications on. A closed round is assessed and decided
    all together; an open round's are taken as they come (None)."""

    starts_at: dt.datetime | None = None  # None: the day after each submission
    decided_at: dt.datetime | None = None  # None: five days after assessment starts
    # How many of the assessors (assessor, second assessor, officer) score each application
    # before a decision; one still in assessment has had only the first (two if divergent).
    scorers: int = 2
    # A moderated round waiting for its decision maker: every application still in assessment
    # was scored by all the ``scorers``, checked, and recommended by the officer at this time
    # (approval at or above the round's funding threshold, rejection below it). None: not yet.
    recommended_at: dt.datetime | None = None
    # The assessors (emails) the officer assigned to each application as its assessment
    # started; one nobody has scored yet is left for the officer to assign.
    assigned: tuple[str, ...] = ()


@dataclass(frozen=True)
class Booked:
    """An application and when it was decided, for the awards that follow from it."""

    spec: DemoApplication
    application: Application
    decided_at: dt.datetime | None

    @property
    def approved_pence(self) -> int:
        return self.spec.approved_pence or self.application.amount_requested_pence


def answers(
    summary: str,
    need: str,
    outcomes: str,
    beneficiaries: int,
    places: Sequence[str],
    priorities: Sequence[str],
) -> dict[str, str]:
    """Answers under the question keys the application form uses; places are GSS codes and
    priorities are priority codes, so reports can group by them."""
    return {
        "project_summary": summary,
        "need": need,
        "outcomes": outcomes,
        "beneficiaries": str(beneficiaries),
        "places": ",".join(places),
        "priorities": ",".join(priorities),
    }


def book_applications(
    timeline: Timeline,
    round_: Round,
    specs: Sequence[DemoApplication],
    organisations: dict[str, Organisation],
    cast: Cast,
    assessment: Assessment | None = None,
) -> list[Booked]:
    """Books each application's journey: started by its creator, submitted, assessed and
    decided by the demo staff. Users must already be flushed (ids are needed)."""
    assessment = assessment or Assessment()
    booked = []
    for spec in specs:
        creator = cast.users[spec.created_by or cast.owner(spec.organisation).email]
        submitted_at = round_.opens_at + spec.submitted_after if spec.submitted_after else None
        # Applicants start a couple of days before they submit, but not before the round opens.
        started = max((submitted_at or timeline.now) - dt.timedelta(days=2), round_.opens_at)
        application = _application(round_, spec, organisations[spec.organisation], creator, started)
        timeline.create(started, creator, application)
        decided_at = None
        if submitted_at is not None:
            timeline.fire(
                submitted_at,
                creator,
                application,
                "submit",
                # The applicant fills the form in before sending it; the engine then checks
                # every section and gives the round's next reference.
                before=lambda a=application, c=creator, t=submitted_at: complete_form(a, c, t),
            )
            if spec.reached is S.WITHDRAWN:
                withdrawn = submitted_at + dt.timedelta(days=1, hours=2)
                timeline.fire(withdrawn, creator, application, "withdraw", reason=spec.decision)
                booked.append(Booked(spec, application, None))
                continue
            decided_at = _book_assessment(
                timeline, application, spec, creator, cast, submitted_at, assessment
            )
        booked.append(Booked(spec, application, decided_at))
    return booked


def _book_assessment(
    timeline: Timeline,
    application: Application,
    spec: DemoApplication,
    creator: User,
    cast: Cast,
    submitted_at: dt.datetime,
    assessment: Assessment,
) -> dt.datetime | None:
    if spec.reached not in ASSESSED:
        return None
    started = assessment.starts_at or submitted_at + dt.timedelta(days=1)
    count = _scorers(spec, assessment)
    assigned = [cast.users[email] for email in assessment.assigned] if count else []
    timeline.fire(
        started,
        cast.officer,
        application,
        "start_assessment",
        before=_assigns(application, assigned, cast.officer, started),
    )
    panel = [(cast.assessor, 0), (cast.users["assessor2@opcc.example.org"], 1), (cast.officer, -1)]
    if spec.divergent:
        panel[1] = (panel[1][0], -4)  # far apart on need and delivery
    if spec.marks:
        scorers = [who for who, _ in panel[:count]]
        book_marks(timeline, application, list(zip(scorers, spec.marks, strict=True)), started)
    else:
        book_scores(timeline, application, panel[:count], spec.score or 70, started)
    if spec.reached is S.INFORMATION_REQUESTED:
        asked = started + dt.timedelta(days=2)
        timeline.fire(
            asked, cast.assessor, application, "request_information", reason=spec.decision
        )
        return None
    if spec.reached not in DECIDED:
        if assessment.recommended_at is not None:
            _book_recommendation(timeline, application, spec, cast, assessment.recommended_at)
        return None
    decided_at = assessment.decided_at or started + dt.timedelta(days=5)
    approved = spec.reached is S.APPROVED
    amount = spec.approved_pence or application.amount_requested_pence
    # The officer recommends and the decision maker decides; each declares first that they
    # have no interest in the application.
    recommended_at = decided_at - dt.timedelta(days=2)
    timeline.fire(
        recommended_at,
        cast.officer,
        application,
        "recommend",
        before=_declares(application, cast.officer, recommended_at),
        recommendation="approve" if approved else "reject",
        **({"amount_pence": amount} if approved else {}),
        reason=spec.decision,
    )
    declared = _declares(application, cast.decision_maker, decided_at)
    if approved:
        timeline.fire(
            decided_at,
            cast.decision_maker,
            application,
            "approve",
            before=declared,
            amount_pence=amount,
            reason=spec.decision,
        )
    else:
        timeline.fire(
            decided_at,
            cast.decision_maker,
            application,
            "reject",
            before=declared,
            reason=spec.decision,
        )
    return decided_at


def _scorers(spec: DemoApplication, assessment: Assessment) -> int:
    if spec.reached in DECIDED or assessment.recommended_at is not None:
        return assessment.scorers
    if spec.scored_by is not None:
        return spec.scored_by
    return 2 if spec.divergent else 1


def _assigns(
    application: Application, assessors: Sequence[User], officer: User, at: dt.datetime
) -> Hook:
    def assign() -> None:
        application.assignments.extend(
            AssessorAssignment(assessor_id=assessor.id, assigned_by_id=officer.id, assigned_at=at)
            for assessor in assessors
        )

    return assign


def _book_recommendation(
    timeline: Timeline,
    application: Application,
    spec: DemoApplication,
    cast: Cast,
    at: dt.datetime,
) -> None:
    """The officer checks the applicant and recommends on the moderated score, for the
    decision maker: approval at or above the round's funding threshold, rejection below."""

    def check() -> None:
        # Due diligence comes before a recommendation to fund anyone.
        application.checks.extend(
            DueDiligenceCheck(
                check_key=key, passed=True, note="", checked_by_id=cast.officer.id, checked_at=at
            )
            for key, _ in CHECKS
        )
        _declares(application, cast.officer, at)()

    def recommendation() -> dict[str, object]:
        score = mean_percent(application)
        threshold = application.round.funding_threshold_percent
        if score is None or threshold is None:
            raise ValueError(f"{spec.title}: a recommendation needs scores and a threshold")
        extra = f" {spec.decision}" if spec.decision else ""
        if score >= threshold:
            return {
                "recommendation": "approve",
                "amount_pence": spec.approved_pence or application.amount_requested_pence,
                "reason": f"Moderated score {score}%, at or above the {threshold}% funding "
                f"threshold: recommended for approval.{extra}",
            }
        return {
            "recommendation": "reject",
            "reason": f"Moderated score {score}%, below the {threshold}% funding threshold: "
            f"recommended for rejection.{extra}",
        }

    timeline.fire(
        at, cast.officer, application, "recommend", before=check, payload_from=recommendation
    )


def _declares(application: Application, user: User, at: dt.datetime) -> Hook:
    def declare() -> None:
        if not any(d.user_id == user.id for d in application.interest_declarations):
            application.interest_declarations.append(
                InterestDeclaration(user_id=user.id, conflicted=False, declared_at=at)
            )

    return declare


def _application(
    round_: Round,
    spec: DemoApplication,
    organisation: Organisation,
    creator: User,
    started: dt.datetime,
) -> Application:
    # Built now, added to the session by the engine when the applicant starts it.
    return Application(
        round=round_,
        organisation=organisation,
        created_by_id=creator.id,
        project_title=spec.title,
        amount_requested_pence=sum(line.pence for line in spec.lines),
        budget_lines=[
            BudgetLine(
                position=position,
                financial_year=round_.financial_year + line.year_offset,
                category=line.category,
                description=line.description,
                amount_pence=line.pence,
            )
            for position, line in enumerate(spec.lines, start=1)
        ],
        answers=[
            ApplicationAnswer(
                question_key=key, value=value, updated_by_id=creator.id, updated_at=started
            )
            for key, value in spec.answers.items()
        ],
    )
