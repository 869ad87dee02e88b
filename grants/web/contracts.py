"""Commissioned services: the contract register, KPI returns, reviews before the end, and
recommissioning through procurement."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/staff/contracts")
