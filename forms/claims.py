"""Forms of a claim in arrears: choose the year, add items of spend with evidence, send."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from forms.common import required
from forms.money import Pounds

EVIDENCE_HINT = (
    "A receipt or invoice: PDF, Word, Excel, OpenDocument, PNG or JPEG, smaller than 25 MB"
)


class StartClaimForm(FlaskForm):
    financial_year = RadioField(
        "Which financial year is the spend in?",
        coerce=int,
        validators=[InputRequired(message="Select the financial year the spend is in")],
        # The service says which years can be claimed for, in its own words.
        validate_choice=False,
        widget=GovRadioInput(),
    )
    submit = SubmitField("Start a claim", widget=GovSubmitInput())


class ClaimLineForm(FlaskForm):
    description = StringField(
        "What was the money spent on?",
        description="For example, hall hire for 6 Friday sessions in May",
        validators=[
            required("Enter what the money was spent on"),
            Length(max=300, message="What the money was spent on must be 300 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    amount = StringField(
        "Amount, in pounds",
        validators=[Pounds(minimum_pence=1, maximum_pence=1_000_000_00)],
        widget=GovTextInput(),
    )
    evidence = FileField(
        "Upload the evidence",
        description=EVIDENCE_HINT,
        validators=[FileRequired(message="Select a file that shows the spend")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Add item", widget=GovSubmitInput())


class SubmitClaimForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Send claim", widget=GovSubmitInput())
