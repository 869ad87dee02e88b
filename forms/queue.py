"""The application queue's forms: filters (a GET form, so a filtered list has a URL and works
without JavaScript) and assigning an assessor to the applications ticked in the list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, ValidationError
from wtforms.validators import Length

from forms.common import required, strip

SEARCH_MAX = 100


class FilterChoice(SelectField):
    """A select whose refusal of a value it does not offer names the filter, like the rest of
    the service (WTForms' own message is "Not a valid choice")."""

    def __init__(self, label: str, what: str, anything: str, **kwargs: object) -> None:
        super().__init__(label, widget=GovSelect(), **kwargs)  # type: ignore[arg-type]
        self.what = what
        self.anything = anything

    def offer(self, choices: Sequence[tuple[str, str]], with_anything: bool = True) -> None:
        self.choices = ([("", self.anything)] if with_anything else []) + list(choices)

    def pre_validate(self, form: FlaskForm) -> None:
        offered = {value for value, _ in self.choices or []}
        if self.data not in offered:
            raise ValidationError(f"Choose {self.what} from the list")


class QueueFilterForm(FlaskForm):
    """Read from the query string; every field may be left empty."""

    class Meta:
        csrf = False  # a GET form changes nothing

    q = StringField(
        "Organisation or reference",
        description="For example, Braunstone or PF-2627-0042",
        filters=[strip],
        validators=[
            Length(max=SEARCH_MAX, message=f"Search must be {SEARCH_MAX} characters or fewer")
        ],
        widget=GovTextInput(),
    )
    status = FilterChoice("Status", "a status", "Any status", default="")
    priority = FilterChoice("Priority", "a priority", "Any priority", default="")
    place = FilterChoice("Place", "a place", "Anywhere", default="")
    assessor = FilterChoice("Assessor", "an assessor", "Any assessor", default="")
    band = FilterChoice("Amount requested", "an amount", "Any amount", default="")
    sort = FilterChoice("Sort by", "how to sort", "", default="")
    # No submit field: the page's button has no name, so it adds nothing to the URL.

    def offer(self, choices: Mapping[str, Sequence[tuple[str, str]]], default_sort: str) -> None:
        for name in ("status", "priority", "place", "assessor", "band"):
            getattr(self, name).offer(choices[name])
        self.sort.offer(choices["sort"], with_anything=False)
        if not self.sort.data:
            self.sort.data = default_sort


class ApplicationIds(SelectMultipleField):
    """The ticked rows' application ids. Any id is accepted here: the service keeps only
    applications of the round that are open for assessment."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError:
            self.data = []
            raise ValueError("Select the applications from the list") from None

    def pre_validate(self, form: FlaskForm) -> None:
        if not self.data:
            raise ValidationError("Select the applications to assign")


class AssignForm(FlaskForm):
    applications = ApplicationIds("Applications", choices=[], validate_choice=False)
    assessor = FilterChoice(
        "Assessor to assign",
        "an assessor to assign",
        "Choose an assessor",
        validators=[required("Choose an assessor to assign")],
    )
    submit = SubmitField("Assign selected", widget=GovSubmitInput())

    def offer(self, assessors: Sequence[tuple[str, str]]) -> None:
        self.assessor.offer(assessors)

    def assessor_id(self) -> int | None:
        return int(self.assessor.data) if self.assessor.data else None
