"""The S3 tests run against the SeaweedFS that `make test` starts (scripts/test-services.sh).

Without TEST_S3_ENDPOINT_URL (pytest run by hand) they are deselected, never skipped. They
touch no database, so they run once, in the SQLite tier: with TEST_DATABASE_URL set (the
PostgreSQL tier) they are deselected too.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "s3: tests against a real S3 store (SeaweedFS from scripts/test-services.sh)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TEST_S3_ENDPOINT_URL") and not os.environ.get("TEST_DATABASE_URL"):
        return
    deselected = [item for item in items if item.get_closest_marker("s3")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("s3")]
        config.hook.pytest_deselected(items=deselected)
