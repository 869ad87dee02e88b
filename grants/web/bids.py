"""Bids to outside funders (Safer Streets): proposals and interventions, outcome, funder
variations, partner awards issued from interventions, and the roll-up return to the funder."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bids", __name__, url_prefix="/staff/bids")
