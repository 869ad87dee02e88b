"""Award history from the ledger: per award, organisation and programme, an 'as at' view of what
was committed and paid on any date, and the award dossier for the audit panel."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("history", __name__, url_prefix="/finance")
