"""``flask audit``: verify, reconcile, checkpoint and export the ledger."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from grants.audit.export import export_ledger
from grants.audit.reconcile import reconcile
from grants.audit.verify import take_checkpoint, verify_ledger


@click.group()
def audit() -> None:
    """The award ledger."""


@audit.command("verify")
@with_appcontext
def verify() -> None:
    """Check the hash chain, the head and every signed checkpoint."""
    report = verify_ledger()
    if report.ok:
        click.echo(
            f"OK: {report.events} events, head {report.head_seq} {report.head_hash}, "
            f"{report.checkpoints} checkpoints agree."
        )
        return
    click.echo(f"BROKEN: first bad event {report.first_bad_seq}")
    for problem in report.problems:
        click.echo(f"  {problem}")
    sys.exit(1)


@audit.command("reconcile")
@with_appcontext
def reconcile_command() -> None:
    """Replay the ledger against the current state of every object."""
    findings = reconcile()
    if not findings:
        click.echo("OK: every object agrees with its history.")
        return
    click.echo(f"{len(findings)} differences:")
    for finding in findings:
        click.echo(f"  {finding}")
    sys.exit(1)


@audit.command("checkpoint")
@with_appcontext
def checkpoint() -> None:
    """Sign the current head and write it to the checkpoint store."""
    written = take_checkpoint()
    if written is None:
        click.echo("The ledger is empty; nothing to sign.")
    else:
        click.echo(f"Checkpoint of event {written.seq} ({written.hash}) in {written.path}")


@audit.command("export")
@click.argument("folder")
@with_appcontext
def export(folder: str) -> None:
    """Write the auditor's export (JSONL, checkpoints, public key, verifier) to FOLDER."""
    counts = export_ledger(folder)
    click.echo(
        f"Exported {counts['events']} events and {counts['checkpoints']} checkpoints to {folder}. "
        f"Check them with: python3 {folder}/verify_chain.py {folder}/events.jsonl"
    )
