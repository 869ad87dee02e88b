"""Approving an application and setting the terms of the offer it makes."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from forms.apply import GovukDateField
from forms.money import Pounds

OTHER_CONDITIONS_MAX = 2000


def _whole_number(form: FlaskForm, field: StringField) -> None:
    text = (field.data or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 12:
        raise ValidationError("Enter the number of payments as a whole number from 1 to 12")


class ApproveForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    amount = StringField(
        "Amount approved",
        description="No more than the amount requested",
        validators=[InputRequired(message="Enter the amount approved"), Pounds()],
        widget=GovTextInput(),
    )
    payment_timing = RadioField(
        "How is the grant paid?",
        choices=[
            SelectChoice("advance", "In advance, when each part of the project starts"),
            SelectChoice("arrears", "In arrears, claimed with evidence after each part"),
        ],
        validators=[
            InputRequired(message="Choose whether the grant is paid in advance or in arrears")
        ],
        widget=GovRadioInput(),
    )
    instalments = StringField(
        "Number of payments",
        description="Spread over the project; each financial year gets at least one",
        validators=[InputRequired(message="Enter the number of payments"), _whole_number],
        widget=GovTextInput(),
    )
    reporting = RadioField(
        "How often are monitoring returns due?",
        choices=[
            SelectChoice("quarterly", "Every quarter (April to June, July to September, ...)"),
            SelectChoice("half_yearly", "Every 6 months (April to September, October to March)"),
            SelectChoice("end_only", "Once, at the end of the project"),
        ],
        validators=[InputRequired(message="Choose how often monitoring returns are due")],
        widget=GovRadioInput(),
    )
    pre_payment_conditions = SelectMultipleField(
        "Conditions to meet before the first payment",
        choices=[],  # the standard conditions, given by the page
        validators=[Optional()],
        widget=GovCheckboxesInput(),
    )
    other_conditions = TextAreaField(
        "Other conditions of the grant (optional)",
        description="One condition per line",
        validators=[
            Optional(),
            Length(
                max=OTHER_CONDITIONS_MAX,
                message="Other conditions must be 2000 characters or fewer",
            ),
        ],
        widget=GovTextArea(),
    )
    offer_expires_on = GovukDateField(
        "The offer expires on",
        description="At 5pm on this day if not accepted. For example, 27 3 2027",
        validators=[InputRequired(message="Enter the date the offer expires")],
    )
    reason = TextAreaField(
        "Summary of the decision (optional)",
        description="Published on the decisions register with the amount",
        validators=[
            Optional(),
            Length(max=2000, message="The summary must be 2000 characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    exemption = StringField(
        "Withhold from the public register (optional)",
        description="Only if an exemption applies: name it, for example "
        "'Section 38 of the Freedom of Information Act: health and safety'",
        validators=[
            Optional(),
            Length(max=300, message="The exemption must be 300 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Approve and make the offer", widget=GovSubmitInput())

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def year_pence(self, years: Sequence[int]) -> dict[int, int] | None:
        """The amounts typed per financial year, or None when a box is not money (then the
        box has its error)."""
        amounts = {}
        for year in years:
            field = getattr(self, f"year_{year}")
            if not hasattr(field, "pence"):
                return None
            amounts[year] = field.pence
        return amounts

    def other_condition_lines(self) -> list[str]:
        text = (self.other_conditions.data or "").replace("\r\n", "\n")
        return [line.strip() for line in text.split("\n") if line.strip()]


def approve_form(years: Sequence[int], conditions: Sequence[str], **kwargs: object) -> ApproveForm:
    """The approval form with one amount box per financial year the project spans (none when
    it spans one: the whole amount is in that year), and the standard conditions to choose."""

    class Form(ApproveForm):
        pass

    if len(years) > 1:
        for year in years:
            setattr(
                Form,
                f"year_{year}",
                StringField(
                    f"{year}/{str(year + 1)[-2:]}",
                    validators=[
                        InputRequired(message=f"Enter the amount for {year}/{str(year + 1)[-2:]}"),
                        Pounds(minimum_pence=0),
                    ],
                    widget=GovTextInput(),
                ),
            )
    form = Form(**kwargs)
    form.pre_payment_conditions.choices = [SelectChoice(text, text) for text in conditions]
    return form
