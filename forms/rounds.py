"""Setting up a round: its details, and its scoring criteria."""

from __future__ import annotations

import datetime as dt
import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    Field,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forms.apply import GovukDateField, WholeNumber
from forms.common import Pattern, required
from forms.money import Pounds
from grants.filters import LONDON

TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


class TimeOfDay:
    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, form, field: Field) -> None:  # type: ignore[no-untyped-def]
        if not TIME.fullmatch((field.data or "").strip()):
            raise ValidationError(f"{self.label} must be a time like 09:00 or 17:30")


def london_moment(day: dt.date, time_text: str) -> dt.datetime:
    """A date and a 24-hour time in Europe/London, as aware UTC."""
    match = TIME.fullmatch(time_text.strip())
    assert match is not None  # the form checked it
    hour, minute = int(match.group(1)), int(match.group(2))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.UTC)


class RoundForm(FlaskForm):
    name = StringField(
        "Name of the round",
        validators=[required("Enter the name of the round"), Length(max=200)],
        widget=GovTextInput(),
    )
    reference_prefix = StringField(
        "Prefix for application references",
        description="2 to 8 capital letters, like PF for PF-2627-0001",
        validators=[
            required("Enter the prefix for application references"),
            Pattern(r"[A-Z]{2,8}", "The prefix must be 2 to 8 capital letters, like PF"),
        ],
        widget=GovTextInput(),
    )
    financial_year = SelectField(
        "Financial year", coerce=int, validators=[InputRequired()], widget=GovSelect()
    )
    opens_on = GovukDateField("Opens on", validators=[InputRequired("Enter the date it opens")])
    opens_time = StringField(
        "Opening time", default="09:00", validators=[TimeOfDay("The opening time")],
        widget=GovTextInput(),
    )  # fmt: skip
    closes_on = GovukDateField("Closes on", validators=[InputRequired("Enter the date it closes")])
    closes_time = StringField(
        "Closing time", default="17:00", validators=[TimeOfDay("The closing time")],
        widget=GovTextInput(),
    )  # fmt: skip
    budget = StringField("Budget, in pounds", validators=[Pounds()], widget=GovTextInput())
    min_award = StringField(
        "Smallest award, in pounds", validators=[Pounds()], widget=GovTextInput()
    )
    max_award = StringField(
        "Largest award, in pounds", validators=[Pounds()], widget=GovTextInput()
    )
    short_form_threshold = StringField(
        "Short form up to, in pounds",
        description="Applications asking for this or less use the short form",
        validators=[Pounds()],
        widget=GovTextInput(),
    )
    funding_threshold_percent = StringField(
        "Funding threshold, as a percentage score (optional)",
        validators=[Optional(), WholeNumber("The funding threshold", maximum=100)],
        widget=GovTextInput(),
    )
    approval_limit = StringField(
        "Officers may approve up to, in pounds (optional)",
        description="Above this only a decision maker may approve. Leave empty for no limit",
        validators=[Optional(), Pounds()],
        widget=GovTextInput(),
    )
    who_can_apply = TextAreaField(
        "Who can apply",
        validators=[
            Optional(),
            Length(max=2000, message="Who can apply must be 2,000 characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Create the round", widget=GovSubmitInput())


class CriterionForm(FlaskForm):
    name = StringField(
        "Criterion",
        description="For example, Need",
        validators=[required("Enter the criterion"), Length(max=200)],
        widget=GovTextInput(),
    )
    guidance = TextAreaField(
        "Guidance for assessors (optional)",
        validators=[
            Optional(),
            Length(max=1000, message="Guidance must be 1,000 characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    weight = StringField(
        "Weight, as a percentage of the total",
        validators=[required("Enter the weight"), WholeNumber("The weight", maximum=100)],
        widget=GovTextInput(),
    )
    max_score = SelectField(
        "Scored out of",
        coerce=int,
        choices=[SelectChoice(n, str(n)) for n in (5, 4, 3, 10)],
        validators=[NumberRange(min=1, max=10)],
        widget=GovSelect(),
    )
    submit = SubmitField("Add criterion", widget=GovSubmitInput())

    def validate_weight(self, field: StringField) -> None:
        if field.data == "0":
            raise ValidationError("The weight must be 1 or more")


class FormItemsForm(FlaskForm):
    asked = SelectMultipleField(
        "Questions and documents this round asks for",
        choices=[],  # the programme's optional items, given by the page
        validators=[Optional()],
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Save the form's questions", widget=GovSubmitInput())
