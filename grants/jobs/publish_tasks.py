"""Background task that builds, checks and publishes the 360Giving files."""

from __future__ import annotations
