"""Forms of the application journey. A section's form is built from the form's data
(workflows/application_form.py), so a question is declared once and asked, checked and shown
from that one declaration."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from forms.common import required
from forms.money import Pounds
from workflows import application_form as spec

COMPLETED_CHOICES = [
    SelectChoice("yes", "Yes, I've completed this section"),
    SelectChoice("no", "No, I'll come back to it later"),
]


class WordLimit:
    def __init__(self, words: int, label: str) -> None:
        self.words = words
        self.label = label

    def __call__(self, form, field: Field) -> None:  # type: ignore[no-untyped-def]
        if field.data and spec.word_count(field.data) > self.words:
            raise ValidationError(f"{self.label} must be {self.words} words or fewer")


class WholeNumber:
    """Digits, with commas allowed ('1,200'); kept as the plain number string."""

    def __init__(self, label: str, maximum: int = 1_000_000_000) -> None:
        self.label = label
        self.maximum = maximum

    def __call__(self, form, field: Field) -> None:  # type: ignore[no-untyped-def]
        text = (field.data or "").strip().replace(",", "")
        if not text:
            field.data = ""
            return
        if not re.fullmatch(r"\d+", text):
            raise ValidationError(f"{self.label} must be a whole number, like 1200")
        if int(text) > self.maximum:
            raise ValidationError(f"{self.label} must be {self.maximum:,} or less")
        field.data = str(int(text))


class GovukDateField(DateField):
    """Day, month and year boxes; '30 2 2026' is refused as not a real date."""

    def __init__(self, label: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:
            # Not from our page (the widget needs exactly day, month and year to redraw).
            self.raw_data = None
            self.data = None
            if valuelist:
                raise ValueError(f"{self.label.text} must be a real date")
            return
        if not any(part.strip() for part in valuelist):
            self.data = None
            return
        if not all(part.strip() for part in valuelist):
            self.data = None
            missing = [
                name
                for name, part in zip(("day", "month", "year"), valuelist, strict=False)
                if not part.strip()
            ]
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        day, month, year = (part.strip() for part in valuelist)
        try:
            self.data = dt.date(int(year), int(month), int(day))
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from None
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, with a 4-digit year")


class Choices(SelectMultipleField):
    """Checkboxes whose refusal of a value not offered reads like the rest of the service."""

    def pre_validate(self, form: FlaskForm) -> None:
        offered = {str(choice[0]) for choice in self.iter_choices()} if self.choices else set()
        if self.data and any(str(value) not in offered for value in self.data):
            raise ValidationError(f"Select from the options given for '{self.label.text}'")


class CompletedMixin:
    completed = RadioField(
        "Have you completed this section?",
        choices=COMPLETED_CHOICES,
        validators=[required("Select whether you have completed this section")],
        widget=GovRadioInput(),
    )
    revision = HiddenField()


def section_form(
    section: spec.Section,
    questions: Sequence[spec.Question],
    priorities: Sequence[tuple[str, str]],
    places: Sequence[tuple[str, str]],
    formdata: object | None,
    data: dict[str, object] | None = None,
) -> FlaskForm:
    """A form for the section's questions that apply to this application."""
    fields: dict[str, object] = {}
    for question in questions:
        fields[question.key] = _field(question, priorities, places)
    fields["submit"] = SubmitField("Save and continue", widget=GovSubmitInput())
    form_class = type(f"{section.key.title()}SectionForm", (CompletedMixin, FlaskForm), fields)
    # formdata is always explicit: flask-wtf would otherwise read the request's form even
    # when the page is being redrawn from what is saved.
    return form_class(formdata=formdata, data=data)


def _field(
    question: spec.Question,
    priorities: Sequence[tuple[str, str]],
    places: Sequence[tuple[str, str]],
) -> Field:
    label, hint = question.label, question.hint
    if question.kind == spec.TEXTAREA:
        return TextAreaField(
            label,
            description=hint,
            validators=[
                Optional(),
                Length(
                    max=question.max_length,
                    message=f"{label} must be {question.max_length:,} characters or fewer",
                ),
                WordLimit(question.words or 10_000, label),
            ],
            widget=GovCharacterCount(),
        )
    if question.kind == spec.WHOLE_NUMBER:
        return StringField(
            label, description=hint, validators=[WholeNumber(label)], widget=GovTextInput()
        )
    if question.kind == spec.DATE:
        return GovukDateField(label, description=hint, validators=[Optional()])
    if question.kind in (spec.PRIORITIES, spec.PLACES):
        options = priorities if question.kind == spec.PRIORITIES else places
        return Choices(
            label,
            description=hint or "Select all that apply",
            choices=[SelectChoice(value, text) for value, text in options],
            validate_choice=True,
            widget=GovCheckboxesInput(),
        )
    if question.kind == spec.DECLARATION:
        return BooleanField(label, widget=GovCheckboxInput())
    return StringField(
        label,
        description=hint,
        validators=[
            Length(
                max=question.max_length,
                message=f"{label} must be {question.max_length} characters or fewer",
            )
        ],
        widget=GovTextInput(),
    )


def answers_from(form: FlaskForm, questions: Sequence[spec.Question]) -> dict[str, str]:
    """The form's values as stored answers (strings)."""
    answers = {}
    for question in questions:
        value = form[question.key].data
        if question.kind == spec.DATE:
            answers[question.key] = value.isoformat() if value else ""
        elif question.kind in (spec.PRIORITIES, spec.PLACES):
            answers[question.key] = ",".join(value or [])
        elif question.kind == spec.DECLARATION:
            answers[question.key] = "yes" if value else ""
        else:
            answers[question.key] = (value or "").strip()
    return answers


def data_from(
    answers: dict[str, str], title: str, questions: Sequence[spec.Question]
) -> dict[str, object]:
    """Stored answers as the form's initial data."""
    data: dict[str, object] = {}
    for question in questions:
        value = title if question.key == "project_title" else answers.get(question.key, "")
        if question.kind == spec.DATE:
            try:
                data[question.key] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                data[question.key] = None
        elif question.kind in (spec.PRIORITIES, spec.PLACES):
            data[question.key] = [v for v in value.split(",") if v]
        elif question.kind == spec.DECLARATION:
            data[question.key] = value == "yes"
        else:
            data[question.key] = value
    return data


class StartForm(FlaskForm):
    organisation = RadioField(
        "Which organisation are you applying for?",
        coerce=int,
        validators=[InputRequired(message="Select the organisation you are applying for")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Start application", widget=GovSubmitInput())


class MarkCompleteForm(CompletedMixin, FlaskForm):
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class BudgetLineForm(FlaskForm):
    financial_year = SelectField(
        "Financial year",
        coerce=int,
        validators=[InputRequired(message="Select the financial year")],
        widget=GovSelect(),
    )
    category = StringField(
        "What is it for?",
        description="For example, staff costs, venue hire or equipment",
        validators=[
            required("Enter what the money is for"),
            Length(max=80, message="What the money is for must be 80 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    description = StringField(
        "Details",
        description="For example, 2 coaches for 30 Friday evenings",
        validators=[
            Optional(),
            Length(max=300, message="Details must be 300 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    amount = StringField(
        "Amount, in pounds",
        validators=[Pounds(minimum_pence=1, maximum_pence=1_000_000_00)],
        widget=GovTextInput(),
    )
    revision = HiddenField()
    submit = SubmitField("Add budget line", widget=GovSubmitInput())


class OutputTargetForm(FlaskForm):
    description = StringField(
        "What will the project deliver or change?",
        description="For example, 'young people attending at least 10 sessions'",
        validators=[
            required("Enter what the project will deliver or change"),
            Length(max=300, message="The output must be 300 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    target = StringField(
        "Target number",
        description="A whole number, like 40",
        validators=[
            required("Enter the target as a whole number, like 40"),
            WholeNumber("The target", maximum=1_000_000),
        ],
        widget=GovTextInput(),
    )
    revision = HiddenField()
    submit = SubmitField("Add output", widget=GovSubmitInput())

    def validate_target(self, field: StringField) -> None:
        if field.data == "0":
            raise ValidationError("The target must be 1 or more")


class DocumentUploadForm(FlaskForm):
    document = FileField(
        "Upload a file",
        description="PDF, Word, Excel, OpenDocument, PNG, JPEG or CSV, smaller than 25 MB",
        validators=[FileRequired(message="Select a file")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class SubmitApplicationForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Accept and send", widget=GovSubmitInput())
