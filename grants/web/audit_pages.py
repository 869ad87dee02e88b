"""Audit pages: finance runs verify and reconcile from the web as background tasks, sees the latest
signed checkpoint, and downloads the auditor's export."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit_pages", __name__, url_prefix="/finance/audit")
