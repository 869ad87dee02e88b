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
    text = document()
    for lifecycle in LIFECYCLES:
        for transition in lifecycle.transitions:
            for source in transition.sources:
                assert f"{source.value} --> {transition.dest.value}: {transition.trigger}" in text


def test_cli_writes_the_file(app, tmp_path):
    target = tmp_path / "workflows.md"
    result = app.test_cli_runner().invoke(args=["workflows", "diagram", "--output", str(target)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == document()
