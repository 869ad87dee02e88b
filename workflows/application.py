"""Application: draft → submitted → in assessment ⇄ information requested → approved | rejected;
sent back from assessment to a draft for changes (a CSP's plan, say) and submitted again;
withdrawn by the applicant before a decision; a draft lapses when its round closes."""

from __future__ import annotations

from grants.extensions import db
from grants.models import Application, ApplicationStatus, InformationRequest
from workflows import assessment_rules as rules
from workflows import csp_rules
from workflows.application_form import incomplete_sections
from workflows.declaration import (
    APPLICANT,
    ASSESSOR,
    DECISION_MAKER,
    OFFICER,
    SYSTEM,
    Lifecycle,
    Move,
    owner_id,
    transition,
)
from workflows.references import next_reference

S = ApplicationStatus


def sent_back(application: Application) -> bool:
    """A draft that was submitted before (it has its reference) and sent back for changes."""
    return application.reference is not None


def round_is_open(move: Move) -> str | None:
    # One sent back for changes goes back when the changes are made, even after the round
    # has closed: the office asked for them.
    if sent_back(move.obj):
        return None
    if not move.obj.round.is_open_at(move.now):
        return "This funding round is closed, so the application cannot be submitted"
    return None


def round_has_closed(move: Move) -> str | None:
    if move.now < move.obj.round.closes_at:
        return "A draft only lapses once its round has closed"
    return None


def not_sent_back(move: Move) -> str | None:
    if sent_back(move.obj):
        return "A draft sent back for changes does not lapse: the changes asked for are awaited"
    return None


def amount_within_round_limits(move: Move) -> str | None:
    round_ = move.obj.round
    amount = move.obj.amount_requested_pence
    if not round_.min_award_pence <= amount <= round_.max_award_pence:
        low, high = round_.min_award_pence // 100, round_.max_award_pence // 100
        return f"The amount requested must be between £{low:,} and £{high:,}"
    return None


def has_a_title(move: Move) -> str | None:
    return None if move.obj.project_title.strip() else "Give the project a title"


def approved_amount_fits(move: Move) -> str | None:
    amount = move.payload.get("amount_pence")
    if not isinstance(amount, int) or amount <= 0:
        return "Enter the amount approved in whole pence"
    if amount > move.obj.amount_requested_pence:
        return "The amount approved cannot be more than the amount requested"
    return None


def every_section_complete(move: Move) -> str | None:
    missing = incomplete_sections(move.obj)
    if missing:
        names = ", ".join(section.title.lower() for section in missing)
        return f"Complete every section before you submit: {names}"
    return None


def stamp_submission(move: Move) -> None:
    application = move.obj
    application.submitted_at = move.now
    if application.reference is None:
        round_ = application.round
        application.reference = next_reference(
            db.session, round_.reference_prefix, round_.financial_year
        )


def record_question(move: Move) -> None:
    move.obj.information_requests.append(
        InformationRequest(
            question=move.payload["reason"].strip(),
            asked_by_id=move.actor.id if move.actor else None,
            asked_at=move.now,
        )
    )


def has_open_question(move: Move) -> str | None:
    return None if move.obj.open_information_request else "There is no question to answer"


def record_answer(move: Move) -> None:
    request = move.obj.open_information_request
    request.answer = move.payload["answer"].strip()
    request.answered_by_id = move.actor.id if move.actor else None
    request.answered_at = move.now
    request.response_document_id = move.payload.get("document_id")


def record_approval(move: Move) -> None:
    move.obj.amount_approved_pence = move.payload["amount_pence"]
    rules.record_decision(move)


LIFECYCLE = Lifecycle(
    name="application",
    model=Application,
    states=ApplicationStatus,
    initial=S.DRAFT,
    owner_organisation=lambda application: owner_id(application, "organisation"),
    amounts=lambda application: {
        "requested_pence": application.amount_requested_pence,
        "approved_pence": application.amount_approved_pence or 0,
    },
    creators=frozenset({APPLICANT}),
    transitions=[
        transition(
            "submit",
            S.DRAFT,
            S.SUBMITTED,
            [APPLICANT],
            "Submit the application",
            guards=[round_is_open, every_section_complete, has_a_title, amount_within_round_limits],
            effect=stamp_submission,
            jobs=["email.application_submitted"],
        ),
        transition("start_assessment", S.SUBMITTED, S.IN_ASSESSMENT, [OFFICER], "Start assessment"),
        # Scoring and recommending keep the application in assessment; each is a move so it is
        # checked by the engine and recorded in the ledger like any decision.
        transition(
            "score",
            S.IN_ASSESSMENT,
            S.IN_ASSESSMENT,
            [ASSESSOR, OFFICER],
            "Submit your scores",
            guards=[rules.declared_and_not_conflicted, rules.scores_complete],
        ),
        transition(
            "recommend",
            S.IN_ASSESSMENT,
            S.IN_ASSESSMENT,
            [OFFICER],
            "Make a recommendation",
            guards=[rules.declared_and_not_conflicted, rules.valid_recommendation],
            effect=rules.record_recommendation,
            requires={"recommendation": "Choose whether to recommend approval or rejection"},
        ),
        transition(
            "request_information",
            S.IN_ASSESSMENT,
            S.INFORMATION_REQUESTED,
            [OFFICER, ASSESSOR],
            "Ask the applicant for more information",
            requires={"reason": "Enter the question for the applicant"},
            effect=record_question,
            jobs=["email.information_requested"],
        ),
        # The applicant changes the application itself (a CSP's plan: its actions and their
        # budget lines) and submits it again; the reference stays, and assessment starts again.
        transition(
            "request_changes",
            S.IN_ASSESSMENT,
            S.DRAFT,
            [OFFICER, DECISION_MAKER],
            "Send back for changes",
            requires={"reason": "Enter the changes you are asking for"},
            jobs=["email.changes_requested"],
        ),
        transition(
            "provide_information",
            S.INFORMATION_REQUESTED,
            S.IN_ASSESSMENT,
            [APPLICANT],
            "Send the information asked for",
            requires={"answer": "Enter your answer to the question"},
            guards=[has_open_question],
            effect=record_answer,
        ),
        transition(
            "approve",
            S.IN_ASSESSMENT,
            S.APPROVED,
            [DECISION_MAKER, OFFICER],
            "Approve",
            guards=[
                rules.recommended_by_someone_else,
                rules.declared_and_not_conflicted,
                approved_amount_fits,
                rules.within_authority,
                rules.within_remaining_budget,
                csp_rules.within_csp_allocation,
            ],
            effect=record_approval,
            requires={"amount_pence": "Enter the amount approved"},
            jobs=["email.application_decided"],
        ),
        transition(
            "reject",
            S.IN_ASSESSMENT,
            S.REJECTED,
            [DECISION_MAKER, OFFICER],
            "Reject",
            guards=[rules.recommended_by_someone_else, rules.declared_and_not_conflicted],
            effect=rules.record_decision,
            requires={"reason": "Enter the reasons for rejecting the application"},
            jobs=["email.application_decided"],
        ),
        transition(
            "withdraw",
            [S.DRAFT, S.SUBMITTED, S.IN_ASSESSMENT, S.INFORMATION_REQUESTED],
            S.WITHDRAWN,
            [APPLICANT],
            "Withdraw the application",
            requires={"reason": "Enter why you are withdrawing the application"},
        ),
        transition(
            "lapse",
            S.DRAFT,
            S.LAPSED,
            [SYSTEM],
            "Lapse the draft",
            guards=[round_has_closed, not_sent_back],
        ),
    ],
)
