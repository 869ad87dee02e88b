"""Community Safety Partnership funding: allocations per CSP and financial year, plans and
releases, underspend warnings and decisions, and a page per CSP for the Police and Crime Panel."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("csp", __name__, url_prefix="/staff/csp")
