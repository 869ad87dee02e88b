"""Staff forms for the office's bids: writing the bid (its details, proposals and
interventions), the funder's outcome, partner awards issued from an intervention, funder
variations and their decision, and the roll-up return to the funder with its claims."""

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

from forms.apply import WholeNumber
from forms.award_management import Versioned
from forms.common import required, strip
from forms.money import Pounds

TEXT_MAX = 2000
NARRATIVE_MAX = 10_000


def _max(what: str, limit: int = TEXT_MAX) -> Length:
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


def pounds_input(pence: int) -> str:
    """Whole pence as the pounds a money box shows, exactly (no floats): 1050 -> '10.50'."""
    return f"{pence // 100}.{pence % 100:02d}"


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


# Writing the bid -------------------------------------------------------------------------------

NEW_PROGRAMME = "new"
QUARTERS = (
    SelectChoice("1", "April to June"),
    SelectChoice("2", "July to September"),
    SelectChoice("3", "October to December"),
    SelectChoice("4", "January to March"),
)
# Output rows shown on the intervention's page: at least this many, and always one spare.
OUTPUT_ROWS = 3


class BidDetailsForm(Versioned):
    """The bid's details, on a new bid (no version yet: it is "0") or a draft."""

    funder_name = StringField(
        "Funder",
        description="The organisation the bid goes to, for example the Home Office",
        filters=[strip],
        validators=[
            required("Enter the name of the funder"),
            Length(max=200, message="The funder's name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    title = StringField(
        "Name of the bid",
        filters=[strip],
        validators=[
            required("Enter the name of the bid"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    first_year = SelectField(
        "First financial year", validators=[required("Select the first financial year")],
        widget=GovSelect(),
    )  # fmt: skip
    last_year = SelectField(
        "Last financial year", validators=[required("Select the last financial year")],
        widget=GovSelect(),
    )  # fmt: skip

    def offer_years(self, years: Sequence[int]) -> None:
        for field in (self.first_year, self.last_year):
            field.choices = [
                SelectChoice("", "Choose a year"),
                *(SelectChoice(str(y), _year(y)) for y in years),
            ]


class NewBidForm(BidDetailsForm):
    programme = SelectField(
        "Programme",
        description="The programme of outside funding the bid belongs to",
        validators=[required("Choose the programme")],
        widget=GovSelect(),
    )

    def offer_programmes(self, programmes: Sequence[tuple[int, str]]) -> None:
        self.programme.choices = [
            SelectChoice(NEW_PROGRAMME, "A new programme named after the bid"),
            *(SelectChoice(str(pid), name) for pid, name in programmes),
        ]

    def programme_id(self) -> int | None:
        value = self.programme.data
        return None if value == NEW_PROGRAMME else int(value)


class ProposalForm(Versioned):
    title = StringField(
        "Title of the proposal",
        filters=[strip],
        validators=[
            required("Enter the proposal's title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    summary = TextAreaField(
        "Summary (optional)",
        filters=[strip],
        validators=[_max("The summary")],
        widget=GovCharacterCount(),
    )


class RemoveForm(Versioned):
    """A button that removes a part of the draft bid: only the version the page showed."""


class InterventionForm(Versioned):
    """An intervention: fields for each financial year's budget and each output row are added
    when the form is built for its bid (``intervention_form``)."""

    title = StringField(
        "Title of the intervention",
        filters=[strip],
        validators=[
            required("Enter the intervention's title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    partner = SelectField(
        "Delivery partner", validators=[required("Choose the delivery partner")],
        widget=GovSelect(),
    )  # fmt: skip
    first_quarter = RadioField(
        "When delivery starts in its first year",
        choices=QUARTERS,
        default="1",
        validators=[InputRequired(message="Choose the quarter delivery starts in")],
        widget=GovRadioInput(),
    )
    match_funding = StringField(
        "Match funding, in pounds (optional)",
        validators=[Optional(), Pounds(minimum_pence=0)],
        widget=GovTextInput(),
    )
    match_source = StringField(
        "Where the match funding comes from",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message="The source must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )

    def offer_partners(self, partners: Sequence[tuple[int, str]]) -> None:
        self.partner.choices = [
            SelectChoice("", "Choose an organisation"),
            *(SelectChoice(str(pid), name) for pid, name in partners),
        ]

    def partner_id(self) -> int | None:
        try:
            return int(self.partner.data)
        except (TypeError, ValueError):
            return None

    def budgets(self) -> dict[int, int]:
        return {
            int(name[len("budget_") :]): getattr(field, "pence", 0) if field.data else 0
            for name, field in self._fields.items()
            if name.startswith("budget_")
        }

    def budget_fields(self) -> list:  # type: ignore[type-arg]
        return [field for name, field in self._fields.items() if name.startswith("budget_")]

    def output_rows(self) -> list[tuple]:  # type: ignore[type-arg]
        """(description field, target field) for each row, in order."""
        rows = []
        number = 1
        while f"output_{number}_description" in self._fields:
            rows.append((self[f"output_{number}_description"], self[f"output_{number}_target"]))
            number += 1
        return rows

    def outputs(self) -> list[tuple[str, int]]:
        return [
            (description.data or "", int(target.data) if target.data else 0)
            for description, target in self.output_rows()
        ]

    def match_funding_pence(self) -> int:
        return getattr(self.match_funding, "pence", 0) if self.match_funding.data else 0


def intervention_form(years: Sequence[int], rows: int, **kwargs) -> InterventionForm:  # type: ignore[no-untyped-def]
    """The intervention's form for a bid covering ``years``, with ``rows`` output rows."""

    class Built(InterventionForm):
        pass

    for year in years:
        setattr(
            Built,
            f"budget_{year}",
            StringField(
                f"Budget in {_year(year)}, in pounds",
                validators=[Optional(), Pounds(minimum_pence=0)],
                widget=GovTextInput(),
            ),
        )
    for number in range(1, rows + 1):
        setattr(
            Built,
            f"output_{number}_description",
            StringField(
                f"Output {number}",
                filters=[strip],
                validators=[
                    Optional(),
                    Length(max=300, message="The output must be 300 characters or fewer"),
                ],
                widget=GovTextInput(),
            ),
        )
        setattr(
            Built,
            f"output_{number}_target",
            StringField(
                f"Target for output {number}",
                validators=[WholeNumber(f"The target for output {number}", 10_000_000)],
                widget=GovTextInput(),
            ),
        )
    form = Built(**kwargs)
    # The error summary lists errors in the page's order: budgets come before when delivery
    # starts and the match funding, the outputs last.
    first = ["csrf_token", "version", "title", "partner"]
    budgets = [f"budget_{year}" for year in years]
    middle = ["first_quarter", "match_funding", "match_source"]
    order = [name for name in (*first, *budgets, *middle) if name in form._fields]
    rest = [name for name in form._fields if name not in order]
    form._fields = {name: form._fields[name] for name in (*order, *rest)}  # type: ignore[assignment]
    return form


class ClaimsForm(Versioned):
    """What the draft return claims for each intervention: fields added per line."""

    def claims(self) -> dict[int, int]:
        return {
            int(name[len("claim_") :]): field.pence  # type: ignore[attr-defined]
            for name, field in self._fields.items()
            if name.startswith("claim_")
        }


def claims_form(lines: Sequence[tuple[int, str]], **kwargs) -> ClaimsForm:  # type: ignore[no-untyped-def]
    """One money field per (intervention id, intervention title)."""

    class Built(ClaimsForm):
        pass

    for intervention_id, title in lines:
        setattr(
            Built,
            f"claim_{intervention_id}",
            StringField(
                f"Claim for {title}, in pounds",
                validators=[
                    required(f"Enter the claim for {title}, or 0"),
                    Pounds(minimum_pence=0),
                ],
                widget=GovTextInput(),
            ),
        )
    return Built(**kwargs)
