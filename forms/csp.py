"""Staff forms for CSP funding: the allocation method and its inputs, confirming the year's
allocations, inviting the partnerships to the plan round, a partnership's forecast of spend,
the programme's underspend threshold and the decision on a forecast underspend."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    Field,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, Length, Optional

from forms.award_management import Versioned
from forms.common import required, strip
from forms.money import Pounds, parse_pounds

TEXT_MAX = 2000
METHODS = (
    ("formula", "A formula: shares of population and recorded crime, with weights"),
    ("flat", "A flat amount per area"),
)
DECISIONS = (
    ("roll_over", "Roll over to next year"),
    ("reallocate", "Reallocate to other partnerships or priorities"),
    ("claw_back", "Claw back from the partnership"),
)
MOST_PEOPLE = 100_000_000


class MethodForm(FlaskForm):
    """The method, its shared inputs, and each partnership's population and recorded crime
    (fields added per partnership by ``method_form``). Only the chosen method's fields are
    checked."""

    method = RadioField(
        "How are the allocations worked out?",
        choices=[SelectChoice(value, label) for value, label in METHODS],
        validate_choice=False,
        validators=[
            required("Select how the allocations are worked out"),
            AnyOf([v for v, _ in METHODS], message="Select how the allocations are worked out"),
        ],
        widget=GovRadioInput(),
    )
    flat_amount = StringField(
        "Amount for each area, in pounds",
        description="For a flat amount per area, for example 35,000",
        widget=GovTextInput(),
    )
    pot = StringField(
        "Amount to share between the areas, in pounds",
        description="For a formula, usually the programme's budget for the year",
        widget=GovTextInput(),
    )
    population_weight = StringField(
        "Weight given to population, in per cent",
        description="For a formula. The two weights add up to 100",
        widget=GovTextInput(),
    )
    crime_weight = StringField("Weight given to recorded crime, in per cent", widget=GovTextInput())
    submit = SubmitField("Work out the allocations", widget=GovSubmitInput())

    # Set per form by ``method_form``: the partnerships whose inputs it asks for.
    organisation_ids: Sequence[int] = ()
    names: dict[int, str] = {}

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if self.method.data == "flat":
            ok = self._money(self.flat_amount, "the amount for each area") and ok
        elif self.method.data == "formula":
            ok = self._money(self.pot, "the amount to share between the areas") and ok
            weights_ok = self._number(self.population_weight, "the weight for population", 100)
            weights_ok = self._number(self.crime_weight, "the weight for recorded crime", 100) and (
                weights_ok
            )
            if weights_ok and self.population_weight.number + self.crime_weight.number != 100:  # type: ignore[attr-defined]
                self.population_weight.errors.append("The two weights must add up to 100")
                weights_ok = False
            ok = weights_ok and ok
            for organisation_id in self.organisation_ids:
                name = self.names.get(organisation_id, "the area")
                population = self.population_field(organisation_id)
                crime = self.crime_field(organisation_id)
                ok = self._number(population, f"the population of {name}", MOST_PEOPLE) and ok
                ok = self._number(crime, f"the recorded crime in {name}", MOST_PEOPLE) and ok
        return ok

    @staticmethod
    def _money(field: Field, what: str) -> bool:
        try:
            pence = parse_pounds(field.data or "")
        except ValueError:
            field.errors.append(f"Enter {what} in pounds, like 35,000")
            return False
        if pence <= 0:
            field.errors.append(f"Enter {what}: more than £0")
            return False
        field.pence = pence  # type: ignore[attr-defined]
        return True

    @staticmethod
    def _number(field: Field, what: str, maximum: int) -> bool:
        text = (field.data or "").replace(",", "").strip()
        if not text:
            field.errors.append(f"Enter {what}")
        elif not (text.isascii() and text.isdigit()):
            field.errors.append(f"Enter {what} as a whole number, like 12500")
        elif int(text) > maximum:
            field.errors.append(f"Enter {what} of {maximum:,} or less")
        else:
            field.number = int(text)  # type: ignore[attr-defined]
            return True
        return False

    def population_field(self, organisation_id: int) -> Field:
        return self[f"population_{organisation_id}"]

    def crime_field(self, organisation_id: int) -> Field:
        return self[f"crime_{organisation_id}"]

    def inputs(self) -> dict[int, tuple[int, int]]:
        return {
            key: (self.population_field(key).number, self.crime_field(key).number)  # type: ignore[attr-defined]
            for key in self.organisation_ids
        }


def method_form(partnerships: Sequence[tuple[int, str]], **kwargs: object) -> MethodForm:
    """The method form with a population and a recorded crime field for each partnership."""

    class Form(MethodForm):
        pass

    for organisation_id, name in partnerships:
        setattr(
            Form,
            f"population_{organisation_id}",
            StringField(f"Population of {name}", widget=GovTextInput()),
        )
        setattr(
            Form,
            f"crime_{organisation_id}",
            StringField(f"Recorded crime in {name}", widget=GovTextInput()),
        )
    Form.organisation_ids = tuple(organisation_id for organisation_id, _ in partnerships)
    Form.names = dict(partnerships)
    return Form(**kwargs)  # type: ignore[arg-type]


class ConfirmForm(FlaskForm):
    # Refusals (over the budget) take the reader to the confirm section.
    error_anchor = "#confirm"
    submit = SubmitField("Confirm the allocations", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    # Refusals (nobody to invite, the round closed) take the reader to the invite button.
    error_anchor = "#invite"
    submit = SubmitField(
        "Invite the partnerships with a confirmed allocation", widget=GovSubmitInput()
    )


class ThresholdForm(FlaskForm):
    threshold = StringField(
        "Underspend threshold, in pounds",
        description="A partnership forecast to leave more than this unspent in a financial "
        "year is flagged for a decision. Whole pounds, for example 15,000",
        widget=GovTextInput(),
    )
    submit = SubmitField("Save the threshold", widget=GovSubmitInput())

    def validate_threshold(self, field: Field) -> None:
        # Whole pounds and at least £0 are the service's rules; this only reads the number.
        try:
            field.pence = parse_pounds(field.data or "")  # type: ignore[attr-defined]
        except ValueError:
            raise ValidationError("Enter the threshold in whole pounds, like 15,000") from None


class ForecastForm(FlaskForm):
    rest_of_year = StringField(
        "Forecast spend for the rest of the year, in pounds",
        description="What the partnership expects to spend after this return's period to "
        "31 March. Enter 0 if it expects to spend nothing more",
        validators=[Pounds(minimum_pence=0)],
        widget=GovTextInput(),
    )
    note = TextAreaField(
        "Note (optional)",
        description="For example, which actions the forecast assumes",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=TEXT_MAX, message=f"The note must be {TEXT_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Save the forecast", widget=GovSubmitInput())

    def pence(self) -> int:
        return self.rest_of_year.pence  # type: ignore[attr-defined]


class DecisionForm(Versioned):
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice(value, label) for value, label in DECISIONS],
        validate_choice=False,
        validators=[
            required("Select roll over, reallocate or claw back"),
            AnyOf([v for v, _ in DECISIONS], message="Select roll over, reallocate or claw back"),
        ],
        widget=GovRadioInput(),
    )
    amount = StringField(
        "Amount, in pounds",
        description="No more than the forecast unspent",
        validators=[Pounds()],
        widget=GovTextInput(),
    )
    reason = TextAreaField(
        "Reason for the decision",
        filters=[strip],
        validators=[
            required("Enter the reason for the decision"),
            Length(max=TEXT_MAX, message=f"The reason must be {TEXT_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Record the decision", widget=GovSubmitInput())

    def pence(self) -> int:
        return self.amount.pence  # type: ignore[attr-defined]
