"""Loads the demo world into an empty database, in one transaction: the people, places and
programmes, then the history (applications, awards, contracts, a bid) replayed through the
workflow engine, then a signed checkpoint of the ledger that history wrote."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from grants.audit.verify import take_checkpoint
from grants.demo import award_plans
from grants.demo.applications import book_applications
from grants.demo.closed_rounds import (
    SERIOUS_VIOLENCE,
    SMALL_GRANTS,
    serious_violence_assessment,
    small_grants_assessment,
)
from grants.demo.commissioning import book_victim_first
from grants.demo.csp import book_csp_funding
from grants.demo.current_rounds import PREVENTION_OPEN
from grants.demo.eligibility import add_eligibility_questions
from grants.demo.organisations import add_organisations
from grants.demo.people import DEMO_PASSWORD, add_people
from grants.demo.people_zones import ASSESSMENT, PEOPLE_ZONES
from grants.demo.places import add_places_and_priorities
from grants.demo.programmes import add_programmes
from grants.demo.safer_streets import book_safer_streets
from grants.demo.scoring import add_criteria
from grants.demo.timeline import Timeline
from grants.extensions import db
from grants.models import OutboxJob, User, utcnow
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
    returns the sign-in lines to print. Current rounds are dated relative to ``now``; the
    history before them has fixed dates, all before ``now``."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoAlreadyLoaded
    now = now or utcnow()
    try:
        lines = _add_everything(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # Signed only once committed: a checkpoint vouches for events the database really holds.
    take_checkpoint()
    return [*lines, HOW_TO_SIGN_IN]


def _add_everything(now: dt.datetime) -> list[str]:
    priorities = add_places_and_priorities()
    organisations = add_organisations()
    # Everyone shares one published password, so one hash (one salt) gives nothing away and
    # saves a deliberately slow argon2 run per user.
    cast, lines = add_people(organisations, hash_password(DEMO_PASSWORD))
    rounds = add_programmes(priorities, now)
    add_eligibility_questions(rounds.prevention_open)
    for scored in (
        rounds.prevention_open,
        rounds.prevention_assessing,
        rounds.prevention_moderated,
        rounds.people_zones,
    ):
        add_criteria(scored)
    db.session.flush()  # the history refers to users and organisations by id
    timeline = Timeline(now)
    people_zones = book_applications(
        timeline, rounds.people_zones, PEOPLE_ZONES, organisations, cast, ASSESSMENT
    )
    awards = award_plans.book_awards(timeline, people_zones, award_plans.PEOPLE_ZONES, cast)
    award_plans.book_people_zones_variations(timeline, awards, cast)
    award_plans.book_people_zones_ratings(timeline, awards, cast)
    open_round = book_applications(
        timeline, rounds.prevention_open, PREVENTION_OPEN, organisations, cast
    )
    plans = award_plans.open_round_plans(rounds.prevention_open.opens_at)
    award_plans.book_awards(timeline, open_round, plans, cast)
    # Earlier rounds of the year: one being assessed, one waiting for its decisions.
    assessing, moderated = rounds.prevention_assessing, rounds.prevention_moderated
    book_applications(
        timeline,
        assessing,
        SMALL_GRANTS,
        organisations,
        cast,
        small_grants_assessment(assessing),
    )
    book_applications(
        timeline,
        moderated,
        SERIOUS_VIOLENCE,
        organisations,
        cast,
        serious_violence_assessment(moderated),
    )
    # Allocations, plan rounds and awards of last year and this one.
    book_csp_funding(timeline, rounds.csp, organisations, cast)
    book_victim_first(timeline, rounds.victim_first, organisations["catch22"], cast)
    book_safer_streets(timeline, rounds.safer_streets, cast)
    timeline.run()
    _history_already_followed_up(now)
    return lines


def _history_already_followed_up(now: dt.datetime) -> None:
    # The moves above recorded their follow-ups (emails about 2024 decisions, say) in the
    # outbox. They belong to the past: marked as dispatched, so a dispatcher never sends them
    # to the demo's users now.
    # Grant agreements are the exception: each award's PDF is still to be drawn up, which
    # `flask demo load` does straight after loading (or an RQ worker, when there is one).
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.dispatched_at.is_(None), OutboxJob.job != "agreement.render")
        .values(dispatched_at=now)
    )
