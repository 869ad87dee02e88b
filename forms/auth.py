"""Sign-in, registration and account set-up forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.validators import Length, Optional

from forms.common import Pattern, email_validators, required, strip
from grants.models import OrganisationType
from grants.security.passwords import MIN_PASSWORD_LENGTH

PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words work well."

CHARITY_TYPES = {OrganisationType.REGISTERED_CHARITY, OrganisationType.CIO}
COMPANY_TYPES = {OrganisationType.COMPANY_LIMITED_BY_GUARANTEE, OrganisationType.CIC}


def _password_strength(form, field) -> None:  # type: ignore[no-untyped-def]
    if field.data and len(field.data) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be {MIN_PASSWORD_LENGTH} characters or more")
    if field.data and len(field.data) > 200:
        raise ValidationError("Password must be 200 characters or fewer")


class EmailLinkForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=email_validators(),
        filters=[strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Email me a sign-in link", widget=GovSubmitInput())


class ClaimLinkForm(FlaskForm):
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class PasswordSignInForm(FlaskForm):
    email = StringField(
        "Email address", validators=email_validators(), filters=[strip], widget=GovTextInput()
    )
    password = PasswordField(
        "Password",
        validators=[
            required("Enter your password"),
            Length(max=200, message="Password is too long"),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _code_field() -> StringField:
    return StringField(
        "Security code",
        description="The 6-digit code shown in your authenticator app",
        validators=[
            required("Enter the 6-digit code from your authenticator app"),
            Pattern(r"\d{6}", "The code must be 6 digits, like 123456"),
        ],
        filters=[lambda v: v.replace(" ", "").strip() if isinstance(v, str) else v],
        widget=GovTextInput(),
    )


def _full_name_field() -> StringField:
    return StringField(
        "Full name",
        validators=[
            required("Enter your full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )


class CodeForm(FlaskForm):
    code = _code_field()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RegisterForm(FlaskForm):
    full_name = _full_name_field()
    email = StringField(
        "Email address",
        description="We'll send a link to this address to confirm it and sign you in",
        validators=email_validators(),
        filters=[strip],
        widget=GovTextInput(),
    )
    organisation_name = StringField(
        "Organisation name",
        validators=[
            required("Enter the name of your organisation"),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    org_type = RadioField(
        "What type of organisation is it?",
        choices=[SelectChoice(t.value, t.label) for t in OrganisationType],
        validators=[required("Select the type of organisation")],
        widget=GovRadioInput(),
    )
    charity_number = StringField(
        "Registered charity number",
        description="Required for registered charities and CIOs, for example 1124127",
        validators=[Pattern(r"\d{6,8}", "Charity number must be 6 to 8 digits, like 1124127")],
        filters=[strip],
        widget=GovTextInput(),
    )
    company_number = StringField(
        "Company number",
        description="Required for companies and CICs, for example 06577534",
        validators=[
            Pattern(
                r"(?i)([0-9]{8}|[A-Z]{2}[0-9]{6})",
                "Company number must be 8 characters, like 06577534 or SC123456",
            ),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    password = PasswordField(
        "Password (optional)",
        description=f"Set one if you'd rather not sign in by email link. {PASSWORD_HINT}",
        validators=[Optional(), _password_strength],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def validate_charity_number(self, field) -> None:  # type: ignore[no-untyped-def]
        if self.selected_type() in CHARITY_TYPES and not field.data:
            raise ValidationError("Enter the registered charity number")

    def validate_company_number(self, field) -> None:  # type: ignore[no-untyped-def]
        if self.selected_type() in COMPANY_TYPES and not field.data:
            raise ValidationError("Enter the company number")

    def selected_type(self) -> OrganisationType | None:
        try:
            return OrganisationType(self.org_type.data)
        except ValueError:
            return None


class AccountSetupForm(FlaskForm):
    password = PasswordField(
        "Choose a password",
        description=PASSWORD_HINT,
        validators=[required("Enter a password"), _password_strength],
        widget=GovPasswordInput(),
    )
    code = _code_field()
    submit = SubmitField("Finish setting up", widget=GovSubmitInput())


class AcceptInvitationForm(FlaskForm):
    full_name = _full_name_field()
    submit = SubmitField("Accept invitation", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[Length(max=200, message="Password is too long")],
        widget=GovPasswordInput(),
    )
    password = PasswordField(
        "New password",
        description=PASSWORD_HINT,
        validators=[required("Enter a new password"), _password_strength],
        widget=GovPasswordInput(),
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[required("Confirm your new password")],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())

    def validate_confirm(self, field) -> None:  # type: ignore[no-untyped-def]
        if field.data and field.data != self.password.data:
            raise ValidationError("The passwords do not match")
