"""Accepting an offer with a signatory's declaration, and declining it with a reason."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.common import strip
from forms.respond import one_character_line_breaks

NAME_MAX = 200
ROLE_MAX = 120
REASON_MAX = 2_000


class _VersionedForm(FlaskForm):
    def expected_version(self) -> int:
        """The version of the award the page showed; anything unreadable is a version no award
        has (they start at 1), so the move is refused as out of date."""
        try:
            return int(self.version.data)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return 0


class AcceptForm(_VersionedForm):
    signatory = StringField(
        "Full name",
        validators=[
            DataRequired(message="Enter the full name of the person accepting the offer"),
            Length(max=NAME_MAX, message=f"Full name must be {NAME_MAX} characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    role = StringField(
        "Role in the organisation",
        description="For example, Chair, Treasurer or Secretary",
        validators=[
            DataRequired(message="Enter their role in the organisation"),
            Length(max=ROLE_MAX, message=f"Role must be {ROLE_MAX} characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    declaration = BooleanField(
        "Declaration",
        validators=[
            DataRequired(
                message="Confirm you are authorised to accept this grant and that your "
                "organisation agrees to the terms and conditions"
            )
        ],
        widget=GovCheckboxInput(),
    )
    # Declared after the visible fields: a form-wide error links to the first field.
    version = HiddenField()
    submit = SubmitField("Accept the offer", widget=GovSubmitInput())

    def __init__(self, *args: Any, declaration_text: str, **kwargs: Any) -> None:
        """``declaration_text``: the words the signatory confirms, naming the organisation."""
        super().__init__(*args, **kwargs)
        self.declaration.label.text = declaration_text


class DeclineForm(_VersionedForm):
    reason = TextAreaField(
        "Why are you declining the offer?",
        validators=[
            DataRequired(message="Enter why you are declining the offer"),
            Length(
                max=REASON_MAX, message=f"Your reason must be {REASON_MAX:,} characters or fewer"
            ),
        ],
        filters=[one_character_line_breaks],
        widget=GovCharacterCount(),
    )
    version = HiddenField()
    submit = SubmitField("Decline the offer", widget=GovSubmitInput())
