"""Dates as the office lives them: days in Europe/London, financial years from April to March."""

from __future__ import annotations

import datetime as dt

from grants.filters import LONDON
from grants.models import utcnow


def london_today(now: dt.datetime | None = None) -> dt.date:
    """Today in Leicester (a UTC evening in summer is already tomorrow there)."""
    return (now or utcnow()).astimezone(LONDON).date()


def financial_year_of(day: dt.date) -> int:
    """The start year of the financial year (1 April to 31 March) that holds this date."""
    return day.year if day.month >= 4 else day.year - 1
