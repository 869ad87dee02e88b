"""360Giving for finance: the data-quality checks and schema validation of the grants file, shown
before it is published."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("threesixty", __name__, url_prefix="/finance/360giving")
