"""docs/workflows.md is generated from the lifecycle declarations and kept up to date."""

from pathlib import Path

from workflows.diagrams import document
from workflows.registry import LIFECYCLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"


def test_docs_workflows_md_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == document(), (
        "docs/workflows.md is out of date: run `flask --app grants:create_app workflows diagram`"
    )


def test_every_lifecycle_and_trigger_is_drawn():
    # Moves between the same two states share one arrow, labelled "a | b".
    edges: dict[str, set[str]] = {}
    for line in document().splitlines():
        if " --> " in line and ": " in line:
            edge, labels = line.strip().split(": ", 1)
            edges.setdefault(edge, set()).update(label.strip() for label in labels.split("|"))
    for lifecycle in LIFECYCLES:
        for transition in lifecycle.transitions:
            for source in transition.sources:
                edge = f"{source.value} --> {transition.destination(source).value}"
                assert transition.trigger in edges.get(edge, set()), (lifecycle.name, edge)


def test_cli_writes_the_file(app, tmp_path):
    target = tmp_path / "workflows.md"
    result = app.test_cli_runner().invoke(args=["workflows", "diagram", "--output", str(target)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == document()
