"""Finance pages: the financial-year ledger per programme, and exports of awards, payments, returns
and the ledger (CSV and XLSX, large ones as background tasks)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/finance")
