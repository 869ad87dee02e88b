"""Template filters: money and dates are formatted only at the edge."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")


def pounds(pence: int | None, whole: bool = False) -> str:
    """12345 -> '£123.45'; with whole=True and no pence, '£123'."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds_part, pence_part = divmod(abs(pence), 100)
    if whole and pence_part == 0:
        return f"{sign}£{pounds_part:,}"
    return f"{sign}£{pounds_part:,}.{pence_part:02d}"


def financial_year(start_year: int) -> str:
    """2025 -> '2025/26'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def london_datetime(value: dt.datetime | None) -> str:
    """'6 January 2025 at 5:00pm' in Europe/London."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0") or "12"
    minute = local.strftime("%M")
    suffix = local.strftime("%p").lower()
    time = f"{hour}{suffix}" if minute == "00" else f"{hour}:{minute}{suffix}"
    if time == "12am":
        time = "midnight"
    elif time == "12pm":
        time = "midday"
    return f"{local.day} {local.strftime('%B %Y')} at {time}"


def london_date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value.strftime('%B %Y')}"


def iso_date(value: str | None) -> str:
    """A stored answer like '2026-04-01' as '1 April 2026'; anything else as it is."""
    if not value:
        return ""
    try:
        return london_date(dt.date.fromisoformat(value))
    except ValueError:
        return value


def coded_labels(value: str | None, labels: dict[str, str]) -> str:
    """A stored list of codes like 'asb,knife-crime' as their names, in the order given."""
    codes = [code for code in (value or "").split(",") if code]
    return ", ".join(labels.get(code, code) for code in codes)


def register(app: Flask) -> None:
    app.add_template_filter(pounds)
    app.add_template_filter(iso_date)
    app.add_template_filter(coded_labels)
    app.add_template_filter(financial_year)
    app.add_template_filter(london_datetime)
    app.add_template_filter(london_date)
    app.add_template_global(form_error_list)


def form_error_list(form) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Error-summary entries for a form: each field's first error linked to the field, and
    form-wide errors (from services) linked to the first field."""
    fields = [
        field
        for field in form
        if field.type not in ("CSRFTokenField", "SubmitField", "HiddenField")
    ]
    # A form may say where its form-wide errors should take the reader (the field the page
    # shows for that move, say); otherwise they go to its first field.
    first_id = getattr(form, "error_anchor", None) or (
        _anchor(fields[0]) if fields else "#main-content"
    )
    items = [{"text": message, "href": first_id} for message in form.form_errors]
    for field in fields:
        if field.errors:
            items.append({"text": field.errors[0], "href": _anchor(field)})
    return items


def _anchor(field) -> str:  # type: ignore[no-untyped-def]
    # A date's error goes to its first box (GOV.UK's date input pattern); radios and
    # checkboxes use the field's id for their first item.
    if field.type.endswith("DateField"):
        return f"#{field.name}-day"
    return f"#{field.id}"
