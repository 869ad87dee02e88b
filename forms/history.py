"""Forms of the award history pages: the "as at" date (a GET form, so each date has its own URL)
and starting an award's dossier."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import ValidationError

from forms.apply import GovukDateField


class AsAtDateField(GovukDateField):
    """GOV.UK day, month and year boxes; a link may also give the date as one ISO value
    (``?as_at=2026-03-31``), which is read the same way."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 1:
            super().process_formdata(valuelist)
            return
        # The widget redraws from the date itself, not from the one raw value.
        self.raw_data = None
        raw = valuelist[0].strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = dt.date.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from None
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, with a 4-digit year")


def _required(form: FlaskForm, field: AsAtDateField) -> None:
    if field.data is None and not field.errors:
        raise ValidationError("Enter the date to show the figures as at")


class _GetForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form changes nothing


class AsAtFilterForm(_GetForm):
    """On the programme history page: leaving it empty shows the whole history."""

    as_at = AsAtDateField("As at", description="For example, 31 3 2026")


class AsAtForm(_GetForm):
    """The "as at" summary page: the date is needed."""

    date = AsAtDateField("As at", description="For example, 31 3 2026")

    def validate_date(self, field: AsAtDateField) -> None:
        _required(self, field)


class DossierForm(FlaskForm):
    """Starting the dossier: a POST with nothing but its CSRF token."""
