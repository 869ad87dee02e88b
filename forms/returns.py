"""Forms of a monitoring return. The return's form has a field per budget line (spend to date)
and per output target (achieved so far), built from the award, so it asks exactly what the
award reports against."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from forms.apply import WholeNumber
from forms.money import Pounds, parse_pounds
from grants.filters import financial_year, pounds
from grants.models import BudgetLine, OutputTarget

MAX_SPEND_PENCE = 1_000_000_00
MAX_ACHIEVED = 1_000_000
NARRATIVE_MAX = 5000
CASE_STUDY_MAX = 3000
RISKS_MAX = 2000
SPEND_FIELD = re.compile(r"spend_(\d+)")
ACHIEVED_FIELD = re.compile(r"achieved_(\d+)")


def spend_field_name(line_id: int) -> str:
    return f"spend_{line_id}"


def achieved_field_name(target_id: int) -> str:
    return f"achieved_{target_id}"


def line_name(line: BudgetLine) -> str:
    return f"{line.category} ({financial_year(line.financial_year)})"


class SpendToDate:
    """Money of 0 or more, up to £1m, with messages naming the budget line (the error summary
    lists several lines' errors at once)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pounds = Pounds(minimum_pence=0, maximum_pence=MAX_SPEND_PENCE)

    def __call__(self, form: FlaskForm, field: Field) -> None:
        text = (field.data or "").strip()
        if text.lstrip("£ ").startswith("-"):
            raise ValidationError(f"Spend to date on {self.name} cannot be negative")
        try:
            self.pounds(form, field)
        except ValidationError:
            try:
                parse_pounds(text)
            except ValueError:
                raise ValidationError(
                    f"Enter spend to date on {self.name} in pounds and pence, like 1250 or 1,250.50"
                ) from None
            raise ValidationError(
                f"Spend to date on {self.name} must be {pounds(MAX_SPEND_PENCE, whole=True)} "
                "or less"
            ) from None


class ReturnFormBase(FlaskForm):
    narrative = TextAreaField(
        "How is the project going?",
        description=(
            "Tell us what the project has done in this period, what has gone well and what "
            "has not. You need to answer this before you can submit the return."
        ),
        validators=[
            Optional(),
            Length(
                max=NARRATIVE_MAX,
                message=f"How the project is going must be {NARRATIVE_MAX:,} characters or fewer",
            ),
        ],
        widget=GovCharacterCount(),
    )
    case_study = TextAreaField(
        "Case study (optional)",
        description="The story of one person or group the project has helped. Leave out names.",
        validators=[
            Optional(),
            Length(
                max=CASE_STUDY_MAX,
                message=f"The case study must be {CASE_STUDY_MAX:,} characters or fewer",
            ),
        ],
        widget=GovCharacterCount(),
    )
    risks = TextAreaField(
        "Risks and issues (optional)",
        description=(
            "Anything that could stop the project delivering, and what you are doing about it."
        ),
        validators=[
            Optional(),
            Length(
                max=RISKS_MAX, message=f"Risks and issues must be {RISKS_MAX:,} characters or fewer"
            ),
        ],
        widget=GovCharacterCount(),
    )
    version = HiddenField()
    # The first button is the one Enter presses: carry on, as on every other GOV.UK form.
    check = SubmitField("Continue to check and submit", widget=GovSubmitInput())
    save = SubmitField("Save as draft", widget=GovSubmitInput())


def return_form(
    lines: Sequence[BudgetLine],
    targets: Sequence[OutputTarget],
    formdata: object | None,
    data: Mapping[str, object] | None = None,
) -> FlaskForm:
    """The return's form, with one money field per budget line and one whole-number field per
    output target. ``formdata`` is explicit (None when drawing from what is saved), or flask-wtf
    would read the request's form even when the page is redrawn."""
    fields: dict[str, object] = {}
    for line in lines:
        name = line_name(line)
        hint = f"Budget {pounds(line.amount_pence)}"
        if line.description:
            hint = f"{line.description}. {hint}"
        fields[spend_field_name(line.id)] = StringField(
            f"Spent to date on {name}",
            description=hint,
            validators=[Optional(), SpendToDate(name)],
            widget=GovTextInput(),
        )
    for target in targets:
        fields[achieved_field_name(target.id)] = StringField(
            target.description,
            description=f"Target {target.target:,}",
            validators=[
                Optional(),
                WholeNumber(f"The number achieved for {target.description}", MAX_ACHIEVED),
            ],
            widget=GovTextInput(),
        )
    form_class = type("MonitoringReturnForm", (ReturnFormBase,), fields)
    return form_class(formdata=formdata, data=dict(data or {}))


def form_data(
    spend: Mapping[int, int | None],
    achieved: Mapping[int, int | None],
    narrative: str | None,
    case_study: str | None,
    risks: str | None,
    version: int,
) -> dict[str, object]:
    """What is saved, as the form's initial data."""
    data: dict[str, object] = {
        "narrative": narrative or "",
        "case_study": case_study or "",
        "risks": risks or "",
        "version": str(version),
    }
    for line_id, pence in spend.items():
        data[spend_field_name(line_id)] = "" if pence is None else _plain_pounds(pence)
    for target_id, number in achieved.items():
        data[achieved_field_name(target_id)] = "" if number is None else str(number)
    return data


def _plain_pounds(pence: int) -> str:
    """1234500 -> '12345' and 1234550 -> '12345.50': what a person would type."""
    whole, part = divmod(pence, 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}"


def answers_from(
    form: FlaskForm, formdata: Mapping[str, str]
) -> tuple[dict[int, int], dict[int, int]]:
    """Spend (pence) and achieved numbers by id, from a validated form. An answer posted for a
    line or target the form does not have (a stale page, or a tampered one) is passed on too,
    so the service, which knows the award, refuses it rather than it vanishing unnoticed."""
    spend: dict[int, int] = {}
    achieved: dict[int, int] = {}
    for key in formdata:
        if match := SPEND_FIELD.fullmatch(key):
            line_id = int(match.group(1))
            field = form._fields.get(key)
            if field is None:
                spend[line_id] = _lenient_pence(formdata.get(key, ""))
            elif (field.data or "").strip():
                spend[line_id] = field.pence  # type: ignore[attr-defined]
        elif match := ACHIEVED_FIELD.fullmatch(key):
            target_id = int(match.group(1))
            field = form._fields.get(key)
            if field is None:
                achieved[target_id] = _lenient_number(formdata.get(key, ""))
            elif field.data:
                achieved[target_id] = int(field.data)
    return spend, achieved


def _lenient_pence(text: str) -> int:
    try:
        return parse_pounds(text)
    except ValueError:
        return 0


def _lenient_number(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


class EvidenceForm(FlaskForm):
    document = FileField(
        "Upload a file",
        description="PDF, Word, Excel, OpenDocument, PNG, JPEG or CSV, smaller than 25 MB",
        validators=[FileRequired(message="Select a file")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class SubmitReturnForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Submit return", widget=GovSubmitInput())


class SignedOffReturnForm(SubmitReturnForm):
    """A Community Safety Partnership's return: its responsible officer signs it off."""

    signatory = StringField(
        "Name of the responsible officer",
        validators=[
            InputRequired(message="Enter the name of the responsible officer"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    signatory_role = StringField(
        "Their role",
        validators=[
            InputRequired(message="Enter the responsible officer's role"),
            Length(max=120, message="The role must be 120 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    confirm = BooleanField(
        "I am the partnership's responsible officer and this return is accurate",
        validators=[
            InputRequired(
                message="Confirm that you are the responsible officer and the return is accurate"
            )
        ],
        widget=GovCheckboxInput(),
    )
