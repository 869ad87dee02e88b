"""Administrator forms: staff accounts."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import Length

from forms.common import email_validators, required, strip
from grants.models import StaffRole


class NewStaffUserForm(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[
            required("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    email = StringField(
        "Email address",
        validators=email_validators("Enter their email address"),
        filters=[strip],
        widget=GovTextInput(),
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, role.label) for role in StaffRole],
        validators=[required("Select a role")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())

    def selected_role(self) -> StaffRole:
        return StaffRole(self.role.data)


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token, for buttons such as deactivate and sign out."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
