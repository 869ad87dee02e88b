"""Forms of the finance pages: the ledger's filters (a GET form) and starting a large export
(a POST form, so only a deliberate press of the button starts the work)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm

from forms.queue import FilterChoice


class LedgerFilterForm(FlaskForm):
    """Read from the query string; leaving either empty shows every programme or year."""

    class Meta:
        csrf = False  # a GET form changes nothing

    programme = FilterChoice("Programme", "a programme", "All programmes", default="")
    year = FilterChoice("Financial year", "a financial year", "All years", default="")

    def offer(
        self, programmes: Sequence[tuple[str, str]], years: Sequence[tuple[str, str]]
    ) -> None:
        self.programme.offer(programmes)
        self.year.offer(years)

    def programme_id(self) -> int | None:
        return int(self.programme.data) if self.programme.data else None

    def financial_year(self) -> int | None:
        return int(self.year.data) if self.year.data else None


class StartExportForm(FlaskForm):
    """Only the CSRF token: which export and format are in the URL."""
