"""The public decisions register: published decisions with search, paging, a JSON feed and the
360Giving file; withheld decisions with their exemption only."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("register", __name__, url_prefix="/decisions")
