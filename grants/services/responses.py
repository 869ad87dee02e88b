"""The applicant's side of an assessment: answering the commissioning team's question (with an
optional file) and withdrawing an application before a decision.

Every check that can refuse the move is made before a file is uploaded, so a refusal never
leaves a stored document behind; the engine checks everything again when the move is made.
"""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app

from grants.extensions import db
from grants.models import Application, ApplicationStatus, Document, User
from grants.services import documents
from grants.services.applications import application_for
from grants.services.errors import ServiceError
from storage.base import StorageError
from workflows.engine import available_triggers, fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

ANSWER = "provide_information"
WITHDRAW = "withdraw"
RESPONSE_PURPOSE = "information_response"

ANSWER_MAX = 5_000
REASON_MAX = 2_000
ANSWER_MISSING = "Enter your answer to the question"
ANSWER_TOO_LONG = f"Your answer must be {ANSWER_MAX:,} characters or fewer"
REASON_MISSING = "Enter why you are withdrawing the application"
REASON_TOO_LONG = f"Your reason must be {REASON_MAX:,} characters or fewer"
NO_QUESTION = "There is no question to answer"


class ChangedMeanwhile(ServiceError):
    """The application changed after the page was shown (another tab, another member)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or ChangedBySomeoneElse().message)


def can_answer(user: User, application: Application) -> bool:
    return (
        _available(user, application, ANSWER) and application.open_information_request is not None
    )


def can_withdraw(user: User, application: Application) -> bool:
    return _available(user, application, WITHDRAW)


def has_answered(application: Application) -> bool:
    return any(request.answered_at is not None for request in application.information_requests)


def is_withdrawn(application: Application) -> bool:
    return application.status is ApplicationStatus.WITHDRAWN


def answer_question(
    user: User,
    application_id: int,
    answer: str | None,
    upload_stream: BinaryIO | None,
    filename: str | None,
    expected_version: int | None,
) -> Application:
    """Send the answer to the open question, with an optional file; NotFound for an application
    the user may not see, ServiceError (nothing changed, no file kept) for any refusal."""
    application = application_for(user, application_id)
    answer = _normalised(answer)
    _check_version(application, expected_version)
    if not can_answer(user, application):
        raise ServiceError(NO_QUESTION)
    _check_text(answer, "answer", ANSWER_MISSING, ANSWER_MAX, ANSWER_TOO_LONG)

    document = None
    if upload_stream is not None:
        try:
            document = documents.upload(
                user,
                upload_stream,
                filename,
                organisation_id=application.organisation_id,
                application_id=application.id,
                purpose=RESPONSE_PURPOSE,
            )
        except ServiceError as refusal:
            raise ServiceError(refusal.message, field="document") from refusal

    payload: dict[str, object] = {"answer": answer}
    if document is not None:
        payload["document_id"] = document.id
    try:
        fire(user, application, ANSWER, expected_version=expected_version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        # Only a change made between the checks above and the move gets here.
        db.session.rollback()
        if document is not None:
            _discard(document)
        raise _service_error(refusal) from refusal
    return application


def withdraw(
    user: User, application_id: int, reason: str | None, expected_version: int | None
) -> Application:
    """Withdraw an application before a decision, with the applicant's reason."""
    application = application_for(user, application_id)
    reason = _normalised(reason)
    _check_version(application, expected_version)
    if not can_withdraw(user, application):
        raise ServiceError(
            f"You cannot withdraw this application because it is {application.status.label.lower()}"
        )
    _check_text(reason, "reason", REASON_MISSING, REASON_MAX, REASON_TOO_LONG)
    try:
        fire(user, application, WITHDRAW, expected_version=expected_version, reason=reason)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise _service_error(refusal) from refusal
    return application


def _available(user: User, application: Application, trigger: str) -> bool:
    return any(t.trigger == trigger for t in available_triggers(user, application))


def _normalised(text: str | None) -> str:
    # Browsers send line breaks as CRLF but count them as one character, as the character
    # count does: count them the same way here.
    return (text or "").replace("\r\n", "\n").strip()


def _check_version(application: Application, expected_version: int | None) -> None:
    # As in the engine, a stale page is said first: it is the likeliest reason for a refusal.
    if expected_version is not None and application.version != expected_version:
        raise ChangedMeanwhile


def _check_text(text: str, field: str, missing: str, limit: int, too_long: str) -> None:
    if not text:
        raise ServiceError(missing, field=field)
    if len(text) > limit:
        raise ServiceError(too_long, field=field)


def _service_error(refusal: WorkflowError) -> ServiceError:
    if isinstance(refusal, ChangedBySomeoneElse):
        return ChangedMeanwhile(refusal.message)
    return ServiceError(refusal.message)


def _discard(document: Document) -> None:
    """Remove a file uploaded for a move that was then refused, so nothing points at it."""
    key = document.storage_key
    db.session.delete(document)
    db.session.commit()
    try:
        documents.store().delete(key)
    except StorageError as failure:
        # No row points at the object now, so the orphan sweep removes it later.
        current_app.logger.warning("could not remove a refused response's file: %s", failure)
