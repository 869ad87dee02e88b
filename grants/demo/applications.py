"""Builds demo applications, with their answers and budget lines, from plain descriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from grants.demo.dates import reference
from grants.demo.people import owner_email
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    BudgetLine,
    Organisation,
    Round,
    User,
)


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
    status: ApplicationStatus
    lines: tuple[Line, ...]
    answers: dict[str, str] = field(default_factory=dict)
    # How long after the round opened it was submitted; None for a draft.
    submitted_after: dt.timedelta | None = None
    created_by: str | None = None  # email; the organisation's owner when None


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


def add_applications(
    round_: Round,
    specs: Sequence[DemoApplication],
    organisations: dict[str, Organisation],
    users: dict[str, User],
    now: dt.datetime,
    decided_at: dt.datetime | None = None,
) -> list[Application]:
    """Adds the round's applications. References follow submission order, as the live
    reference counter would have given them. Users must already be flushed (ids are needed)."""
    submitted = sorted(
        (spec for spec in specs if spec.submitted_after is not None),
        key=lambda spec: spec.submitted_after or dt.timedelta(0),
    )
    sequence = {id(spec): number for number, spec in enumerate(submitted, start=1)}
    applications = []
    for spec in specs:
        creator = users[spec.created_by or owner_email(spec.organisation)]
        application = _application(round_, spec, organisations[spec.organisation], creator, now)
        if id(spec) in sequence:
            application.reference = reference(
                round_.reference_prefix, round_.financial_year, sequence[id(spec)]
            )
        if decided_at and spec.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
            application.updated_at = decided_at
        applications.append(application)
    db.session.add_all(applications)
    return applications


def _application(
    round_: Round,
    spec: DemoApplication,
    organisation: Organisation,
    creator: User,
    now: dt.datetime,
) -> Application:
    submitted_at = round_.opens_at + spec.submitted_after if spec.submitted_after else None
    # Applicants start a couple of days before they submit, but not before the round opens.
    started = (submitted_at or now) - dt.timedelta(days=2)
    created_at = max(started, round_.opens_at)
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=creator.id,
        status=spec.status,
        project_title=spec.title,
        amount_requested_pence=sum(line.pence for line in spec.lines),
        submitted_at=submitted_at,
        created_at=created_at,
        updated_at=submitted_at or created_at,
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
                question_key=key, value=value, updated_by_id=creator.id, updated_at=created_at
            )
            for key, value in spec.answers.items()
        ],
    )
    return application
