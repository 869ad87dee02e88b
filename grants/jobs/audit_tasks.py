"""Background tasks that verify the ledger, reconcile it with the current state, and build the
auditor's export."""

from __future__ import annotations
