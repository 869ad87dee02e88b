"""Answering the commissioning team's question, and withdrawing an application."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovFileInput, GovSubmitInput
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

ANSWER_MAX = 5_000
REASON_MAX = 2_000


def one_character_line_breaks(value: str | None) -> str | None:
    """Browsers send each line break as CRLF but the character count counts it once; so does
    the length check."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class _VersionedForm(FlaskForm):
    def expected_version(self) -> int:
        """The version of the application the page showed; anything unreadable is a version
        no application has (they start at 1), so the move is refused as out of date."""
        try:
            return int(self.version.data)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return 0


class AnswerForm(_VersionedForm):
    answer = TextAreaField(
        "Your answer",
        validators=[
            DataRequired(message="Enter your answer to the question"),
            Length(
                max=ANSWER_MAX, message=f"Your answer must be {ANSWER_MAX:,} characters or fewer"
            ),
        ],
        filters=[one_character_line_breaks],
        widget=GovCharacterCount(),
    )
    document = FileField(
        "Upload a file (optional)",
        description="If a file helps answer the question: PDF, Word, Excel, OpenDocument, "
        "PNG, JPEG or CSV, smaller than 25 MB",
        widget=GovFileInput(),
    )
    # Declared after the visible fields: a form-wide error links to the first field.
    version = HiddenField()
    submit = SubmitField("Send your answer", widget=GovSubmitInput())


class WithdrawForm(_VersionedForm):
    reason = TextAreaField(
        "Why are you withdrawing the application?",
        validators=[
            DataRequired(message="Enter why you are withdrawing the application"),
            Length(
                max=REASON_MAX, message=f"Your reason must be {REASON_MAX:,} characters or fewer"
            ),
        ],
        filters=[one_character_line_breaks],
        widget=GovCharacterCount(),
    )
    version = HiddenField()
    submit = SubmitField("Withdraw application", widget=GovSubmitInput())
