"""What the tests of the staff pages across every award (monitoring returns, payments) share:
the organisation and staff their worlds start from, signed-in clients, what the ledger recorded
for an object, the statements a page runs, and awards in bulk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    AwardStatus,
    Organisation,
    OrganisationType,
    StaffRole,
    User,
)
from tests.conftest import make_member, make_organisation, make_staff, sign_in_as

STAFF = {
    "officer": StaffRole.COMMISSIONING_OFFICER,
    "decider": StaffRole.DECISION_MAKER,
    "assessor": StaffRole.ASSESSOR,
    "finance": StaffRole.FINANCE,
}


def saffron_lane_and_staff() -> tuple[Organisation, User, dict[str, User]]:
    """Saffron Lane Boxing Club with its treasurer as a member, and one staff user in each role
    of ``STAFF``, by name."""
    organisation = make_organisation("Saffron Lane Boxing Club")
    member = make_member(organisation, "treasurer@saffron.example.org")
    staff = {name: make_staff(role) for name, role in STAFF.items()}
    return organisation, member, staff


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, db.session.get(User, user_id))
    return client


def ledger_events(object_type: str, object_id: int) -> list[tuple[str, str | None]]:
    """The ledger's (action, reason) for one object, oldest first."""
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.seq)
    )
    return [(e.action, e.reason) for e in rows]


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends to the database inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def bulk_award(programme_id: int, n: int) -> Award:
    """The ``n``th of many active awards on one programme, each to its own organisation
    ("Group n")."""
    organisation = Organisation(name=f"Group {n}", org_type=OrganisationType.COMMUNITY_GROUP)
    return Award(
        reference=f"PF-BULK-{n}",
        programme_id=programme_id,
        organisation=organisation,
        title="Bulk",
        amount_pence=100_000,
        status=AwardStatus.ACTIVE,
    )
