"""Staff forms for running an award: the list's filters, recording a condition as met, the
award's moves, red/amber/green ratings and deciding a variation."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovTextInput
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from forms.common import required, strip
from forms.money import Pounds
from forms.queue import FilterChoice

TEXT_MAX = 2000
RAG = (("red", "Red"), ("amber", "Amber"), ("green", "Green"))


def _length(what: str) -> Length:
    return Length(max=TEXT_MAX, message=f"{what} must be {TEXT_MAX:,} characters or fewer")


class Versioned(FlaskForm):
    """A form that acts on what the page showed: the version it was drawn from, so a change
    made by someone else in between is refused rather than overwritten."""

    version = HiddenField(validators=[InputRequired()])

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class AwardFilterForm(FlaskForm):
    """Read from the query string; both filters may be left empty."""

    class Meta:
        csrf = False  # a GET form changes nothing

    programme = FilterChoice("Programme", "a programme", "Any programme", default="")
    status = FilterChoice("Status", "a status", "Any status", default="")

    def offer(
        self, programmes: Sequence[tuple[str, str]], statuses: Sequence[tuple[str, str]]
    ) -> None:
        self.programme.offer(programmes)
        self.status.offer(statuses)

    def programme_id(self) -> int | None:
        return int(self.programme.data) if self.programme.data else None


class ConditionMetForm(FlaskForm):
    note = TextAreaField(
        "Note (optional)",
        description="For example, how it was checked",
        filters=[strip],
        validators=[Optional(), _length("The note")],
        widget=GovCharacterCount(),
    )


class AwardMoveForm(Versioned):
    reason = TextAreaField(
        "Reason", filters=[strip], validators=[_length("The reason")], widget=GovCharacterCount()
    )
    clawback = StringField(
        "Amount to claw back, in pounds",
        description="Enter 0 if nothing is to be repaid",
        validators=[Optional(), Pounds(minimum_pence=0)],
        widget=GovTextInput(),
    )

    def clawback_pence(self) -> int | None:
        return getattr(self.clawback, "pence", None) if self.clawback.data else None


def _rag(what: str) -> RadioField:
    message = f"Select a rating for {what}"
    return RadioField(
        what.capitalize(),
        choices=[SelectChoice(value, label) for value, label in RAG],
        # Our own message for a value not offered, not WTForms' "Not a valid choice".
        validate_choice=False,
        validators=[required(message), AnyOf([value for value, _ in RAG], message=message)],
        widget=GovRadioInput(),
    )


class RatingForm(Versioned):
    delivery = _rag("delivery")
    spend = _rag("spend")
    risk = _rag("risk")
    comment = TextAreaField(
        "Comment",
        description="Why you have rated the award this way",
        filters=[strip],
        validators=[required("Enter a comment on the rating"), _length("The comment")],
        widget=GovCharacterCount(),
    )


class VariationDecisionForm(Versioned):
    decision = RadioField(
        "Your decision",
        choices=[
            SelectChoice("approve", "Approve the change"),
            SelectChoice("reject", "Reject the change"),
        ],
        validate_choice=False,
        validators=[
            required("Select whether to approve or reject the change"),
            AnyOf(["approve", "reject"], message="Select whether to approve or reject the change"),
        ],
        widget=GovRadioInput(),
    )
    reason = TextAreaField(
        "Reasons for your decision",
        description="The organisation sees these reasons",
        filters=[strip],
        validators=[required("Enter the reasons for your decision"), _length("The reasons")],
        widget=GovCharacterCount(),
    )
