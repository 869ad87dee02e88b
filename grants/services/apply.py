"""Filling in an application: starting it, saving each section as you go, budget lines and
output targets, documents, and submitting it through the workflow engine.

Only drafts change. Saves are forgiving: an applicant can save a half-finished section and come
back; only marking a section complete needs every answer. Several members can work on one
application at once: each section counts its saves, so a page saved over a newer save of the
same section is refused with a message instead of silently undoing a colleague's work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationSection,
    ApplicationStatus,
    BudgetLine,
    Organisation,
    OutputTarget,
    Place,
    Priority,
    Programme,
    Round,
    User,
    utcnow,
)
from grants.policy import visible_applications, visible_organisations
from grants.services import csp, documents
from grants.services.errors import NotFound, ServiceError
from workflows import application_form as form_spec
from workflows.application_form import Section
from workflows.engine import create, fire
from workflows.errors import WorkflowError

SUBMITTED_ALREADY = (
    "This application has been submitted, so it can no longer be changed. "
    "You can see what was sent below"
)
SOMEONE_ELSE = (
    "Someone else in your organisation saved this section while you were editing it. "
    "Their answers are shown below: check them and make your changes again"
)


class SectionIncomplete(ServiceError):
    """Marking a section complete while answers are missing: one message per problem."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


def round_to_apply_to(round_id: int) -> Round:
    """A round open for applications now (invitation-only rounds included: CSPs are invited)."""
    round_ = db.session.scalar(
        select(Round).options(selectinload(Round.programme)).where(Round.id == round_id)
    )
    if round_ is None:
        raise NotFound
    return round_


def is_open_now(round_: Round) -> bool:
    return round_.is_open_at(utcnow())


def is_draft(application: Application) -> bool:
    return application.status is ApplicationStatus.DRAFT


def organisations_of(user: User) -> list[Organisation]:
    return list(db.session.scalars(visible_organisations(user).order_by(Organisation.name)))


def drafts_in_round(user: User, round_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            visible_applications(user)
            .options(selectinload(Application.organisation))
            .where(
                Application.round_id == round_id,
                Application.status == ApplicationStatus.DRAFT,
            )
            .order_by(Application.created_at)
        )
    )


def start(user: User, round_id: int, organisation_id: int) -> Application:
    round_ = round_to_apply_to(round_id)
    organisation = next((o for o in organisations_of(user) if o.id == organisation_id), None)
    if organisation is None:
        raise ServiceError("Select the organisation you are applying for", "organisation")
    # A CSP round is by invitation: only an invited partnership may start its plan there.
    csp.check_may_start_plan(round_, organisation)
    if not round_.is_open_at(utcnow()):
        raise ServiceError("This funding round is not open for applications")
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=user.id,
    )
    try:
        create(user, application)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return application


def application_to_fill(user: User, application_id: int) -> Application:
    """The application with everything the form shows, if the user may see it."""
    application = db.session.scalar(
        visible_applications(user)
        .options(
            selectinload(Application.answers),
            selectinload(Application.budget_lines),
            selectinload(Application.output_targets),
            selectinload(Application.sections),
            selectinload(Application.documents),
            selectinload(Application.information_requests),
            selectinload(Application.organisation),
            selectinload(Application.round)
            .selectinload(Round.programme)
            .selectinload(Programme.priorities),
        )
        .where(Application.id == application_id)
    )
    if application is None:
        raise NotFound
    return application


def places() -> list[Place]:
    return list(db.session.scalars(select(Place).order_by(Place.name)))


def priorities_for(application: Application) -> list[Priority]:
    """The programme's priorities, or every priority when the programme names none."""
    chosen = application.round.programme.priorities
    return list(chosen) or list(db.session.scalars(select(Priority).order_by(Priority.name)))


def sections_for(application: Application) -> tuple[Section, ...]:
    return form_spec.sections_for(application)


def section_of(application: Application, key: str) -> Section | None:
    return form_spec.section_named(key, application)


def document_slot(application: Application, slot_key: str) -> form_spec.DocumentSlot | None:
    """A document the application's form asks for, by key (None if it asks for no such)."""
    slots = [slot for section in sections_for(application) for slot in section.documents]
    found = next((slot for slot in slots if slot.key == slot_key), None)
    if found is not None and found.optional and found.key in application.round.left_out_keys:
        return None  # the round does not ask for it
    return found


def answer_labels(application: Application) -> dict[str, dict[str, str]]:
    """Names for the codes stored in answers (priorities and places), for showing them."""
    return {
        "priorities": {p.code: p.name for p in priorities_for(application)},
        "places": {p.gss_code: p.name for p in places()},
    }


# Task list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionStatus:
    section: Section
    status: str  # "completed", "in_progress" or "not_started"
    missing: list[str]


def task_list(application: Application) -> list[SectionStatus]:
    rows = {row.section_key: row for row in application.sections}
    statuses = []
    for section in form_spec.sections_for(application):
        missing = form_spec.missing_in(section, application)
        row = rows.get(section.key)
        if row is not None and row.completed and not missing:
            status = "completed"
        elif row is not None or _has_any_answer(section, application):
            status = "in_progress"
        else:
            status = "not_started"
        statuses.append(SectionStatus(section, status, missing))
    return statuses


def _has_any_answer(section: Section, application: Application) -> bool:
    answers = application.answer_map
    if section.key == "budget":
        return bool(application.budget_lines)
    if section.documents:
        return bool(application.current_documents)
    return any(answers.get(q.key) for q in section.questions) or bool(
        section.key == "outcomes" and application.output_targets
    )


def section_revision(application: Application, section_key: str) -> int:
    row = next((r for r in application.sections if r.section_key == section_key), None)
    return row.revision if row else 0


# Saving -------------------------------------------------------------------------------------


def _draft(user: User, application_id: int) -> Application:
    application = application_to_fill(user, application_id)
    if application.status is not ApplicationStatus.DRAFT:
        raise ServiceError(SUBMITTED_ALREADY)
    if user.is_staff:
        raise NotFound  # staff read applications; only applicants write them
    return application


def _section_row(application: Application, section_key: str) -> ApplicationSection:
    row = next((r for r in application.sections if r.section_key == section_key), None)
    if row is None:
        row = ApplicationSection(section_key=section_key, completed=False, revision=0)
        application.sections.append(row)
    return row


def _touch(user: User, application: Application, section_key: str, seen_revision: int) -> None:
    """Record a save of the section, refusing it if someone saved the section since the page
    was loaded. Touching the application also bumps its version, so a submit made from a
    check-answers page that is now out of date is refused too."""
    if section_revision(application, section_key) != seen_revision:
        db.session.rollback()  # so the page is redrawn from what is saved now
        raise ServiceError(SOMEONE_ELSE)
    row = _section_row(application, section_key)
    row.revision += 1
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    application.updated_at = utcnow()


def _recount(application: Application) -> None:
    """The amount requested is the budget's total, whatever changed it."""
    application.amount_requested_pence = application.budget_total_pence


def _set_answer(application: Application, user: User, key: str, value: str) -> None:
    if key == "project_title":
        application.project_title = value
        return
    existing = next((a for a in application.answers if a.question_key == key), None)
    if existing is None:
        application.answers.append(
            ApplicationAnswer(question_key=key, value=value, updated_by_id=user.id)
        )
    elif existing.value != value:
        existing.value = value
        existing.updated_by_id = user.id


def save_section(
    user: User,
    application_id: int,
    section_key: str,
    answers: Mapping[str, str],
    completed: bool,
    seen_revision: int,
) -> Application:
    """Save a section's answers (already checked for format by the form); when ``completed``,
    every answer the section needs must be there, or nothing is saved."""
    application = _draft(user, application_id)
    section = form_spec.section_named(section_key, application)
    if section is None:
        raise NotFound
    _touch(user, application, section_key, seen_revision)
    for question in section.questions:
        if question.key in answers:
            _set_answer(application, user, question.key, answers[question.key].strip())
    _mark(application, section, completed)
    db.session.commit()
    return application


def _mark(application: Application, section: Section, completed: bool) -> None:
    if completed:
        missing = _missing_with_fields(section, application)
        if missing:
            db.session.rollback()
            raise SectionIncomplete(missing)
    _section_row(application, section.key).completed = completed


def _missing_with_fields(
    section: Section, application: Application
) -> list[tuple[str | None, str]]:
    """Problems tied to the field they are about, so the error summary links to it."""
    answers = application.answer_map
    problems: list[tuple[str | None, str]] = []
    for question in section.questions_for(application):
        value = (
            application.project_title
            if question.key == "project_title"
            else answers.get(question.key, "")
        )
        if not value.strip():
            problems.append((question.key, missing_message(question)))
    problems_by_text = {message for _, message in problems}
    for message in form_spec.missing_in(section, application):
        if not message.startswith("Answer '") and message not in problems_by_text:
            field = "end_date" if message == form_spec.END_BEFORE_START else None
            problems.append((field, message))
    return problems


def missing_message(question: form_spec.Question) -> str:
    label = question.label.rstrip("?")
    lowered = label[0].lower() + label[1:]
    if question.kind == form_spec.DECLARATION:
        return f"Confirm that {lowered[0].lower()}{lowered[1:]}"
    if question.kind in (form_spec.PRIORITIES, form_spec.PLACES):
        return f"Select at least one answer to '{label}'"
    if question.kind == form_spec.DATE:
        return f"Enter a date for '{label}'"
    return f"Enter an answer to '{label}'"


def mark_section(
    user: User, application_id: int, section_key: str, completed: bool, seen_revision: int
) -> Application:
    """For sections without questions of their own (budget, documents): just the mark."""
    application = _draft(user, application_id)
    section = form_spec.section_named(section_key, application)
    if section is None:
        raise NotFound
    _touch(user, application, section_key, seen_revision)
    _mark(application, section, completed)
    db.session.commit()
    return application


def add_budget_line(
    user: User,
    application_id: int,
    seen_revision: int,
    financial_year: int,
    category: str,
    description: str,
    amount_pence: int,
) -> Application:
    application = _draft(user, application_id)
    if financial_year not in budget_years(application):
        raise ServiceError("Select a financial year the round funds", "financial_year")
    if len(application.budget_lines) >= form_spec.MAX_BUDGET_LINES:
        raise ServiceError(f"You can add up to {form_spec.MAX_BUDGET_LINES} budget lines")
    _touch(user, application, "budget", seen_revision)
    position = max((line.position for line in application.budget_lines), default=0) + 1
    application.budget_lines.append(
        BudgetLine(
            position=position,
            financial_year=financial_year,
            category=category.strip(),
            description=description.strip(),
            amount_pence=amount_pence,
        )
    )
    _recount(application)
    _section_row(application, "budget").completed = False
    db.session.commit()
    return application


def remove_budget_line(user: User, application_id: int, line_id: int) -> Application:
    application = _draft(user, application_id)
    line = next((line for line in application.budget_lines if line.id == line_id), None)
    if line is None:
        raise NotFound
    _touch(user, application, "budget", section_revision(application, "budget"))
    application.budget_lines.remove(line)
    _recount(application)
    _section_row(application, "budget").completed = False
    db.session.commit()
    return application


def budget_years(application: Application) -> list[int]:
    """The round's financial year and the next: projects may run into a second year."""
    first = application.round.financial_year
    return [first, first + 1]


def add_output_target(
    user: User, application_id: int, seen_revision: int, description: str, target: int
) -> Application:
    application = _draft(user, application_id)
    if len(application.output_targets) >= form_spec.MAX_OUTPUT_TARGETS:
        raise ServiceError(f"You can add up to {form_spec.MAX_OUTPUT_TARGETS} outputs")
    _touch(user, application, "outcomes", seen_revision)
    position = max((t.position for t in application.output_targets), default=0) + 1
    application.output_targets.append(
        OutputTarget(position=position, description=description.strip(), target=target)
    )
    _section_row(application, "outcomes").completed = False
    db.session.commit()
    return application


def remove_output_target(user: User, application_id: int, target_id: int) -> Application:
    application = _draft(user, application_id)
    target = next((t for t in application.output_targets if t.id == target_id), None)
    if target is None:
        raise NotFound
    key = "outcomes"
    _touch(user, application, key, section_revision(application, key))
    application.output_targets.remove(target)
    _section_row(application, key).completed = False
    db.session.commit()
    return application


def upload_document(
    user: User,
    application_id: int,
    slot_key: str,
    stream: BinaryIO,
    filename: str | None,
) -> Application:
    """Upload a file for one of the documents section's slots. A second upload for the same
    slot is a new version of the first; the earlier one stays readable to officers."""
    application = _draft(user, application_id)
    slot = document_slot(application, slot_key)
    if slot is None:
        raise NotFound
    previous = application.current_documents.get(slot_key)
    documents.upload(
        user,
        stream,
        filename,
        organisation_id=application.organisation_id,
        purpose=slot_key,
        replaces=previous,
        application_id=application.id,
    )
    application = _draft(user, application_id)
    key = form_spec.DOCUMENTS.key  # only the grant application asks for documents
    _touch(user, application, key, section_revision(application, key))
    _section_row(application, key).completed = False
    db.session.commit()
    return application


# Submitting ---------------------------------------------------------------------------------


def submit(user: User, application_id: int, expected_version: int) -> Application:
    application = application_to_fill(user, application_id)
    if application.status is not ApplicationStatus.DRAFT:
        raise ServiceError(
            "This application has already been submitted"
            + (f" (reference {application.reference})" if application.reference else "")
        )
    try:
        fire(user, application, "submit", expected_version=expected_version)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return application


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
