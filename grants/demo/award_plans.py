"""What became of each approved application's award by the time the demo is loaded.

People Zones round 2 (2024/25): six grants offered on 4 December 2024, three quarters paid in
advance, an interim return for January to March 2025 and an end-of-grant return for April to
September 2025. Two are closed; the others show each kind of loose end finance and officers
chase, and two asked to move money between budget lines (variations). The open Prevention Fund
round has three early decisions: one offer still open, one accepted and one under way with its
first payment waiting for finance.
"""

from __future__ import annotations

import datetime as dt

from grants.demo.applications import Booked
from grants.demo.awards import AwardPlan, ReturnPlan, book_award
from grants.demo.dates import london, london_date
from grants.demo.people import Cast
from grants.demo.timeline import Timeline
from grants.models import (
    ApplicationStatus,
    Award,
    AwardStatus,
    PaymentStatus,
    ReturnStatus,
    Variation,
)

A = AwardStatus
P = PaymentStatus
R = ReturnStatus


def _interim(reached: ReturnStatus = R.ACCEPTED, **kwargs: str) -> ReturnPlan:
    return ReturnPlan(
        dt.date(2025, 1, 1), dt.date(2025, 3, 31), dt.date(2025, 4, 30), reached, **kwargs
    )


def _end_of_grant(reached: ReturnStatus = R.ACCEPTED, **kwargs: str) -> ReturnPlan:
    return ReturnPlan(
        dt.date(2025, 4, 1), dt.date(2025, 9, 30), dt.date(2025, 10, 31), reached, **kwargs
    )


# By organisation: each had one approved application in the round.
PEOPLE_ZONES = {
    "saffron-boxing": AwardPlan(
        A.CLOSED,
        "Marcus Reid, head coach",
        dt.timedelta(days=2),
        (_interim(), _end_of_grant()),
        final=P.PAID,
    ),
    "highfields-yca": AwardPlan(
        A.ACTIVE,
        "Imran Patel, secretary",
        dt.timedelta(days=5),
        (
            _interim(
                R.WAIVED, waived="No activity this quarter: the programme runs in the summer."
            ),
            _end_of_grant(R.SUBMITTED),  # waiting for the officer's review
        ),
        final=P.CLAIMED,
    ),
    "loughborough-wsn": AwardPlan(
        A.ACTIVE,
        "Claire Dunmore, director",
        dt.timedelta(days=8),
        (_interim(), _end_of_grant(R.OPEN)),  # open since 1 October 2025: overdue
    ),
    "wigston-youth": AwardPlan(
        A.ACTIVE,
        "Natalie Osei, manager",
        dt.timedelta(days=3),
        (_interim(), _end_of_grant()),
        final=P.APPROVED,  # waiting for finance to pay
    ),
    "coalville-kitchen": AwardPlan(
        A.CLOSED,
        "Sunita Kaur, chair",
        dt.timedelta(days=6),
        (
            _interim(sent_back="Please attach the receipts for the kitchen equipment."),
            _end_of_grant(),
        ),
        final=P.PAID,
    ),
    "melton-streetspace": AwardPlan(
        A.ACTIVE,
        "Ryan Tolley, director",
        dt.timedelta(days=9),
        (
            _interim(),
            _end_of_grant(
                R.RETURNED,
                sent_back="Spend on equipment is £250 over its budget line: explain the move "
                "from publicity, or ask for a variation.",
            ),
        ),
    ),
}


def open_round_plans(opened: dt.datetime) -> dict[str, AwardPlan]:
    """The open round's early awards, dated from when the round opened."""
    starts = london_date(opened) + dt.timedelta(weeks=2)
    ends = starts + dt.timedelta(weeks=26)
    return {
        "highfields-yca": AwardPlan(A.OFFERED),  # the offer is open for 30 days
        "saffron-boxing": AwardPlan(
            A.ACTIVE,
            "Marcus Reid, head coach",
            dt.timedelta(days=1),
            (ReturnPlan(starts, ends, ends + dt.timedelta(days=30), R.SCHEDULED),),
            advance=P.APPROVED,  # waiting for finance to pay
        ),
        "loughborough-wsn": AwardPlan(A.ACCEPTED, "Claire Dunmore, director"),
    }


def book_awards(
    timeline: Timeline, booked: list[Booked], plans: dict[str, AwardPlan], cast: Cast
) -> dict[str, Award]:
    """Books an award for every approved application, following its organisation's plan;
    gives them by organisation."""
    approved = [b for b in booked if b.spec.reached is ApplicationStatus.APPROVED]
    return {
        b.spec.organisation: book_award(timeline, b, plans[b.spec.organisation], cast)
        for b in approved
    }


def book_people_zones_variations(timeline: Timeline, awards: dict[str, Award], cast: Cast) -> None:
    """Two budget changes: one approved early in 2025, one waiting since the end-of-grant
    return was sent back for the same overspend."""
    coalville = Variation(
        award=awards["coalville-kitchen"],
        summary="Move £200 from kitchen equipment to food",
        reason="The equipment cost less than quoted, and more young people came than planned.",
    )
    timeline.create(london(dt.date(2025, 2, 10), 11), cast.owner("coalville-kitchen"), coalville)
    timeline.fire(
        london(dt.date(2025, 2, 13), 10),
        cast.officer,
        coalville,
        "approve",
        reason="Within the award, and more young people reached.",
    )
    melton = Variation(
        award=awards["melton-streetspace"],
        summary="Move £250 from publicity to equipment",
        reason="Two boards were stolen and replaced; the publicity went out free on social media.",
    )
    timeline.create(london(dt.date(2025, 11, 3), 10), cast.owner("melton-streetspace"), melton)


# How the officer rated the grants still running after the end-of-grant returns fell due:
# (delivery, spend, risk, comment) by organisation.
PEOPLE_ZONES_RATINGS = {
    "highfields-yca": (
        "green",
        "green",
        "amber",
        "Summer programme delivered in full; the end-of-grant return is waiting for review.",
    ),
    "loughborough-wsn": (
        "amber",
        "green",
        "red",
        "End-of-grant return overdue since 31 October; two reminders unanswered.",
    ),
    "wigston-youth": (
        "green",
        "green",
        "green",
        "Everything in; the final payment is with finance.",
    ),
}


def book_people_zones_ratings(timeline: Timeline, awards: dict[str, Award], cast: Cast) -> None:
    """RAG ratings recorded through the engine, a fortnight after the returns fell due."""
    for organisation, (delivery, spend, risk, comment) in PEOPLE_ZONES_RATINGS.items():
        timeline.fire(
            london(dt.date(2025, 11, 14), 15),
            cast.officer,
            awards[organisation],
            "rate",
            delivery=delivery,
            spend=spend,
            risk=risk,
            reason=comment,
        )
