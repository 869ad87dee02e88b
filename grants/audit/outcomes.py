"""A run's outcome in words, as kept in its background task's message and shown on finance's
audit pages: the first line is the summary, which starts with "OK:" only when the ledger is
sound; each further line is one problem or one difference."""

from __future__ import annotations

from grants.audit.reconcile import Finding
from grants.audit.verify import VerifyReport

OK = "OK:"


def of_verify(report: VerifyReport) -> str:
    if report.ok:
        agree = "checkpoint agrees" if report.checkpoints == 1 else "checkpoints agree"
        return (
            f"{OK} {report.events} events, head {report.head_seq} {report.head_hash}; "
            f"{report.checkpoints} signed {agree}."
        )
    return "\n".join(
        [f"BROKEN: the first bad event is number {report.first_bad_seq}.", *report.problems]
    )


def of_reconcile(findings: list[Finding]) -> str:
    if not findings:
        return f"{OK} every object agrees with its history."
    noun = "difference" if len(findings) == 1 else "differences"
    return "\n".join(
        [f"{len(findings)} {noun} between the ledger and the records:", *map(str, findings)]
    )


def of_export(counts: dict[str, int]) -> str:
    events = "event" if counts["events"] == 1 else "events"
    checkpoints = "checkpoint" if counts["checkpoints"] == 1 else "checkpoints"
    return f"Exported {counts['events']} {events} and {counts['checkpoints']} signed {checkpoints}."


def split(message: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The summary line and the lines after it."""
    lines = (message or "").splitlines()
    return (lines[0], tuple(lines[1:])) if lines else (None, ())


def is_sound(summary: str) -> bool:
    return summary.startswith(OK)
