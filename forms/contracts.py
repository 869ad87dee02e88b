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
from workflows.contract import MAX_EXTENSION_OPTIONS

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


PARTNER_ROWS = 3
KPI_ROWS = 3


def _name(label: str, missing: str | None, hint: str = "") -> StringField:
    checks: list[Any] = [DataRequired(message=missing)] if missing else []
    checks.append(Length(max=NAME_MAX, message=f"{label} must be {NAME_MAX} characters or fewer"))
    return StringField(
        label, description=hint, filters=[strip], validators=checks, widget=GovTextInput()
    )


def _whole_number(label: str, largest: int) -> StringField:
    def check(form: FlaskForm, field: Field) -> None:
        if not (field.data or "").isdigit() or int(field.data) > largest:
            raise ValidationError(f"{label} must be a whole number from 0 to {largest}")

    return StringField(
        label, default="0", filters=[strip], validators=[check], widget=GovTextInput()
    )


class NewContractForm(FlaskForm):
    """A contract as the register holds it. Partners and indicators come in a few optional
    rows (more are added on the contract's page); a row is all filled in or left empty."""

    programme = RadioField(
        "Programme",
        validators=[required("Choose the programme the contract is let under")],
        widget=GovRadioInput(),
    )
    title = _name(
        "Contract title",
        "Enter the contract's title",
        "For example, Victim First: support for victims and witnesses (2024 to 2027)",
    )
    service = _name(
        "Service",
        "Enter the service commissioned",
        "As the register lists it, like Victims' services",
    )
    provider = _name(
        "Provider",
        "Enter the provider",
        "The organisation's name; one the office has no record of is added",
    )
    provider_type = RadioField(
        "Provider's type of organisation (only if the office has no record of it)",
        validate_choice=False,
        widget=GovRadioInput(),
    )
    annual_value = StringField(
        "Value a year",
        description="In pounds and pence, for example 833,333.33",
        filters=[strip],
        validators=[Pounds(minimum_pence=0)],
        widget=GovTextInput(),
    )
    starts_on = GovukDateField(
        "Service starts on",
        description="For example, 1 4 2024",
        validators=[InputRequired("Enter the start date")],
    )
    ends_on = GovukDateField(
        "Contract ends on",
        description="For example, 31 3 2027",
        validators=[InputRequired("Enter the end date")],
    )
    extension_options = _whole_number("Extension options", MAX_EXTENSION_OPTIONS)
    extensions_used = _whole_number("Extension options used", MAX_EXTENSION_OPTIONS)

    def offer(self, programmes: list[tuple[str, str]], types: list[tuple[str, str]]) -> None:
        self.programme.choices = [SelectChoice(value, label) for value, label in programmes]
        if len(programmes) == 1 and not self.programme.data:
            self.programme.data = programmes[0][0]
        self.provider_type.choices = [SelectChoice(value, label) for value, label in types]

    def validate_provider_type(self, field: RadioField) -> None:
        offered = {str(choice[0]) for choice in field.iter_choices()}
        if field.data and field.data not in offered:
            raise ValidationError("Choose the provider's type of organisation from the list")

    def validate_ends_on(self, field: GovukDateField) -> None:
        starts = self.starts_on.data
        if starts is not None and field.data is not None and field.data <= starts:
            raise ValidationError("The end date must be after the start date")

    def validate_extensions_used(self, field: StringField) -> None:
        options, used = self.extension_options.data or "", field.data or ""
        if options.isdigit() and used.isdigit() and int(used) > int(options):
            raise ValidationError("Extension options used cannot be more than the options")

    def partners(self) -> list[tuple[str, int]]:
        """Each co-commissioning partner entered: (name, contribution a year in pence)."""
        return [
            (
                getattr(self, f"partner_{n}_name").data,
                getattr(self, f"partner_{n}_contribution").pence,
            )
            for n in range(1, PARTNER_ROWS + 1)
            if getattr(self, f"partner_{n}_name").data
        ]

    def kpis(self) -> list[tuple[str, str, int, int]]:
        """Each KPI entered: (name, unit, decimal places, target scaled by 10^decimals)."""
        return [
            (
                getattr(self, f"kpi_{n}_name").data,
                getattr(self, f"kpi_{n}_unit").data,
                int(getattr(self, f"kpi_{n}_decimals").data),
                getattr(self, f"kpi_{n}_target").scaled,
            )
            for n in range(1, KPI_ROWS + 1)
            if getattr(self, f"kpi_{n}_name").data
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._check_partners() and valid
        return self._check_kpis() and valid

    def _check_partners(self) -> bool:
        valid = True
        for n in range(1, PARTNER_ROWS + 1):
            name = getattr(self, f"partner_{n}_name")
            money = getattr(self, f"partner_{n}_contribution")
            money.pence = None
            if not name.data and not money.data:
                continue
            if not name.data:
                name.errors = [*name.errors, f"Enter the name of partner {n}"]
                valid = False
            try:
                money.pence = parse_pounds(money.data or "")
            except ValueError as error:
                money.errors = [*money.errors, f"Partner {n}'s contribution: {error}"]
                valid = False
                continue
            if money.pence <= 0:
                money.errors = [*money.errors, f"Enter partner {n}'s contribution a year"]
                valid = False
        return valid

    def _check_kpis(self) -> bool:
        valid = True
        for n in range(1, KPI_ROWS + 1):
            name, unit, target = (
                getattr(self, f"kpi_{n}_{part}") for part in ("name", "unit", "target")
            )
            decimals = getattr(self, f"kpi_{n}_decimals")
            if not (name.data or unit.data or target.data):
                continue
            for field, missing in ((name, "name"), (unit, "unit")):
                if not field.data:
                    field.errors = [*field.errors, f"Enter indicator {n}'s {missing}"]
                    valid = False
            places = int(decimals.data) if decimals.data in ("0", "1") else 0
            try:
                target.scaled = parse_measure(target.data, places, f"Indicator {n}'s target")
            except ValueError as error:
                target.errors = [*target.errors, str(error)]
                valid = False
        return valid


for _n in range(1, PARTNER_ROWS + 1):
    setattr(NewContractForm, f"partner_{_n}_name", _name(f"Partner {_n}", None))
    setattr(
        NewContractForm,
        f"partner_{_n}_contribution",
        StringField(
            f"Partner {_n}'s contribution a year",
            description="In pounds and pence",
            filters=[strip],
            widget=GovTextInput(),
        ),
    )
for _n in range(1, KPI_ROWS + 1):
    setattr(NewContractForm, f"kpi_{_n}_name", _name(f"Indicator {_n}", None))
    setattr(
        NewContractForm,
        f"kpi_{_n}_unit",
        StringField(
            f"Indicator {_n}'s unit",
            description="For example, referrals or %",
            filters=[strip],
            validators=[Length(max=40, message="A unit must be 40 characters or fewer")],
            widget=GovTextInput(),
        ),
    )
    setattr(
        NewContractForm,
        f"kpi_{_n}_decimals",
        RadioField(
            f"Indicator {_n}'s decimal places",
            choices=[SelectChoice("0", "Whole numbers"), SelectChoice("1", "One decimal place")],
            default="0",
            widget=GovRadioInput(),
        ),
    )
    setattr(
        NewContractForm,
        f"kpi_{_n}_target",
        StringField(
            f"Indicator {_n}'s target each quarter",
            filters=[strip],
            widget=GovTextInput(),
        ),
    )
