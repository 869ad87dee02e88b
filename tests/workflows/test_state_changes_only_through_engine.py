"""Every state change goes through the engine: outside workflows/ (and tests/) no code assigns a
status, passes one to a constructor or an UPDATE, or sets one with setattr."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("grants", "forms", "storage", "wsgi.py", "migrations/env.py")


def python_files():
    for entry in CHECKED:
        path = ROOT / entry
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def status_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                lines.append(node.lineno)
        if isinstance(node, ast.Call):
            if any(keyword.arg == "status" for keyword in node.keywords):
                lines.append(node.lineno)
            if (
                isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                lines.append(node.lineno)
    return sorted(lines)


def test_no_status_is_written_outside_the_engine():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files()
        for line in status_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], f"status changed outside workflows/: {offenders}"


def test_the_rule_catches_each_kind_of_write():
    source = """
application.status = ApplicationStatus.APPROVED
Award(status=AwardStatus.CLOSED)
db.session.execute(update(Payment).values(status="paid"))
setattr(payment, "status", PaymentStatus.PAID)
"""
    assert status_writes(ast.parse(source)) == [2, 3, 4, 5]
