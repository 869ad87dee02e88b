"""Money typed by people, turned into whole pence without floats."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from wtforms import Field, ValidationError

from grants.filters import pounds

POUNDS = re.compile(r"£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")


def parse_pounds(text: str) -> int:
    """'£1,234.5' -> 123450. Raises ValueError with a message fit for the user."""
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        raise ValueError("Enter an amount in pounds, like 1250 or 1,250.50")
    if not POUNDS.fullmatch(cleaned):
        raise ValueError("Enter an amount in pounds and pence, like 1250 or 1,250.50")
    try:
        pounds = Decimal(cleaned.lstrip("£").replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError("Enter an amount in pounds and pence, like 1250 or 1,250.50") from exc
    return int(pounds * 100)


class Pounds:
    """A validator that checks the field parses as money and stores pence on ``field.pence``."""

    def __init__(self, minimum_pence: int = 1, maximum_pence: int = 10_000_000_00) -> None:
        self.minimum = minimum_pence
        self.maximum = maximum_pence

    def __call__(self, form, field: Field) -> None:  # type: ignore[no-untyped-def]
        try:
            pence = parse_pounds(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from error
        if not self.minimum <= pence <= self.maximum:
            low, high = pounds(self.minimum), pounds(self.maximum)
            raise ValidationError(f"Enter an amount between {low} and {high}")
        field.pence = pence  # type: ignore[attr-defined]
