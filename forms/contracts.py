"""Forms of the contract register, KPI returns, contract reviews and procurements."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovFileInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectChoice, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.apply import GovukDateField
from forms.common import required, strip
from forms.money import Pounds, parse_pounds
from forms.monitoring import VersionedForm

TEXT_MAX = 2000
NAME_MAX = 200


def _text(label: str, missing: str | None, hint: str = "", rows: int = 5) -> TextAreaField:
    checks: list[Any] = [DataRequired(message=missing)] if missing else [Optional()]
    checks.append(Length(max=TEXT_MAX, message=f"{label} must be {TEXT_MAX:,} characters or fewer"))
    return TextAreaField(
        label, description=hint, filters=[strip], validators=checks, widget=GovCharacterCount()
    )


def _name(label: str, missing: str, hint: str = "") -> StringField:
    return StringField(
        label,
        description=hint,
        filters=[strip],
        validators=[
            DataRequired(message=missing),
            Length(max=NAME_MAX, message=f"{label} must be {NAME_MAX} characters or fewer"),
        ],
        widget=GovTextInput(),
    )


def parse_measure(text: str | None, decimals: int, label: str) -> int:
    """'97.5' with one decimal place -> 975: a KPI value as a whole number, without floats."""
    cleaned = (text or "").strip().replace(",", "").rstrip("%").strip()
    if not cleaned:
        raise ValueError(f"Enter a value for {label}")
    pattern = r"\d{1,9}" + (rf"(\.\d{{1,{decimals}}})?" if decimals else "")
    if not re.fullmatch(pattern, cleaned):
        places = f" with up to {decimals} decimal place" if decimals else ""
        raise ValueError(f"{label} must be a number{places}, like {'97.5' if decimals else '120'}")
    whole, _, fraction = cleaned.partition(".")
    return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or 0)


class Measure:
    """Checks a KPI figure and keeps it scaled on ``field.scaled``."""

    def __init__(self, decimals_field: str | None = None, decimals: int = 0) -> None:
        self.decimals_field = decimals_field
        self.decimals = decimals

    def __call__(self, form: FlaskForm, field: Field) -> None:
        decimals = self.decimals
        if self.decimals_field is not None:
            decimals = int(getattr(form, self.decimals_field).data or 0)
        try:
            field.scaled = parse_measure(field.data, decimals, field.label.text)  # type: ignore[attr-defined]
        except ValueError as error:
            raise ValidationError(str(error)) from error


class PartnerForm(FlaskForm):
    name = _name(
        "Partner", "Enter the co-commissioning partner", "For example, Leicester City Council"
    )
    contribution = StringField(
        "Contribution a year",
        description="In pounds, for example 45,000",
        filters=[strip],
        validators=[Pounds(minimum_pence=1)],
        widget=GovTextInput(),
    )


class KpiForm(FlaskForm):
    name = _name("Indicator", "Enter the indicator", "For example, Victims referred")
    unit = StringField(
        "Unit",
        description="For example, referrals or %",
        filters=[strip],
        validators=[
            DataRequired(message="Enter the unit"),
            Length(max=40, message="Unit must be 40 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    decimals = RadioField(
        "Decimal places",
        choices=[SelectChoice("0", "Whole numbers"), SelectChoice("1", "One decimal place")],
        default="0",
        validators=[required("Choose how many decimal places")],
        widget=GovRadioInput(),
    )
    target = StringField(
        "Target each quarter",
        filters=[strip],
        validators=[Measure(decimals_field="decimals")],
        widget=GovTextInput(),
    )


DECISION_CHOICES = [
    SelectChoice("extend", "Extend the contract (uses an extension option)"),
    SelectChoice("recommission", "Recommission: tender a new contract"),
    SelectChoice("decommission", "Decommission: let the service end"),
]


class ReviewForm(VersionedForm):
    options_considered = _text(
        "Options considered", "Enter the options considered", "The options and what each would mean"
    )
    costs = _text(
        "Costs", "Enter the costs of the options", "The cost of each option, a year and in total"
    )
    recommendation = _text("Recommendation", "Enter the recommendation", "Kept with the decision")
    decision = RadioField(
        "Decision",
        choices=DECISION_CHOICES,
        validators=[required("Choose what to do with the contract")],
        widget=GovRadioInput(),
    )
    new_end_date = GovukDateField(
        "New end date (if extending)", description="For example, 31 3 2028"
    )
    estimate = StringField(
        "Estimated value of the new contract (if recommissioning)",
        description="In pounds, over its whole term",
        filters=[strip],
        widget=GovTextInput(),
    )

    def validate_new_end_date(self, field: GovukDateField) -> None:
        if self.decision.data == "extend" and field.data is None and not field.errors:
            raise ValidationError("Enter the new end date")

    def validate_estimate(self, field: StringField) -> None:
        self.estimate_pence: int | None = None
        if self.decision.data != "recommission":
            return
        try:
            self.estimate_pence = parse_pounds(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from error
        if self.estimate_pence <= 0:
            raise ValidationError("Enter the estimated value of the new contract")


class MoveForm(VersionedForm):
    pass


class RatingForm(VersionedForm):
    rating = RadioField(
        "Rating for the quarter",
        choices=[
            SelectChoice("good", "Good"),
            SelectChoice("approaching_target", "Approaching target"),
            SelectChoice("requires_improvement", "Requires improvement"),
            SelectChoice("inadequate", "Inadequate"),
        ],
        validators=[required("Choose a rating for the quarter")],
        widget=GovRadioInput(),
    )
    reason = _text("Comments for the provider (optional)", None, rows=3)


class SendBackForm(VersionedForm):
    reason = _text(
        "Comments for the provider",
        "Enter comments saying what needs to change",
        "Say what the provider needs to change before it sends the return again",
    )


def kpi_return_form(
    kpis: Sequence[Any], data: dict[str, str] | None = None, formdata: Any = None
) -> VersionedForm:
    """A form with one box per KPI of the contract, named ``kpi_<id>``."""

    class KpiReturnForm(VersionedForm):
        narrative = _text("Commentary (optional)", None, "How the quarter went, and why", rows=5)

    for kpi in kpis:
        label = f"{kpi.name} ({kpi.unit})"
        setattr(
            KpiReturnForm,
            f"kpi_{kpi.id}",
            StringField(
                label,
                filters=[strip],
                validators=[Measure(decimals=kpi.decimals)],
                widget=GovTextInput(),
            ),
        )
    if formdata is None:
        return KpiReturnForm(data=data or {})
    return KpiReturnForm(formdata=formdata)


class SpecificationForm(FlaskForm):
    document = FileField(
        "Specification",
        description="PDF, Word or OpenDocument, smaller than 25 MB",
        validators=[FileRequired(message="Select the specification")],
        widget=GovFileInput(),
    )


class PublishForm(VersionedForm):
    published_on = GovukDateField(
        "Publication date", validators=[InputRequired("Enter the publication date")]
    )
    closes_on = GovukDateField(
        "Closing date for bids", validators=[InputRequired("Enter the closing date")]
    )
    quality_weight = StringField(
        "Weight on quality (per cent)",
        description="The rest goes on price: 70 puts 30% on price",
        default="70",
        filters=[strip],
        widget=GovTextInput(),
    )

    def validate_quality_weight(self, field: StringField) -> None:
        if not (field.data or "").isdigit() or not 0 <= int(field.data) <= 100:
            raise ValidationError("Weight on quality must be a whole number from 0 to 100")


class BidForm(FlaskForm):
    bidder = _name("Bidder", "Enter the bidder's name")
    price = StringField(
        "Price over the contract's term",
        description="In pounds, for example 1,450,000",
        filters=[strip],
        validators=[Pounds(minimum_pence=1)],
        widget=GovTextInput(),
    )
    received_on = GovukDateField(
        "Date received", validators=[InputRequired("Enter the date the bid was received")]
    )
    document = FileField("Bid documents (optional)", widget=GovFileInput())


class ScoreForm(FlaskForm):
    quality = StringField(
        "Quality score (per cent)",
        filters=[strip],
        widget=GovTextInput(),
    )

    def validate_quality(self, field: StringField) -> None:
        if not (field.data or "").isdigit() or not 0 <= int(field.data) <= 100:
            raise ValidationError("Quality score must be a whole number from 0 to 100")


class AwardForm(VersionedForm):
    bid = RadioField(
        "Winning bid", validators=[required("Choose the winning bidder")], widget=GovRadioInput()
    )
    reason = _text("Reasons for the award", "Enter the reasons for the award", rows=3)


class SignForm(VersionedForm):
    starts_on = GovukDateField(
        "Service starts on", validators=[InputRequired("Enter the start date")]
    )
    ends_on = GovukDateField("Contract ends on", validators=[InputRequired("Enter the end date")])
    extension_options = StringField(
        "Extension options",
        description="How many times the contract may be extended",
        default="1",
        filters=[strip],
        widget=GovTextInput(),
    )

    def validate_extension_options(self, field: StringField) -> None:
        if not (field.data or "").isdigit() or int(field.data) > 5:
            raise ValidationError("Extension options must be a whole number from 0 to 5")
