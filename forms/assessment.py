"""Forms of assessment: a declaration of interest, the register of interests, due-diligence
checks, scores with their justifications, and the officer's recommendation.

Questions that only apply after a "yes" are shown on the page all the time rather than revealed:
the reveal puts ARIA on the radios that the accessibility checks refuse (see forms/variations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length

from forms.common import required
from forms.money import Pounds
from grants.models import Criterion

TEXT_MAX = 2000
YES, NO = "yes", "no"


def _length(name: str) -> Length:
    return Length(max=TEXT_MAX, message=f"{name} must be {TEXT_MAX:,} characters or fewer")


class OneOf:
    """A choice from the radios offered, with the page's own wording when there is none (or a
    value the page never offered)."""

    def __init__(self, values: Sequence[str], message: str) -> None:
        self.values = set(values)
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in self.values:
            raise ValidationError(self.message)


# Declarations of interest ------------------------------------------------------------------


class DeclarationForm(FlaskForm):
    has_interest = RadioField(
        "Do you have any interest in this application or the organisation?",
        description=(
            "For example, you or someone close to you is a trustee, employee, volunteer or "
            "member of the organisation, or would benefit from the project"
        ),
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
        validate_choice=False,
        validators=[
            OneOf(
                (YES, NO),
                "Select yes if you have any interest in this application or the organisation",
            )
        ],
        widget=GovRadioInput(),
    )
    details = TextAreaField(
        "If yes, describe your interest",
        validators=[_length("Your interest")],
        widget=GovCharacterCount(),
    )
    conflicted = RadioField(
        "If yes, does your interest stop you taking part?",
        choices=[
            SelectChoice(
                YES,
                "Yes, it is a conflict of interest: I will not score, recommend or decide on "
                "this application",
            ),
            SelectChoice(NO, "No, I can take part: my interest will be recorded"),
        ],
        validate_choice=False,
        widget=GovRadioInput(),
    )
    submit = SubmitField("Save declaration", widget=GovSubmitInput())

    @property
    def interested(self) -> bool:
        return self.has_interest.data == YES

    def validate_details(self, field: TextAreaField) -> None:
        if self.interested and not (field.data or "").strip():
            raise ValidationError("Describe your interest")

    def validate_conflicted(self, field: RadioField) -> None:
        if self.interested and field.data not in (YES, NO):
            raise ValidationError("Select whether your interest stops you taking part")

    def conflict(self) -> bool | None:
        return {YES: True, NO: False}.get(self.conflicted.data or "")


# The register of interests -------------------------------------------------------------------


class RegisterInterestForm(FlaskForm):
    organisation = SelectField("Organisation", widget=GovSelect(), validate_choice=False)
    description = TextAreaField(
        "What is your interest?",
        description="For example, trustee since 2021, or my partner works there",
        validators=[required("Describe your interest"), _length("Your interest")],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Add to the register", widget=GovSubmitInput())

    def set_organisations(self, organisations: Sequence[tuple[int, str]]) -> None:
        self.organisation.choices = [("", "Choose an organisation")] + [
            (str(id_), name) for id_, name in organisations
        ]

    def validate_organisation(self, field: SelectField) -> None:
        offered = {value for value, _ in field.choices or [] if value}  # type: ignore[misc]
        if field.data not in offered:
            raise ValidationError("Select the organisation")

    @property
    def organisation_id(self) -> int:
        return int(self.organisation.data)


class EndInterestForm(FlaskForm):
    interest = HiddenField(validators=[InputRequired()])

    def interest_id(self) -> int | None:
        try:
            return int(self.interest.data)
        except (TypeError, ValueError):
            return None


# Due-diligence checks ------------------------------------------------------------------------


PASSED, FAILED = "passed", "failed"


def result_field(key: str) -> str:
    return f"{key}_result"


def note_field(key: str) -> str:
    return f"{key}_note"


class NoteIfFailed:
    def __init__(self, key: str, label: str) -> None:
        self.key = key
        self.label = label

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if form[result_field(self.key)].data == FAILED and not (field.data or "").strip():
            raise ValidationError(f"Say why '{self.label}' was not passed")


class ResultOrBlank:
    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in (None, "", PASSED, FAILED):
            raise ValidationError(f"Select whether '{self.label}' passed or failed")


def checks_form(
    checks: Sequence[tuple[str, str]],
    formdata: object | None,
    data: dict[str, object] | None = None,
) -> FlaskForm:
    """A result (passed or failed, or left for later) and a note for each check."""
    fields: dict[str, object] = {}
    for key, label in checks:
        fields[result_field(key)] = RadioField(
            label,
            choices=[SelectChoice(PASSED, "Passed"), SelectChoice(FAILED, "Failed")],
            validate_choice=False,
            validators=[ResultOrBlank(label)],
            widget=GovRadioInput(),
        )
        fields[note_field(key)] = TextAreaField(
            f"Note on '{label}'",
            description="Needed if the check failed",
            validators=[NoteIfFailed(key, label), _length("The note")],
            widget=GovCharacterCount(),
        )
    fields["submit"] = SubmitField("Save checks", widget=GovSubmitInput())
    form_class = type("ChecksForm", (FlaskForm,), fields)
    return form_class(formdata=formdata, data=data)


def check_results(
    form: FlaskForm, checks: Sequence[tuple[str, str]]
) -> dict[str, tuple[bool, str]]:
    """The checks given a result on the form: key -> (passed, note)."""
    results = {}
    for key, _ in checks:
        value = form[result_field(key)].data
        if value in (PASSED, FAILED):
            results[key] = (value == PASSED, form[note_field(key)].data or "")
    return results


# Scores ----------------------------------------------------------------------------------------


def score_field(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def justification_field(criterion_id: int) -> str:
    return f"justification_{criterion_id}"


class ScoreInRange:
    def __init__(self, criterion: Criterion) -> None:
        self.name = criterion.name
        self.maximum = criterion.max_score

    def __call__(self, form: FlaskForm, field: Field) -> None:
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(f"Select a score for '{self.name}'")
        if not text.isdigit() or not 0 <= int(text) <= self.maximum:
            raise ValidationError(
                f"The score for '{self.name}' must be between 0 and {self.maximum}"
            )


def score_form(
    criteria: Sequence[Criterion],
    formdata: object | None,
    data: dict[str, object] | None = None,
) -> FlaskForm:
    """A score (0 to the criterion's maximum) and its justification for every criterion."""
    fields: dict[str, object] = {"version": HiddenField()}
    for criterion in criteria:
        fields[score_field(criterion.id)] = RadioField(
            f"Score for '{criterion.name}', from 0 to {criterion.max_score}",
            choices=[SelectChoice(str(n), str(n)) for n in range(criterion.max_score + 1)],
            validate_choice=False,
            validators=[ScoreInRange(criterion)],
            widget=GovRadioInput(),
        )
        fields[justification_field(criterion.id)] = TextAreaField(
            f"Why did you give this score for '{criterion.name}'?",
            validators=[
                required(f"Give the reasons for your score for '{criterion.name}'"),
                _length(f"The reasons for '{criterion.name}'"),
            ],
            widget=GovCharacterCount(),
        )
    fields["submit"] = SubmitField("Submit scores", widget=GovSubmitInput())
    form_class = type("ScoreForm", (FlaskForm,), fields)
    return form_class(formdata=formdata, data=data)


def marks_from(form: FlaskForm, criteria: Sequence[Criterion]) -> dict[int, tuple[int, str]]:
    """criterion id -> (score, justification), from a form that has validated."""
    return {
        c.id: (int(form[score_field(c.id)].data), form[justification_field(c.id)].data or "")
        for c in criteria
    }


def expected_version(form: FlaskForm) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError, AttributeError):
        return None


# Recommendation --------------------------------------------------------------------------------


APPROVE, REJECT = "approve", "reject"


class RecommendationForm(FlaskForm):
    version = HiddenField()
    recommendation = RadioField(
        "What do you recommend?",
        choices=[SelectChoice(APPROVE, "Approve"), SelectChoice(REJECT, "Reject")],
        validate_choice=False,
        validators=[OneOf((APPROVE, REJECT), "Select whether you recommend approval or rejection")],
        widget=GovRadioInput(),
    )
    amount = StringField(
        "If you recommend approval, the amount to award, in pounds",
        widget=GovTextInput(),
    )
    reason = TextAreaField(
        "Reasons for your recommendation",
        description="The decision maker reads these before deciding",
        validators=[
            required("Enter the reasons for your recommendation"),
            _length("The reasons"),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Make recommendation", widget=GovSubmitInput())

    def validate_amount(self, field: StringField) -> None:
        if self.recommendation.data != APPROVE:
            return
        if not (field.data or "").strip():
            raise ValidationError("Enter the amount you recommend")
        Pounds()(self, field)

    @property
    def amount_pence(self) -> int | None:
        if self.recommendation.data != APPROVE:
            return None
        return getattr(self.amount, "pence", None)
