"""Scoring in the demo: the criteria the Prevention Fund scores against, and assessors'
scores that come out at about an application's moderated percentage, booked as `score` moves
through the engine (each assessor declares first that they have no interest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from grants.demo.timeline import Timeline
from grants.models import (
    Application,
    Criterion,
    InterestDeclaration,
    Round,
    Score,
    User,
)
from workflows.assessment_rules import weighted_percent

# (name, guidance, weight in per cent); every criterion is scored 0 to 5.
CRITERIA = (
    ("Need", "Evidence of the problem in the area, from data or the community", 30),
    ("Delivery", "A realistic plan, people and partners to deliver it", 30),
    ("Outcomes", "Clear outcomes, with targets the group can measure", 25),
    ("Value for money", "Costs that are reasonable for what will be delivered", 15),
)
MAX_SCORE = 5
JUSTIFICATIONS = {
    5: "Excellent: fully evidenced, with no gaps",
    4: "Good: well evidenced, minor gaps",
    3: "Adequate: some evidence, some gaps",
    2: "Weak: little evidence",
    1: "Poor: not evidenced",
    0: "Not addressed",
}


def add_criteria(round_: Round) -> None:
    round_.criteria = [
        Criterion(position=n, name=name, guidance=guidance, weight=weight, max_score=MAX_SCORE)
        for n, (name, guidance, weight) in enumerate(CRITERIA, start=1)
    ]


def scores_for(percent: int, lean: int = 0) -> list[int]:
    """Per-criterion scores that come to about ``percent``; ``lean`` moves the first two
    criteria up or down, so assessors differ the way real ones do."""
    base = percent * MAX_SCORE / 100
    scores = [round(base) for _ in CRITERIA]
    scores[0] = round(base + lean)
    scores[1] = round(base - lean / 2)
    return [max(0, min(MAX_SCORE, score)) for score in scores]


def book_scores(
    timeline: Timeline,
    application: Application,
    assessors: Sequence[tuple[User, int]],
    percent: int,
    first_at: dt.datetime,
) -> None:
    """Each assessor (with their lean) scores the application a day after the previous one."""
    book_marks(
        timeline,
        application,
        [(assessor, scores_for(percent, lean)) for assessor, lean in assessors],
        first_at,
    )


def book_marks(
    timeline: Timeline,
    application: Application,
    marked: Sequence[tuple[User, Sequence[int]]],
    first_at: dt.datetime,
) -> None:
    """Each assessor gives their marks (one a criterion, in order) a day after the previous."""
    for day, (assessor, marks) in enumerate(marked):
        when = first_at + dt.timedelta(days=day, hours=1)
        planned = list(marks)

        def give(assessor: User = assessor, planned: list[int] = planned, when=when) -> None:
            if not any(d.user_id == assessor.id for d in application.interest_declarations):
                application.interest_declarations.append(
                    InterestDeclaration(user_id=assessor.id, conflicted=False, declared_at=when)
                )
            for criterion, score in zip(application.round.criteria, planned, strict=True):
                application.scores.append(
                    Score(
                        assessor_id=assessor.id,
                        criterion_id=criterion.id,
                        score=score,
                        justification=JUSTIFICATIONS[score],
                        scored_at=when,
                    )
                )

        timeline.fire(
            when,
            assessor,
            application,
            "score",
            before=give,
            payload_from=lambda assessor=assessor: {
                "weighted_percent": weighted_percent(application, assessor.id)
            },
        )
