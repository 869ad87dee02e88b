"""The historic round, modelled on the real People Zones grants fund round 2 (2024/25):
12 applications, the 6 scoring 65% or more approved, £39,305.40 committed in all."""

from __future__ import annotations

import datetime as dt

from grants.demo import places as gss
from grants.demo.applications import Assessment, DemoApplication, Line, answers
from grants.demo.dates import london
from grants.models import ApplicationStatus

APPROVED = ApplicationStatus.APPROVED
REJECTED = ApplicationStatus.REJECTED
THRESHOLD = 65  # per cent: the round's funding threshold

# Three officers marked every application from 29 October; recommendations went to the senior
# management team after moderation on 21 November 2024.
ASSESSMENT = Assessment(
    starts_at=london(dt.date(2024, 10, 29), 9),
    decided_at=london(dt.date(2024, 12, 3), 14),
    scorers=3,
)


def moderated(score: int) -> str:
    """The decision's reasons: the moderated score against the threshold (2 applications
    scored 70% or more, 5 60% or more, 4 40% or more and 1 less)."""
    if score >= THRESHOLD:
        return (
            f"Scored {score}% at moderation on 21 November 2024, at or above the {THRESHOLD}% "
            "funding threshold; recommended to and approved by the senior management team."
        )
    return f"Scored {score}% at moderation on 21 November 2024, below the {THRESHOLD}% threshold."


def _after(days: int, hours: int) -> dt.timedelta:
    return dt.timedelta(days=days, hours=hours)


PEOPLE_ZONES = (
    DemoApplication(
        "saffron-boxing",
        "Fight Fit: after-school boxing for young people",
        APPROVED,
        (
            Line("Staff costs", "Two qualified coaches, 40 weeks", 520_000),
            Line("Venue hire", "Hall hire, two evenings a week", 180_000),
            Line("Equipment", "Gloves, pads and head guards", 115_000),
            Line("Transport", "Minibus to inter-club events", 60_000),
        ),
        answers(
            "Free supervised boxing training after school for 11 to 17 year olds in Saffron.",
            "Young people tell us there is nothing to do after school; two were recently "
            "stopped carrying knives near the estate.",
            "40 young people attend regularly; fewer ASB reports near the club on weeknights.",
            40,
            [gss.LEICESTER],
            ["knife-crime", "youth-diversion"],
        ),
        _after(6, 2),
        decision=moderated(76),
        score=76,
    ),
    DemoApplication(
        "highfields-yca",
        "Highfields summer streets programme",
        APPROVED,
        (
            Line("Staff costs", "Sessional youth workers, 12 weeks", 432_000),
            Line("Activities", "Trips, sports and arts sessions", 186_040),
            Line("Refreshments", "Healthy snacks at each session", 65_000),
            Line("Publicity", "Leaflets in five community languages", 65_000),
        ),
        answers(
            "Evening and weekend activities on the streets and parks of Highfields in summer.",
            "ASB reports in Highfields rise every summer holiday.",
            "150 young people take part; ASB reports in the summer holidays fall.",
            150,
            [gss.LEICESTER],
            ["asb", "youth-diversion"],
        ),
        _after(20, 5),
        decision=moderated(71),
        score=71,
    ),
    DemoApplication(
        "loughborough-wsn",
        "Walk Safe Loughborough volunteer scheme",
        APPROVED,
        (
            Line("Staff costs", "Part-time volunteer coordinator, 6 months", 420_000),
            Line("Training", "Bystander and first aid training for volunteers", 127_500),
            Line("Equipment", "High-visibility kit and radios", 95_000),
            Line("Volunteer expenses", "Travel and subsistence", 50_000),
        ),
        answers(
            "Trained volunteers help women get home safely from the town centre at weekends.",
            "Students and workers say they feel unsafe walking home late.",
            "30 trained volunteers; 600 safe walks; women report feeling safer.",
            600,
            [gss.CHARNWOOD],
            ["vawg", "night-time-economy"],
        ),
        _after(14, 1),
        decision=moderated(68),
        score=68,
    ),
    DemoApplication(
        "wigston-youth",
        "Detached youth work on Wigston estates",
        APPROVED,
        (
            Line("Staff costs", "Two detached youth workers, two evenings a week", 480_000),
            Line("Training", "Safeguarding refresher", 45_000),
            Line("Resources", "Activity kit and information leaflets", 50_000),
            Line("Travel", "Mobile phone and mileage", 40_000),
        ),
        answers(
            "Youth workers meet young people where they gather and steer them to activities.",
            "Groups gathering around the shops have led to complaints and intimidation.",
            "60 young people engaged; 20 referred on to clubs or support.",
            60,
            [gss.OADBY_AND_WIGSTON],
            ["asb", "youth-diversion"],
        ),
        _after(9, 7),
        decision=moderated(67),
        score=67,
    ),
    DemoApplication(
        "coalville-kitchen",
        "Cook, eat, talk: evenings for young people",
        APPROVED,
        (
            Line("Staff costs", "Session leader, 24 evenings", 288_000),
            Line("Food", "Ingredients for shared meals", 162_000),
            Line("Equipment", "Kitchen equipment", 60_000),
            Line("Activities", "Drug and alcohol awareness sessions", 40_000),
        ),
        answers(
            "Young people cook and eat together, with honest talk about drugs and alcohol.",
            "Local schools report more young people drawn into drug use and dealing.",
            "25 young people complete the course; referrals to support where needed.",
            25,
            [gss.NORTH_WEST_LEICESTERSHIRE],
            ["youth-diversion", "substance-misuse"],
        ),
        _after(3, 4),
        decision=moderated(66),
        score=66,
    ),
    DemoApplication(
        "melton-streetspace",
        "Skate park mentors",
        APPROVED,
        (
            Line("Staff costs", "Mentor fees, 30 sessions", 300_000),
            Line("Equipment", "Helmets and boards to lend", 90_000),
            Line("Publicity", "Posters and social media", 25_000),
            Line("Volunteer expenses", "Travel and refreshments", 35_000),
        ),
        answers(
            "Older skaters mentor younger ones at the skate park on weekend evenings.",
            "The skate park is a hotspot for ASB and damage on Friday and Saturday nights.",
            "Less damage at the skate park; 45 young people take part.",
            45,
            [gss.MELTON],
            ["asb"],
        ),
        _after(17, 6),
        decision=moderated(65),
        score=65,
    ),
    DemoApplication(
        "rutland-rural-watch",
        "Trail cameras for farm crime",
        REJECTED,
        (
            Line("Equipment", "20 trail cameras", 640_000),
            Line("Signage", "Rural watch signs at farm gates", 190_000),
            Line("Running costs", "SIM data contracts, 12 months", 150_000),
        ),
        answers(
            "Cameras on farms and footpaths to deter and record thefts of machinery and fuel.",
            "Farms around Oakham have lost quad bikes and red diesel this year.",
            "Fewer thefts from farms; evidence passed to the rural crime team.",
            35,
            [gss.RUTLAND],
            ["rural-crime"],
        ),
        _after(27, 3),
        decision=moderated(61),
        score=61,
    ),
    DemoApplication(
        "saffron-boxing",
        "New ring and training equipment",
        REJECTED,
        (
            Line("Equipment", "Full-size boxing ring", 745_000),
            Line("Equipment", "Heavy bags and wall frames", 250_000),
        ),
        answers(
            "A proper ring so the club can host its own sparring and events.",
            "The club borrows a ring twice a year and cannot run its own events.",
            "The club can host events and grow its membership.",
            40,
            [gss.LEICESTER],
            ["youth-diversion"],
        ),
        _after(25, 8),
        decision=moderated(52),
        score=52,
    ),
    DemoApplication(
        "highfields-yca",
        "Community iftar and hate crime awareness evening",
        REJECTED,
        (
            Line("Venue and catering", "Hall and food for 150 guests", 240_000),
            Line("Speakers", "Speaker fees", 50_000),
            Line("Publicity", "Invitations and posters", 30_000),
        ),
        answers(
            "An open iftar with talks on reporting hate crime and the support available.",
            "Hate incidents against local mosques have gone unreported.",
            "150 people attend; more hate incidents reported.",
            150,
            [gss.LEICESTER],
            ["hate-crime"],
        ),
        _after(24, 2),
        decision=moderated(48),
        score=48,
    ),
    DemoApplication(
        "melton-streetspace",
        "Town centre mural",
        REJECTED,
        (
            Line("Staff costs", "Artist fees", 500_000),
            Line("Materials", "Paint and materials", 215_000),
            Line("Equipment", "Scaffold hire", 60_000),
        ),
        answers(
            "Young people design and paint a mural on a wall that is often tagged.",
            "Graffiti in the town centre makes people feel the area is neglected.",
            "Less graffiti; 20 young people involved in the design.",
            20,
            [gss.MELTON],
            ["asb"],
        ),
        _after(26, 5),
        decision=moderated(44),
        score=44,
    ),
    DemoApplication(
        "loughborough-wsn",
        "Self-defence classes for women",
        REJECTED,
        (
            Line("Staff costs", "Instructor fees, 12 classes", 180_000),
            Line("Venue hire", "Hall hire", 60_000),
        ),
        answers(
            "A course of self-defence and confidence classes for women.",
            "Women tell us they feel unsafe in the town centre at night.",
            "60 women complete the course and feel more confident.",
            60,
            [gss.CHARNWOOD],
            ["vawg"],
        ),
        _after(22, 4),
        decision=moderated(41),
        score=41,
    ),
    DemoApplication(
        "wigston-youth",
        "E-scooter safety workshops",
        REJECTED,
        (
            Line("Staff costs", "Workshop provider, 15 sessions", 360_000),
            Line("Resources", "Workbooks and helmets to demonstrate", 75_000),
            Line("Venue hire", "Community centre hire", 50_000),
        ),
        answers(
            "Workshops for teenagers on the law and the risks of riding e-scooters.",
            "Collisions involving illegal e-scooters are rising on local roads.",
            "200 teenagers understand the law; fewer e-scooter complaints.",
            200,
            [gss.OADBY_AND_WIGSTON],
            ["road-safety"],
        ),
        _after(19, 6),
        decision=moderated(35),
        score=35,
    ),
)
