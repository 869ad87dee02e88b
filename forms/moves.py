"""The form behind a workflow button: the version the page showed, and any inputs it needs."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovTextInput
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from forms.money import Pounds


class MoveForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(
        "Reason",
        validators=[
            Optional(),
            Length(max=2000, message="Reason must be 2000 characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )
    amount = StringField(
        "Amount approved", validators=[Optional(), Pounds()], widget=GovTextInput()
    )
    # A decision is published on the public register unless an exemption applies.
    exemption = StringField(
        "Withhold from the public register (optional)",
        description="Only if an exemption applies: name it, for example "
        "'Section 38 of the Freedom of Information Act: health and safety'",
        validators=[
            Optional(),
            Length(max=300, message="The exemption must be 300 characters or fewer"),
        ],
        widget=GovTextInput(),
    )

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
