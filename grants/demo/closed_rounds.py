"""The Prevention Fund's two rounds that closed earlier this financial year, each at a later
stage than the open round: community small grants, closed ten days before loading and being
assessed, and serious violence prevention grants, closed five weeks before, marked by three
officers, moderated and recommended like People Zones round 2, waiting for the decision maker."""

from __future__ import annotations

import datetime as dt

from grants.demo import places as gss
from grants.demo.applications import Assessment, DemoApplication, Line, answers
from grants.demo.dates import london, london_date
from grants.models import ApplicationStatus, Round

IN_ASSESSMENT = ApplicationStatus.IN_ASSESSMENT
ASSESSORS = ("assessor@opcc.example.org", "assessor2@opcc.example.org")


def _after(days: int, hours: int) -> dt.timedelta:
    return dt.timedelta(days=days, hours=hours)


def small_grants_assessment(round_: Round) -> Assessment:
    """Assessment started the morning after the round closed, with both assessors assigned."""
    day_after = london_date(round_.closes_at) + dt.timedelta(days=1)
    return Assessment(starts_at=london(day_after, 9), assigned=ASSESSORS)


def serious_violence_assessment(round_: Round) -> Assessment:
    """Three officers marked every application in the days after closing; the moderation
    meeting's recommendations were made three weeks after it closed."""
    closed = london_date(round_.closes_at)
    return Assessment(
        starts_at=london(closed + dt.timedelta(days=1), 9),
        scorers=3,
        recommended_at=london(closed + dt.timedelta(days=23), 11),
        assigned=ASSESSORS,
    )


# Opened seven weeks and closed ten days before loading; £17,300 asked of £20,000.
SMALL_GRANTS = (
    DemoApplication(
        "rutland-rural-watch",
        "Village watch signs and alerts around Uppingham",
        IN_ASSESSMENT,
        (
            Line("Signage", "Rural watch signs for 12 villages", 140_000),
            Line("Running costs", "Community alert messaging, 12 months", 60_000),
            Line("Publicity", "Leaflets for every household", 40_000),
        ),
        answers(
            "Signs and a text alert service so villagers report suspicious vehicles quickly.",
            "Villages around Uppingham lost trailers, quad bikes and fuel last winter.",
            "400 households signed up to alerts; fewer thefts from farms and sheds.",
            400,
            [gss.RUTLAND],
            ["rural-crime", "neighbourhood-crime"],
        ),
        _after(6, 3),
        score=74,
        scored_by=2,
    ),
    DemoApplication(
        "harborough-safe-spaces",
        "Women's safe space drop-in on market days",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Sessional support worker, 40 market days", 240_000),
            Line("Venue hire", "Room hire, 40 market days", 180_000),
            Line("Publicity", "Cards and posters for GP surgeries and shops", 60_000),
        ),
        answers(
            "A drop-in on market days where women can talk in confidence about abuse at home.",
            "Women from villages around Market Harborough have nowhere local to ask for help.",
            "80 women supported; 30 referred on to specialist domestic abuse services.",
            80,
            [gss.HARBOROUGH],
            ["domestic-abuse", "vawg"],
        ),
        _after(12, 5),
        score=68,
        scored_by=2,
    ),
    DemoApplication(
        "braunstone-juniors",
        "Thursday night five-a-side under the floodlights",
        IN_ASSESSMENT,
        (
            Line("Venue hire", "Floodlit pitch hire, 30 Thursday nights", 180_000),
            Line("Staff costs", "Qualified coaches, 30 sessions", 110_000),
            Line("Equipment", "Balls, bibs and goals", 30_000),
        ),
        answers(
            "Free five-a-side on Thursday nights for 13 to 17 year olds, run by our coaches.",
            "Residents report groups of teenagers gathering by the shops on Thursday nights.",
            "50 young people play regularly; fewer ASB reports near the shops.",
            50,
            [gss.BLABY],
            ["asb", "youth-diversion"],
        ),
        _after(20, 2),
        score=70,
        scored_by=1,
    ),
    DemoApplication(
        "hinckley-mentors",
        "Online safety evenings for parents",
        IN_ASSESSMENT,
        (
            Line("Training", "Trainer fees, 8 evenings", 120_000),
            Line("Venue hire", "School hall hire", 40_000),
            Line("Resources", "Printed guides for parents", 30_000),
        ),
        answers(
            "Evenings in Hinckley schools on grooming, sextortion and scams aimed at children.",
            "Schools report more pupils targeted online, and parents who do not know the signs.",
            "200 parents attend; parents say they know what to look for and how to report.",
            200,
            [gss.HINCKLEY_AND_BOSWORTH],
            ["cyber-fraud", "youth-diversion"],
        ),
        _after(27, 6),
        score=62,
        scored_by=1,
    ),
    DemoApplication(
        "loughborough-wsn",
        "Personal safety alarms for new students",
        ApplicationStatus.INFORMATION_REQUESTED,
        (
            Line("Equipment", "300 personal safety alarms", 120_000),
            Line("Publicity", "Freshers' fair stand and leaflets", 30_000),
        ),
        answers(
            "Free personal alarms and safety advice for new students at the freshers' fair.",
            "New students do not know the town and walk home alone late at night.",
            "300 alarms given out; students say they feel safer walking home.",
            300,
            [gss.CHARNWOOD],
            ["vawg", "night-time-economy"],
        ),
        _after(33, 4),
        decision="How will you decide who gets the 300 alarms, and has the university or the "
        "students' union been asked to share the cost?",
    ),
    # Sent in on the afternoon the round closed: nobody has scored or been assigned it yet.
    DemoApplication(
        "melton-streetspace",
        "Skate jam and legal graffiti wall",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Street artist to lead four workshops", 150_000),
            Line("Materials", "Boards, paint and protective kit", 140_000),
            Line("Activities", "Skate jam day at the park", 60_000),
        ),
        answers(
            "Young people design a legal graffiti wall at the skate park and open it with a jam.",
            "Tagging around the skate park and the station has grown this year.",
            "40 young people take part; less tagging around the skate park.",
            40,
            [gss.MELTON],
            ["asb", "youth-diversion"],
        ),
        _after(39, 3),
        scored_by=0,
    ),
)

# Opened thirteen weeks and closed five weeks before loading. Marks per assessor (assessor,
# second assessor, officer) and criterion (need, delivery, outcomes, value for money, each out
# of 5), as in People Zones round 2: two at 70% or more, four at 60% or more, one at 40% or
# more and one less; the five at or above the 65% threshold ask for £34,550 of the £36,000.
SERIOUS_VIOLENCE = (
    DemoApplication(
        "hinckley-mentors",
        "Mentors for young people excluded from school",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Three part-time mentors, 40 weeks", 840_000),
            Line("Training", "Trauma-informed practice and safeguarding", 160_000),
            Line("Activities", "Sport and outdoor activities with mentees", 120_000),
            Line("Travel", "Mentors' mileage", 80_000),
        ),
        answers(
            "One-to-one mentoring for young people excluded from school, who are most at risk "
            "of being drawn into county lines and carrying knives.",
            "Exclusions in the borough have risen; the youth offending team sees most of its "
            "knife possession cases among excluded young people.",
            "30 young people mentored for a year; 20 back in education or training.",
            30,
            [gss.HINCKLEY_AND_BOSWORTH],
            ["knife-crime", "youth-diversion"],
        ),
        _after(16, 4),
        decision="Above £10,000, so for the decision maker to approve.",
        marks=((4, 4, 4, 4), (4, 4, 4, 3), (4, 4, 3, 4)),
    ),
    DemoApplication(
        "saffron-boxing",
        "Boxing and mentoring for young people referred by schools",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Two coaches, 36 sessions", 480_000),
            Line("Staff costs", "Mentor with lived experience, 30 sessions", 225_000),
            Line("Equipment", "Gloves, pads and head guards", 80_000),
        ),
        answers(
            "Boxing training with a mentor for young people schools think are at risk of "
            "carrying knives.",
            "Two of our members were stopped carrying knives this year; schools ask us for "
            "places we cannot fund.",
            "40 young people complete the programme; more say they would walk away from a knife.",
            40,
            [gss.LEICESTER],
            ["knife-crime", "youth-diversion"],
        ),
        _after(22, 6),
        marks=((4, 4, 3, 4), (4, 3, 4, 3), (3, 4, 4, 3)),
    ),
    DemoApplication(
        "melton-streetspace",
        "Youth workers at Melton bus station on weekend nights",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Two detached youth workers, 40 weekend nights", 480_000),
            Line("Training", "De-escalation and first aid training", 90_000),
            Line("Resources", "Information cards and activity kit", 50_000),
        ),
        answers(
            "Youth workers at the bus station on Friday and Saturday nights, where fights "
            "between groups of young people have broken out.",
            "Police have been called to fights at the bus station most weekends since the summer.",
            "120 young people engaged; fewer calls to the bus station at weekends.",
            120,
            [gss.MELTON],
            ["knife-crime", "asb"],
        ),
        _after(30, 2),
        decision="The assessors were far apart on need (1 to 4 of 5); at moderation the police "
        "call-out figures for the bus station were agreed to evidence it.",
        divergent=True,
        marks=((4, 4, 4, 4), (1, 3, 3, 3), (4, 3, 4, 3)),
    ),
    DemoApplication(
        "braunstone-juniors",
        "Friday football and knife crime talks",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Coaches, 30 Friday nights", 240_000),
            Line("Venue hire", "Floodlit pitch hire", 150_000),
            Line("Speakers", "Talks by a knife crime charity", 60_000),
            Line("Equipment", "Kit and balls", 40_000),
        ),
        answers(
            "Friday night football for 13 to 17 year olds with a talk each month on knives "
            "and the law.",
            "Two knife incidents near the shops on Narborough Road South involved local teenagers.",
            "60 young people take part; most say they know the risks and where to get help.",
            60,
            [gss.BLABY],
            ["knife-crime", "youth-diversion"],
        ),
        _after(41, 5),
        marks=((4, 3, 3, 4), (3, 4, 3, 3), (4, 3, 3, 3)),
    ),
    DemoApplication(
        "coalville-kitchen",
        "Cook, eat, stay safe: evenings with the youth offending team",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Session leader, 20 evenings", 240_000),
            Line("Food", "Ingredients for shared meals", 120_000),
            Line("Refreshments", "Celebration meal for families", 60_000),
        ),
        answers(
            "Cooking evenings for young people referred by the youth offending team, with "
            "honest talk about exploitation and knives.",
            "The youth offending team has more young people drawn into county lines from "
            "Coalville.",
            "20 young people complete the course; none reoffend in the following six months.",
            20,
            [gss.NORTH_WEST_LEICESTERSHIRE],
            ["knife-crime", "substance-misuse"],
        ),
        _after(9, 3),
        decision="At £3,600 of £4,200: the fund does not pay for the celebration meal.",
        approved_pence=360_000,
        marks=((3, 3, 4, 3), (4, 3, 3, 3), (3, 3, 3, 4)),
    ),
    DemoApplication(
        "wigston-youth",
        "Bleed control kits for Wigston shops and pubs",
        IN_ASSESSMENT,
        (
            Line("Equipment", "40 bleed control kits", 480_000),
            Line("Equipment", "Wall cabinets", 220_000),
            Line("Training", "Training for shop and bar staff", 150_000),
        ),
        answers(
            "Bleed control kits in shops and pubs on the high street, with training to use them.",
            "A stabbing on the high street last year showed how long help can take to arrive.",
            "40 kits installed; 120 staff trained.",
            120,
            [gss.OADBY_AND_WIGSTON],
            ["knife-crime"],
        ),
        _after(35, 4),
        decision="The kits save lives but do not prevent violence, which this round funds.",
        marks=((3, 3, 3, 3), (3, 4, 3, 3), (3, 3, 3, 2)),
    ),
    DemoApplication(
        "harborough-safe-spaces",
        "Healthy relationships workshops in Market Harborough schools",
        IN_ASSESSMENT,
        (
            Line("Staff costs", "Workshop facilitators, 20 sessions", 360_000),
            Line("Resources", "Workbooks and films", 90_000),
            Line("Evaluation", "Pupil surveys before and after", 50_000),
        ),
        answers(
            "Workshops for Year 9 and 10 pupils on consent, control and abusive relationships.",
            "Schools report more controlling behaviour in pupils' relationships.",
            "600 pupils take part; more know what an abusive relationship looks like.",
            600,
            [gss.HARBOROUGH],
            ["vawg", "domestic-abuse"],
        ),
        _after(48, 7),
        marks=((3, 2, 3, 3), (2, 3, 3, 2), (3, 2, 2, 3)),
    ),
    DemoApplication(
        "highfields-yca",
        "CCTV for the community centre car park",
        IN_ASSESSMENT,
        (
            Line("Equipment", "Four cameras and recorder", 720_000),
            Line("Installation", "Cabling and installation", 260_000),
        ),
        answers(
            "Cameras covering the centre's car park, where young people gather at night.",
            "The car park has had damage to cars and the centre's windows.",
            "Less damage to the centre and cars in the car park.",
            300,
            [gss.LEICESTER],
            ["neighbourhood-crime"],
        ),
        _after(54, 2),
        marks=((2, 2, 2, 2), (2, 1, 2, 2), (2, 2, 2, 1)),
    ),
)
