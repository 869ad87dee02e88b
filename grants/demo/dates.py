"""Wall-clock times in Leicester and financial-year labels for the demo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Europe/London wall-clock time as aware UTC; zoneinfo decides between GMT and BST."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.UTC)


def london_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def financial_year_label(start_year: int) -> str:
    """2025 gives 2025/26."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"
