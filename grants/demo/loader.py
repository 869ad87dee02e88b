"""Loads the demo world into an empty database, in one transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from grants.demo.applications import add_applications
from grants.demo.current_rounds import PREVENTION_OPEN, csp_plans
from grants.demo.organisations import add_organisations
from grants.demo.people import DEMO_PASSWORD, add_people
from grants.demo.people_zones import DECIDED_AT, PEOPLE_ZONES
from grants.demo.places import add_places_and_priorities
from grants.demo.programmes import add_programmes
from grants.extensions import db
from grants.models import User, utcnow
from grants.security.passwords import hash_password

HOW_TO_SIGN_IN = (
    "Staff also need a 6-digit code: add the authenticator key to an authenticator app, or run "
    "`flask users code EMAIL` to print a staff member's current code. Community users can "
    "instead ask for an emailed sign-in link; the demo mail outbox at /demo/outbox shows it."
)


class DemoAlreadyLoaded(Exception):
    """The database already has users, so loading the demo could mix it with real data."""


def load_demo(now: dt.datetime | None = None) -> list[str]:
    """Fills an empty database with the Leicester, Leicestershire and Rutland demo world and
    returns the sign-in lines to print. Current rounds are dated relative to ``now``."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoAlreadyLoaded
    now = now or utcnow()
    try:
        lines = _add_everything(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return [*lines, HOW_TO_SIGN_IN]


def _add_everything(now: dt.datetime) -> list[str]:
    priorities = add_places_and_priorities()
    organisations = add_organisations()
    # Everyone shares one published password, so one hash (one salt) gives nothing away and
    # saves a deliberately slow argon2 run per user.
    users, lines = add_people(organisations, hash_password(DEMO_PASSWORD))
    rounds = add_programmes(priorities, now)
    db.session.flush()  # applications refer to their creators by id
    add_applications(
        rounds.people_zones, PEOPLE_ZONES, organisations, users, now, decided_at=DECIDED_AT
    )
    add_applications(rounds.prevention_open, PREVENTION_OPEN, organisations, users, now)
    add_applications(rounds.csp, csp_plans(rounds.csp.financial_year), organisations, users, now)
    return lines
