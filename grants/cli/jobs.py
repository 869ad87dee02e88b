"""``flask jobs dispatch`` resends undelivered jobs; ``flask worker`` runs an RQ worker."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from grants.jobs.outbox import QUEUE, dispatch_pending


@click.group()
def jobs() -> None:
    """Background jobs: the outbox and the periodic sweeps."""


@jobs.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Hand undelivered jobs to the queue (or run them here without Redis)."""
    click.echo(f"Dispatched {dispatch_pending()} jobs.")


@jobs.command("sweep")
@with_appcontext
def sweep() -> None:
    """Open returns that are due, lapse expired offers and drafts of closed rounds, and remove
    stored documents that no row points at."""
    from grants.jobs.sweeps import run_sweeps, sweep_orphans

    report = run_sweeps()
    click.echo(report.summary())
    for refusal in report.refused:
        click.echo(f"  refused: {refusal}")
    from grants.jobs.reminders import queue_return_reminders

    reminders = queue_return_reminders()
    click.echo(f"{len(reminders)} return reminders queued; dispatched {dispatch_pending()} jobs")
    orphans = sweep_orphans()
    click.echo(f"{len(orphans)} orphaned documents removed from the store")
    for key in orphans:
        click.echo(f"  removed: {key}")


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker, with its scheduler for retries, inside this app's context."""
    from redis import Redis
    from rq import Queue, Worker

    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run in the web process"
        )
    connection = Redis.from_url(redis_url)
    Worker([Queue(QUEUE, connection=connection)], connection=connection).work(
        with_scheduler=True, burst=burst
    )


PERIODIC_SECONDS = 15 * 60


def periodic_scheduler(connection):  # type: ignore[no-untyped-def]
    """RQ's cron scheduler with the periodic job registered (every 15 minutes)."""
    from rq.cron import CronScheduler

    from grants.jobs.worker import run_periodic

    scheduler = CronScheduler(connection=connection, name="grants-periodic")
    scheduler.register(run_periodic, QUEUE, interval=PERIODIC_SECONDS, name="periodic")
    return scheduler


@click.command()
@with_appcontext
def scheduler() -> None:
    """Enqueue the periodic job every 15 minutes for the workers (run one of these)."""
    from redis import Redis

    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.ClickException("REDIS_URL is not set: run `flask jobs sweep` from cron instead")
    periodic_scheduler(Redis.from_url(redis_url)).start()
