"""Shared fixtures: one database per test run (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set), built by the real migrations, emptied after every test."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import delete, inspect

from grants import create_app
from grants.extensions import db
from grants.models import (
    Base,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    Round,
    StaffRole,
    User,
    utcnow,
)
from grants.security import totp
from grants.security.passwords import hash_password
from tests.ledger_admin import wipe_ledger

# CI replays the same examples every run, so a landing is never decided by luck; local runs
# keep exploring new ones (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

PASSWORD = "correct horse battery staple"
LEDGER_TABLES = {"audit_events", "audit_head"}
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def database_url(tmp_root: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("instance")
    url = database_url(root)
    app = create_app(
        overrides={
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_BACKEND": "locmem",
            "SERVER_NAME": "localhost",
            "SHOW_DEMO_OUTBOX": False,
        },
        env={"SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests"},
        instance_path=str(root),
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    yield
    with app.app_context():
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            wipe_ledger(connection)
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in LEDGER_TABLES:
                    connection.execute(delete(table))
        app.extensions["mailman"].outbox = []
        # Checkpoints are write-once in use; between tests the store starts empty again.
        shutil.rmtree(app.config["AUDIT_CHECKPOINT_DIR"], ignore_errors=True)
        shutil.rmtree(app.config["DOCUMENTS_DIR"], ignore_errors=True)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context, for tests that call services directly."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> list[Any]:
    app.extensions["mailman"].outbox = []
    return app.extensions["mailman"].outbox


def csrf_token(client: FlaskClient, url: str = "/sign-in") -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], token_from: str | None = None):  # type: ignore[no-untyped-def]
    """POST like a browser: with the CSRF token from the form's own page."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={**data, "csrf_token": token})


# Factories ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def hashed(password: str) -> str:
    """Hash each test password once: argon2 is slow on purpose, and tests make many users."""
    return hash_password(password)


def make_organisation(name: str = "Braunstone Youth Club", **fields: Any) -> Organisation:
    organisation = Organisation(
        name=name, org_type=fields.pop("org_type", OrganisationType.COMMUNITY_GROUP), **fields
    )
    db.session.add(organisation)
    return _saved(organisation)


def make_member(
    organisation: Organisation,
    email: str = "treasurer@example.org",
    role: MembershipRole = MembershipRole.OWNER,
    password: str | None = PASSWORD,
) -> User:
    user = User(
        email=email,
        full_name=email.split("@")[0].title(),
        password_hash=hashed(password) if password else None,
    )
    db.session.add_all([user, Membership(user=user, organisation=organisation, role=role)])
    return _saved(user)


def make_staff(role: StaffRole, email: str | None = None) -> User:
    user = User(
        email=email or f"{role.value}@opcc.example.org",
        full_name=role.label,
        staff_role=role,
        password_hash=hashed(PASSWORD),
        totp_secret=totp.new_secret(),
    )
    db.session.add(user)
    return _saved(user)


def _saved(obj: Any) -> Any:
    """Commit and reload, so the object's columns stay readable after its context ends."""
    db.session.commit()
    db.session.refresh(obj)
    return obj


def open_round(days_open: int = 10) -> Round:
    """A Prevention Fund round open now, with its programme (not yet added to the session)."""
    now = utcnow()
    programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    programme.budgets.append(ProgrammeBudget(financial_year=2026, amount_pence=25_000_000))
    return Round(
        programme=programme,
        name="Round 1",
        reference_prefix="PF",
        financial_year=2026,
        opens_at=now - dt.timedelta(days=days_open),
        closes_at=now + dt.timedelta(days=30),
        budget_pence=10_000_000,
        min_award_pence=50_000,
        max_award_pence=2_500_000,
        short_form_threshold_pence=1_000_000,
    )


def sign_in_as(client: FlaskClient, user: User) -> None:
    """Start a signed-in session directly (the sign-in journeys have their own tests)."""
    # The identity key survives expiry, so this works on objects from a finished context.
    user_id = inspect(user).identity[0]
    with client.session_transaction() as session:
        session["user_id"] = user_id


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` belong to the PostgreSQL tier: on SQLite they are deselected
    (and counted as such), never skipped; the PostgreSQL tier runs them."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
