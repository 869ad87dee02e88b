"""Community Safety Partnership funding: allocations per CSP and financial year, set by a
recorded method, and decisions on forecast underspend."""

from __future__ import annotations
