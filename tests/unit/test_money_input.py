"""Money typed by people becomes whole pence, or a clear message."""

import pytest

from forms.money import parse_pounds


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("1250", 125000), ("£1,250.50", 125050), ("1,250.5", 125050), ("0.01", 1),
     (" £ 39,305.40 ", 3930540), ("960591.34", 96059134)],
)  # fmt: skip
def test_parse_pounds(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize("typed", ["", "abc", "12.345", "1,25", "-5", "1e3", "£", "12..5"])
def test_bad_amounts_are_refused_with_a_message(typed):
    with pytest.raises(ValueError, match="Enter an amount"):
        parse_pounds(typed)
