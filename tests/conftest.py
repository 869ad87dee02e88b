"""Shared fixtures: one database per test run (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set), built by the real migrations, emptied after every test."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import delete, inspect

from grants import create_app
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationSection,
    Base,
    BudgetLine,
    Document,
    InterestDeclaration,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationType,
    OutputTarget,
    Programme,
    ProgrammeBudget,
    ProgrammeKind,
    Round,
    ScanStatus,
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
    if has_app_context():
        # Under the ``ctx`` fixture every request shares the test's app context, and
        # flask-wtf caches the signed token in ``g``: without this a second client would be
        # handed the first client's token.
        g.pop("csrf_token", None)
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], token_from: str | None = None):  # type: ignore[no-untyped-def]
    """POST like a browser: with the CSRF token from the form's own page."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={**data, "csrf_token": token})


def approve_via_page(
    client: FlaskClient, application_id: int, version: int, amount: str, **fields: Any
):  # type: ignore[no-untyped-def]
    """Approve on the approval page with the usual offer terms (one financial year, paid in
    advance at once, quarterly returns, both standard conditions, 30 days to accept);
    ``fields`` override any of them."""
    expires = dt.date.today() + dt.timedelta(days=30)
    data: dict[str, Any] = {
        "version": str(version),
        "amount": amount,
        "payment_timing": "advance",
        "instalments": "1",
        "reporting": "quarterly",
        "pre_payment_conditions": [
            "Bank details verified against a recent bank statement in the organisation's name",
            "Safeguarding policy reviewed in the last 12 months",
        ],
        "offer_expires_on": [str(expires.day), str(expires.month), str(expires.year)],
    }
    data.update(fields)
    url = f"/staff/applications/{application_id}/approve"
    return post_form(client, url, data, token_from="/accessibility")


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
        published_at=now - dt.timedelta(days=days_open + 1),
    )


def make_document(
    organisation_id: int, user_id: int, filename: str = "evidence.pdf", **links: Any
) -> Document:
    """A document row (no stored object: for rules about documents, not their bytes)."""
    document = Document(
        storage_key=f"documents/test/{secrets.token_hex(8)}",
        organisation_id=organisation_id,
        uploaded_by_id=user_id,
        purpose=links.pop("purpose", "evidence"),
        filename=filename,
        file_type="pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256=links.pop("sha256", secrets.token_hex(32)),
        scan_status=ScanStatus.NOT_SCANNED,
        **links,
    )
    db.session.add(document)
    db.session.flush()
    return document


def complete_application(application: Application, user_id: int) -> Application:
    """Fill every section of an application and mark each complete, as an applicant would
    through the form (the form's own tests cover that journey). Not committed."""
    from workflows import application_form as spec

    if not application.project_title:
        application.project_title = "Boxing after school"
    for section in spec.sections_for(application):
        for question in section.questions:
            if question.key == "project_title":
                continue
            value = {
                spec.DATE: "2026-04-01",
                spec.WHOLE_NUMBER: "40",
                spec.DECLARATION: "yes",
                spec.PRIORITIES: "asb",
                spec.PLACES: "E06000016",
            }.get(question.kind, f"An answer to {question.key}")
            application.answers.append(ApplicationAnswer(question_key=question.key, value=value))
        application.sections.append(ApplicationSection(section_key=section.key, completed=True))
    if not application.budget_lines:
        application.budget_lines.append(
            BudgetLine(
                financial_year=2026,
                category="Coaches",
                amount_pence=application.amount_requested_pence or 500_000,
            )
        )
    application.output_targets.append(OutputTarget(description="Young people attend", target=40))
    for slot in (d for section in spec.sections_for(application) for d in section.documents):
        make_document(
            application.organisation.id,
            user_id,
            f"{slot.key}.pdf",
            purpose=slot.key,
            application_id=application.id,
        )
    db.session.flush()
    db.session.expire(application, ["documents"])
    return application


def declare_no_interest(user_id: int, application: Application) -> None:
    """The declaration every assessor and decider makes before taking part. Not committed."""
    if not any(d.user_id == user_id for d in application.interest_declarations):
        application.interest_declarations.append(
            InterestDeclaration(user_id=user_id, conflicted=False, declared_at=utcnow())
        )


def ready_for_decision(application: Application, *deciders: User) -> Application:
    """Recommended for approval by an officer, with the deciders' declarations made, so a
    decision can be made by any of them. Not committed."""
    recommender = make_staff(StaffRole.COMMISSIONING_OFFICER, "recommender@opcc.example.org")
    application.recommendation = "approve"
    application.recommended_by_id = recommender.id
    application.recommended_amount_pence = application.amount_requested_pence
    for decider in deciders:
        declare_no_interest(decider.id, application)
    return application


def sign_in_as(client: FlaskClient, user: User) -> None:
    """Start a signed-in session directly (the sign-in journeys have their own tests)."""
    # The identity key survives expiry, so this works on objects from a finished context.
    user_id = inspect(user).identity[0]
    with client.session_transaction() as session:
        session["user_id"] = user_id


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` belong to the PostgreSQL tier: on SQLite they are deselected
    (and counted as such), never skipped; the PostgreSQL tier runs them. Tests marked ``clamd``
    run in every tier once `make test` has started clamd (CLAMD_SOCKET_TEST), and are
    deselected without it."""
    missing = []
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        missing.append("postgres")
    if not os.environ.get("CLAMD_SOCKET_TEST"):
        missing.append("clamd")
    kept = [item for item in items if not any(item.get_closest_marker(m) for m in missing)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
