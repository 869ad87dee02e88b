"""Field helpers shared by every journey's forms."""

from __future__ import annotations

import re

from wtforms import ValidationError
from wtforms.validators import Email, InputRequired, Length

EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


def required(message: str) -> InputRequired:
    return InputRequired(message=message)


def email_validators(missing: str = "Enter your email address") -> list:
    return [
        InputRequired(message=missing),
        Length(max=254, message="Email address must be 254 characters or fewer"),
        Email(message=EMAIL_MESSAGE, check_deliverability=False),
    ]


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class Pattern:
    """A regular-expression check that allows an empty value (use ``required`` to forbid it)."""

    def __init__(self, pattern: str, message: str) -> None:
        self.regex = re.compile(pattern)
        self.message = message

    def __call__(self, form, field) -> None:  # type: ignore[no-untyped-def]
        if field.data and not self.regex.fullmatch(field.data):
            raise ValidationError(self.message)
