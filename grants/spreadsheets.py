"""Text that goes into a CSV or spreadsheet cell, made safe to open.

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR as a formula
(CSV injection), so such text gets a leading quote and stays text. Every export, download and
published file uses this one rule.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def safe_text(text: str) -> str:
    # The first character looked up in a set: this runs for every text cell of every row.
    return "'" + text if text[:1] in _FORMULA_FIRST else text
