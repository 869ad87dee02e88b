"""Staff forms for the office's bids: the funder's outcome, partner awards issued from an
intervention, funder variations and their decision, and the roll-up return to the funder."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from forms.award_management import Versioned
from forms.common import required, strip
from forms.money import Pounds

TEXT_MAX = 2000
NARRATIVE_MAX = 10_000


def _max(what: str, limit: int = TEXT_MAX) -> Length:
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


def _year(financial_year: int) -> str:
    return f"{financial_year}/{(financial_year + 1) % 100:02d}"


class BidMoveForm(Versioned):
    reason = TextAreaField(
        "Reason",
        filters=[strip],
        validators=[_max("The reason")],
        widget=GovCharacterCount(),
    )


class AmountsForm(Versioned):
    """Amounts in pounds keyed by a name (a proposal year, or a financial year), added when the
    form is built for its object, each with its own label."""

    def amounts(self) -> dict[str, int]:
        return {
            name[len("amount_") :]: getattr(field, "pence", 0) if field.data else 0
            for name, field in self._fields.items()
            if name.startswith("amount_")
        }


def amounts_form(base: type[AmountsForm], labelled: Sequence[tuple[str, str]], optional: bool):  # type: ignore[no-untyped-def]
    """A form class with one money field per (key, label)."""

    class Built(base):  # type: ignore[valid-type,misc]
        pass

    for key, label in labelled:
        validators = [Optional(), Pounds(minimum_pence=0)] if optional else [
            required(f"Enter the amount for {label}"), Pounds(minimum_pence=0)]  # fmt: skip
        setattr(
            Built, f"amount_{key}", StringField(label, validators=validators, widget=GovTextInput())
        )
    return Built


class OutcomeForm(AmountsForm):
    pass


class PartnerAwardForm(AmountsForm):
    title = StringField(
        "Title of the partner award",
        filters=[strip],
        validators=[
            required("Enter a title for the partner award"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )


def outcome_form(labelled: Sequence[tuple[str, str]]) -> OutcomeForm:
    return amounts_form(OutcomeForm, labelled, optional=False)()


def partner_award_form(years: Sequence[int]) -> PartnerAwardForm:
    labelled = [(str(year), f"Amount in {_year(year)}, in pounds") for year in years]
    return amounts_form(PartnerAwardForm, labelled, optional=True)()


class FunderVariationForm(FlaskForm):
    proposal = SelectField(
        "Proposal", validators=[required("Select the proposal")], widget=GovSelect()
    )
    year = SelectField(
        "Financial year", validators=[required("Select the financial year")], widget=GovSelect()
    )
    cap = StringField(
        "New cap for the year, in pounds",
        validators=[required("Enter the new cap"), Pounds(minimum_pence=0)],
        widget=GovTextInput(),
    )
    reason = TextAreaField(
        "What the funder changed and why",
        filters=[strip],
        validators=[required("Enter what the funder changed and why"), _max("The reason")],
        widget=GovCharacterCount(),
    )

    def offer(self, proposals: Sequence[tuple[str, str]], years: Sequence[int]) -> None:
        self.proposal.choices = [
            SelectChoice("", "Choose a proposal"),
            *(SelectChoice(value, label) for value, label in proposals),
        ]
        self.year.choices = [
            SelectChoice("", "Choose a year"),
            *(SelectChoice(str(y), _year(y)) for y in years),
        ]


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice("approve", "Approve the reductions"),
            SelectChoice("reject", "Reject them"),
        ],
        validators=[InputRequired(message="Choose whether to approve or reject the reductions")],
        widget=GovRadioInput(),
    )
    reason = TextAreaField(
        "Reasons",
        filters=[strip],
        validators=[required("Enter the reasons for the decision"), _max("The reasons")],
        widget=GovCharacterCount(),
    )


class DraftReturnForm(FlaskForm):
    financial_year = SelectField(
        "Financial year", validators=[required("Select the financial year")], widget=GovSelect()
    )
    quarter = RadioField(
        "Quarter",
        choices=[
            SelectChoice("1", "April to June"),
            SelectChoice("2", "July to September"),
            SelectChoice("3", "October to December"),
            SelectChoice("4", "January to March"),
        ],
        validators=[InputRequired(message="Choose the quarter")],
        widget=GovRadioInput(),
    )

    def offer(self, years: Sequence[int]) -> None:
        self.financial_year.choices = [SelectChoice(str(y), _year(y)) for y in years]


class ReturnEditForm(Versioned):
    narrative = TextAreaField(
        "Narrative for the funder",
        filters=[strip],
        validators=[_max("The narrative", NARRATIVE_MAX)],
        widget=GovCharacterCount(),
    )
    risks = TextAreaField(
        "Risks and issues",
        filters=[strip],
        validators=[_max("The risks", NARRATIVE_MAX)],
        widget=GovCharacterCount(),
    )


class ReturnMoveForm(Versioned):
    reason = TextAreaField(
        "Reason",
        filters=[strip],
        validators=[_max("The reason")],
        widget=GovCharacterCount(),
    )
    funder_reference = StringField(
        "The funder's reference (optional)",
        filters=[strip],
        validators=[Optional(), _max("The reference", 100)],
        widget=GovTextInput(),
    )
