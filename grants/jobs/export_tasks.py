"""Background tasks that write large exports (CSV and XLSX) of awards, payments, returns and the
financial-year ledger."""

from __future__ import annotations
