"""Wall-clock times in Leicester and financial-year labels for the demo."""

from __future__ import annotations

import datetime as dt

from grants.filters import LONDON
from grants.filters import financial_year as financial_year_label  # noqa: F401  (the demo's name)


def london(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Europe/London wall-clock time as aware UTC; zoneinfo decides between GMT and BST."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.UTC)


def london_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()
