"""Errors a user can cause. Views show them in the GOV.UK error summary; nothing is changed."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a message fit to show the user, optionally tied to one form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RateLimited(ServiceError):
    pass


class NotFound(Exception):
    """The object does not exist or the user may not see it; both look the same (404)."""
