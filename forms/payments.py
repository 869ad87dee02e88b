"""Forms of the staff payment pages: approving or rejecting a claim or scheduled payment, and
finance recording a payment as made. Each carries the version of the payment the user saw."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovTextInput
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from forms.apply import GovukDateField
from forms.common import strip
from forms.monitoring import ProgrammeFilterForm, VersionedForm

REASON_MAX = 2000
REFERENCE_MAX = 60

__all__ = ["ApproveForm", "PaidForm", "ProgrammeFilterForm", "RejectForm"]


class ApproveForm(VersionedForm):
    pass


class RejectForm(VersionedForm):
    reason = TextAreaField(
        "Why is the claim rejected?",
        description="The organisation is told this reason",
        filters=[strip],
        validators=[
            DataRequired(message="Enter why the claim is rejected"),
            Length(
                max=REASON_MAX, message=f"The reason must be {REASON_MAX:,} characters or fewer"
            ),
        ],
        widget=GovCharacterCount(),
    )


DECISION_FORMS: dict[str, type[VersionedForm]] = {"approve": ApproveForm, "reject": RejectForm}


class PaidForm(VersionedForm):
    paid_on = GovukDateField("Date paid", description="For example, 27 3 2026")
    payment_reference = StringField(
        "Payment reference",
        description="The reference on the BACS run or remittance",
        filters=[strip],
        validators=[
            DataRequired(message="Enter the payment reference"),
            Length(
                max=REFERENCE_MAX,
                message=f"The payment reference must be {REFERENCE_MAX} characters or fewer",
            ),
        ],
        widget=GovTextInput(),
    )

    def validate_paid_on(self, field: GovukDateField) -> None:
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the payment was made")
