"""``flask maintenance purge``: remove expired sessions and old rate-limit records.

Safe to run at any time and from any host; a periodic job runs it once background jobs exist.
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from grants.services import rate_limit
from grants.sessions import purge_expired


@click.group()
def maintenance() -> None:
    """Housekeeping."""


@maintenance.command("purge")
@with_appcontext
def purge() -> None:
    sessions = purge_expired()
    hits = rate_limit.purge_older_than(dt.timedelta(days=1))
    click.echo(f"Removed {sessions} expired sessions and {hits} old rate-limit records.")
