"""Wall-clock times in Leicester, financial years and application references for the demo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Europe/London wall-clock time as aware UTC; zoneinfo decides between GMT and BST."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.UTC)


def london_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def financial_year_of(day: dt.date) -> int:
    """The start year of the financial year (1 April to 31 March) that holds this date."""
    return day.year if day.month >= 4 else day.year - 1


def reference(prefix: str, financial_year: int, sequence: int) -> str:
    """PF, 2025 and 42 give PF-2526-0042."""
    return f"{prefix}-{financial_year % 100:02d}{(financial_year + 1) % 100:02d}-{sequence:04d}"


def financial_year_label(start_year: int) -> str:
    """2025 gives 2025/26."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"
