"""One family of refusals. Pages show the message in the GOV.UK error summary; a refused move
changes nothing and writes no event."""

from __future__ import annotations


class WorkflowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(WorkflowError):
    """The actor's role may not fire this trigger on this object."""


class NotAllowedFromState(WorkflowError):
    """The trigger does not apply to the object's current state."""


class GuardFailed(WorkflowError):
    """A rule of the move is not met; the message says which."""


class ChangedBySomeoneElse(WorkflowError):
    """The object changed since the actor loaded it (optimistic lock)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Someone else changed this while you were working on it. "
            "Check the latest version and try again"
        )
