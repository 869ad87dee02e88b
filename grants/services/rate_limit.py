"""Sliding-window rate limits kept in the database, so every web process shares them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select

from grants.extensions import db
from grants.models import RateLimitHit, utcnow


def allow_attempt(key: str, limit: int, window: dt.timedelta) -> bool:
    """Record an attempt under ``key``; False when ``limit`` attempts already fall in ``window``.

    Runs on its own connection and commits at once, so a refused or failed action still counts.
    """
    now = utcnow()
    since = now - window
    with db.engine.begin() as connection:
        recent = connection.execute(
            select(func.count())
            .select_from(RateLimitHit)
            .where(RateLimitHit.key == key, RateLimitHit.at > since)
        ).scalar_one()
        if recent >= limit:
            return False
        connection.execute(insert(RateLimitHit).values(key=key, at=now))
    return True


def clear(key: str) -> None:
    """Forget attempts, e.g. failed passwords after a successful sign-in."""
    with db.engine.begin() as connection:
        connection.execute(delete(RateLimitHit).where(RateLimitHit.key == key))


def purge_older_than(age: dt.timedelta) -> int:
    with db.engine.begin() as connection:
        result = connection.execute(delete(RateLimitHit).where(RateLimitHit.at < utcnow() - age))
    return result.rowcount or 0
