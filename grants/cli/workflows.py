"""``flask workflows diagram``: write docs/workflows.md from the lifecycle declarations."""

from __future__ import annotations

from pathlib import Path

import click

from workflows.diagrams import document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"


@click.group()
def workflows() -> None:
    """The lifecycles."""


@workflows.command("diagram")
@click.option("--output", type=click.Path(dir_okay=False), default=str(DOCS), show_default=True)
def diagram(output: str) -> None:
    """Write Mermaid diagrams and transition tables of every lifecycle."""
    Path(output).write_text(document(), encoding="utf-8")
    click.echo(f"Wrote {output}")
