"""Background task that builds an award's dossier for the audit panel."""

from __future__ import annotations
