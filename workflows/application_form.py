"""The Prevention Fund application form as data: its sections, their questions, and what each
needs before the section counts as complete.

The form is proportionate. At or below the round's short-form threshold an applicant answers
the short form; above it, the questions marked ``full_form_only`` are asked too. Which form
applies follows the amount requested (the budget's total), so it is worked out, never stored.
This lives beside the lifecycles because the submit guard reads it; pages and services read it
too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grants.models import Application

# Kinds of question, each with its own field on the section page.
TEXT = "text"  # one line
TEXTAREA = "textarea"  # with a word limit and the character-count component
WHOLE_NUMBER = "whole_number"
DATE = "date"  # stored as ISO YYYY-MM-DD
PRIORITIES = "priorities"  # the programme's Police and Crime Plan priorities (codes)
PLACES = "places"  # districts by GSS code
DECLARATION = "declaration"  # a single checkbox that must be ticked


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    kind: str
    hint: str = ""
    words: int | None = None
    max_length: int = 200
    full_form_only: bool = False
    # A round may leave this question out when it is set up (see ``Round.left_out``).
    optional: bool = False

    def applies_to(self, application: Application) -> bool:
        return _asked(self, application)


@dataclass(frozen=True)
class DocumentSlot:
    key: str  # the Document's purpose
    label: str
    hint: str
    full_form_only: bool = False
    optional: bool = False

    def applies_to(self, application: Application) -> bool:
        return _asked(self, application)


def _asked(item: Question | DocumentSlot, application: Application) -> bool:
    """Asked on this application's form: not left out by its round, and on the short form
    unless it is for the full form only."""
    if item.optional and item.key in application.round.left_out_keys:
        return False
    return application.uses_full_form or not item.full_form_only


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    questions: tuple[Question, ...] = ()
    documents: tuple[DocumentSlot, ...] = ()

    def questions_for(self, application: Application) -> list[Question]:
        return [q for q in self.questions if q.applies_to(application)]

    def documents_for(self, application: Application) -> list[DocumentSlot]:
        return [d for d in self.documents if d.applies_to(application)]


ORGANISATION = Section(
    "organisation",
    "Your organisation",
    (
        Question("contact_name", "Name of the main contact for this application", TEXT),
        Question(
            "contact_role", "Their role in the organisation", TEXT, hint="For example, treasurer"
        ),
        Question(
            "contact_phone",
            "Their phone number",
            TEXT,
            hint="For international numbers include the country code",
            max_length=30,
        ),
        Question(
            "annual_income",
            "Your organisation's income last year, in pounds",
            WHOLE_NUMBER,
            hint="From your latest accounts. Enter 0 if you are a new group",
            optional=True,
        ),
        Question(
            "safeguarding_lead",
            "Name of your safeguarding lead",
            TEXT,
            hint="The person responsible for keeping children and adults at risk safe",
            full_form_only=True,
            optional=True,
        ),
    ),
)

PROJECT = Section(
    "project",
    "Your project",
    (
        Question(
            "project_title",
            "Project title",
            TEXT,
            hint="A short name, like 'Friday night football'",
        ),
        Question(
            "project_summary",
            "Summary of your project",
            TEXTAREA,
            hint="What you will do, where and when",
            words=150,
            max_length=1500,
        ),
        Question(
            "need",
            "Why is the project needed?",
            TEXTAREA,
            hint="What is happening in your area that this project will help with",
            words=250,
            max_length=2500,
            full_form_only=True,
            optional=True,
        ),
        Question(
            "priorities", "Which Police and Crime Plan priorities does it support?", PRIORITIES
        ),
        Question("places", "Where will it take place?", PLACES),
        Question(
            "who_benefits",
            "Who will benefit?",
            TEXTAREA,
            hint="For example, young people aged 11 to 16 on the Saffron estate",
            words=100,
            max_length=1000,
            optional=True,
        ),
        Question("beneficiaries", "How many people will benefit?", WHOLE_NUMBER, optional=True),
        Question("start_date", "When will the project start?", DATE, hint="For example, 1 4 2026"),
        Question("end_date", "When will the project end?", DATE, hint="For example, 31 3 2027"),
    ),
)

BUDGET = Section("budget", "Budget")

OUTCOMES = Section(
    "outcomes",
    "Outputs and outcomes",
    (
        Question(
            "outcomes",
            "What difference will the project make?",
            TEXTAREA,
            hint="The changes you expect to see, and how you will know",
            words=200,
            max_length=2000,
        ),
    ),
)

DOCUMENTS = Section(
    "documents",
    "Documents",
    documents=(
        DocumentSlot(
            "constitution",
            "Constitution or governing document",
            "The document that sets out how your organisation is run",
            optional=True,
        ),
        DocumentSlot(
            "safeguarding_policy",
            "Safeguarding policy",
            "Your current policy, reviewed in the last 12 months",
            optional=True,
        ),
        DocumentSlot(
            "bank_statement",
            "Bank statement",
            "A statement from the last 3 months showing the organisation's name",
            optional=True,
        ),
        DocumentSlot(
            "accounts",
            "Latest annual accounts",
            "Your most recent annual accounts or income and expenditure statement",
            full_form_only=True,
            optional=True,
        ),
    ),
)

DECLARATIONS = Section(
    "declarations",
    "Declarations",
    (
        Question(
            "declare_true",
            "The information in this application is true and complete",
            DECLARATION,
        ),
        Question(
            "declare_eligible",
            "Our organisation meets the eligibility criteria for this funding round",
            DECLARATION,
        ),
        Question(
            "declare_data",
            "We understand how the Office of the Police and Crime Commissioner will use our data, "
            "including publishing details of any grant",
            DECLARATION,
        ),
        Question("declarant_name", "Your full name", TEXT),
        Question("declarant_role", "Your role in the organisation", TEXT),
    ),
)

SECTIONS: tuple[Section, ...] = (ORGANISATION, PROJECT, BUDGET, OUTCOMES, DOCUMENTS, DECLARATIONS)

# A Community Safety Partnership is invited to its allocation and sends an annual plan instead
# of an application: its priorities, the actions it will fund (the budget lines), the outcomes
# it expects, and a sign-off by its responsible officer. The keys "budget" and "outcomes" mean
# the same things in both forms, so the pages for budget lines and targets serve both.
CSP_PARTNERSHIP = Section(
    "partnership",
    "Your partnership",
    (
        Question("responsible_officer", "Name of the partnership's responsible officer", TEXT),
        Question(
            "responsible_officer_role",
            "Their role",
            TEXT,
            hint="For example, Community Safety Manager at the district council",
        ),
        Question("contact_phone", "Their phone number", TEXT, max_length=30),
    ),
)
CSP_PLAN = Section(
    "plan",
    "Your plan",
    (
        Question(
            "project_title", "Title of the plan", TEXT, hint="For example, 'Blaby CSP plan 2025/26'"
        ),
        Question(
            "local_priorities",
            "What are the partnership's priorities this year?",
            TEXTAREA,
            hint="From your strategic assessment",
            words=250,
            max_length=2500,
        ),
        Question(
            "priorities", "Which Police and Crime Plan priorities do they support?", PRIORITIES
        ),
        Question("places", "Which area does the partnership cover?", PLACES),
        Question("start_date", "When does the plan start?", DATE),
        Question("end_date", "When does it end?", DATE),
    ),
)
CSP_ACTIONS = Section("budget", "Actions and their budget")
CSP_OUTCOMES = Section(
    "outcomes",
    "Outcomes",
    (
        Question(
            "outcomes",
            "What difference will the plan make?",
            TEXTAREA,
            hint="The outcomes you expect, and how the partnership will measure them",
            words=250,
            max_length=2500,
        ),
    ),
)
CSP_SIGN_OFF = Section(
    "sign_off",
    "Sign-off",
    (
        Question(
            "declare_agreed",
            "The partnership's board has agreed this plan",
            DECLARATION,
        ),
        Question(
            "declare_true",
            "The information in this plan is true and complete",
            DECLARATION,
        ),
        Question("declarant_name", "Name of the responsible officer signing off the plan", TEXT),
        Question("declarant_role", "Their role", TEXT),
    ),
)
CSP_PLAN_SECTIONS: tuple[Section, ...] = (
    CSP_PARTNERSHIP,
    CSP_PLAN,
    CSP_ACTIONS,
    CSP_OUTCOMES,
    CSP_SIGN_OFF,
)
MAX_BUDGET_LINES = 20
END_BEFORE_START = "The project must end on or after the day it starts"
MAX_OUTPUT_TARGETS = 10


def optional_items(sections: tuple[Section, ...]) -> list[Question | DocumentSlot]:
    """What a round may leave out of this form, in form order."""
    return [
        item
        for section in sections
        for item in (*section.questions, *section.documents)
        if item.optional
    ]


def sections_for(application: Application) -> tuple[Section, ...]:
    """The form this application is made on: a CSP's annual plan, or the grant application."""
    return sections_for_kind(application.round.programme.kind.value)


def sections_for_kind(programme_kind: str) -> tuple[Section, ...]:
    return CSP_PLAN_SECTIONS if programme_kind == "csp_allocation" else SECTIONS


def section_named(key: str, application: Application) -> Section | None:
    return next((s for s in sections_for(application) if s.key == key), None)


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text or ""))


def missing_in(section: Section, application: Application) -> list[str]:
    """What the section still needs, as messages an applicant can act on (empty: complete)."""
    answers = application.answer_map
    missing = []
    for question in section.questions_for(application):
        if question.key == "project_title":
            value = application.project_title
        else:
            value = answers.get(question.key, "")
        if not value.strip():
            missing.append(f"Answer '{question.label}'")
        elif question.words and word_count(value) > question.words:
            missing.append(f"'{question.label}' must be {question.words} words or fewer")
    keys = {question.key for question in section.questions}
    if {"start_date", "end_date"} <= keys:
        start, end = answers.get("start_date", ""), answers.get("end_date", "")
        if start and end and dt.date.fromisoformat(end) < dt.date.fromisoformat(start):
            missing.append(END_BEFORE_START)
    if section.key == "budget" and not application.budget_lines:
        missing.append("Add at least one budget line")
    if section.key == "outcomes" and not application.output_targets:
        missing.append("Add at least one output with a target")
    if section.documents:
        uploaded = application.current_documents
        for slot in section.documents_for(application):
            if slot.key not in uploaded:
                missing.append(f"Upload your {slot.label[0].lower()}{slot.label[1:]}")
    return missing


def incomplete_sections(application: Application) -> list[Section]:
    """Sections not yet marked complete, or marked complete but missing something now (for
    example because a bigger budget moved the application onto the full form)."""
    marked = {s.section_key for s in application.sections if s.completed}
    return [
        section
        for section in sections_for(application)
        if section.key not in marked or missing_in(section, application)
    ]
