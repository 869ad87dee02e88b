"""Asking to change a grant, in two steps: what kind of change (radios), then that kind's own
questions with the reasons. (Radios that reveal questions would be one page, but the reveal
puts ARIA on the radios that the accessibility checks refuse.)"""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from forms.apply import GovukDateField
from forms.common import required
from forms.money import Pounds

TEXT_MAX = 2000


class ChooseChangeForm(FlaskForm):
    kind = RadioField(
        "What do you want to change?",
        validators=[InputRequired(message="Select what you want to change")],
        # Offered kinds depend on the grant; anything else gets the same plain message.
        validate_choice=False,
        widget=GovRadioInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_kind(self, field: RadioField) -> None:
        if field.data not in {value for value, _ in field.choices or []}:  # type: ignore[misc]
            raise ValidationError("Select what you want to change")


def _reason() -> TextAreaField:
    # Built per form so it comes after that form's own questions (fields keep creation order).
    return TextAreaField(
        "Why do you need this change?",
        description="The commissioning team will read this when they decide",
        validators=[
            required("Enter why you need this change"),
            Length(max=TEXT_MAX, message=f"The reason must be {TEXT_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )


def _send() -> SubmitField:
    return SubmitField("Send request", widget=GovSubmitInput())


class BudgetChangeForm(FlaskForm):
    from_line = SelectField("Move money from", widget=GovSelect(), validate_choice=False)
    to_line = SelectField("Move money to", widget=GovSelect(), validate_choice=False)
    amount = StringField(
        "Amount to move, in pounds",
        validators=[Pounds(minimum_pence=1)],
        widget=GovTextInput(),
    )
    reason = _reason()
    submit = _send()

    def set_lines(self, lines: list[tuple[int, str]]) -> None:
        options = [("", "Choose a budget line")] + [(str(id_), label) for id_, label in lines]
        self.from_line.choices = options
        self.to_line.choices = options

    def _offered(self) -> set[str]:
        return {value for value, _ in self.from_line.choices if value}  # type: ignore[misc,union-attr]

    def validate_from_line(self, field: SelectField) -> None:
        if field.data not in self._offered():
            raise ValidationError("Select the budget line to move money from")

    def validate_to_line(self, field: SelectField) -> None:
        if field.data not in self._offered():
            raise ValidationError("Select the budget line to move money to")
        if field.data == self.from_line.data:
            raise ValidationError("Select a different budget line to move the money to")

    @property
    def line_ids(self) -> tuple[int, int]:
        return int(self.from_line.data), int(self.to_line.data)


class EndDateChangeForm(FlaskForm):
    new_end_date = GovukDateField("New end date", description="For example, 30 6 2027")
    reason = _reason()
    submit = _send()

    def validate_new_end_date(self, field: GovukDateField) -> None:
        if field.data is None and not field.errors:
            raise ValidationError("Enter the new end date")


class OutputsChangeForm(FlaskForm):
    summary = TextAreaField(
        "What do you want to change about what the project will deliver?",
        description="Say which outputs would change, and to what",
        validators=[
            required("Describe the change to your outputs"),
            Length(max=TEXT_MAX, message=f"The change must be {TEXT_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    reason = _reason()
    submit = _send()


CHANGE_FORMS: dict[str, type[FlaskForm]] = {
    "budget": BudgetChangeForm,
    "end_date": EndDateChangeForm,
    "outputs": OutputsChangeForm,
}
