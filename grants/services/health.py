"""Readiness checks for load balancers."""

from __future__ import annotations

from sqlalchemy import text

from grants.extensions import db


def database_reachable() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the detail is for operators
        db.session.rollback()
        return False, f"unreachable: {type(exc).__name__}"
    return True, "reachable"
