"""``flask demo load``: fill an empty database with the demo world."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from grants.demo import DemoAlreadyLoaded, load_demo
from grants.jobs.outbox import dispatch_pending


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@with_appcontext
def load() -> None:
    """Load the Leicester, Leicestershire and Rutland demo world into an empty database."""
    try:
        sign_ins = load_demo()
    except DemoAlreadyLoaded:
        click.echo("Demo data is already loaded; nothing changed.")
        return
    click.echo("Demo data loaded. Drawing up the grant agreements…")
    click.echo(f"  {dispatch_pending()} agreement jobs handed over.")
    click.echo("Demo sign-ins:")
    for line in sign_ins:
        click.echo(f"  {line}")
