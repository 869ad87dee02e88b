"""Applications in the Prevention Fund round that is open now, one at each stage of its
lifecycle. (This year's CSP annual plans were sent before the year began: grants/demo/csp.py.)"""

from __future__ import annotations

import datetime as dt

from grants.demo import places as gss
from grants.demo.applications import DemoApplication, Line, answers
from grants.models import ApplicationStatus


def _after(days: int, hours: int) -> dt.timedelta:
    # The open round opened three weeks before the demo was loaded, so these are in the past.
    return dt.timedelta(days=days, hours=hours)


PREVENTION_OPEN = (
    DemoApplication(
        "saffron-boxing",
        "Friday night boxing for 11 to 16 year olds",
        ApplicationStatus.DRAFT,
        (
            Line("Staff costs", "Two coaches, 30 Friday evenings", 420_000),
            Line("Venue hire", "Hall hire, Friday evenings", 130_000),
        ),
        {
            "project_summary": "Friday night sessions when young people are most at risk.",
            "places": gss.LEICESTER,
            "priorities": "youth-diversion,knife-crime",
        },
        created_by="treasurer@saffronboxing.example.org",
    ),
    # Three taken early and decided while the round is still open; their awards are in
    # grants.demo.open_round_awards.
    DemoApplication(
        "highfields-yca",
        "Friday night football in Spinney Hill Park",
        ApplicationStatus.APPROVED,
        (
            Line("Staff costs", "Two qualified coaches, 24 Friday nights", 360_000),
            Line("Venue hire", "Floodlit pitch hire", 180_000),
            Line("Equipment", "Balls, bibs and portable goals", 100_000),
        ),
        answers(
            "Free floodlit football on Friday nights, when calls about groups in the park peak.",
            "Friday night ASB calls in Spinney Hill Park doubled over the last winter.",
            "80 young people play regularly; Friday night ASB calls in the park fall.",
            80,
            [gss.LEICESTER],
            ["asb", "youth-diversion"],
        ),
        _after(1, 3),
        decision="Approved in full: the need is clear from the ward's ASB figures and the "
        "group delivered its 2024 project well.",
    ),
    DemoApplication(
        "saffron-boxing",
        "Knife crime workshops at the club",
        ApplicationStatus.APPROVED,
        (
            Line("Staff costs", "Mentor with lived experience, 10 workshops", 300_000),
            Line("Resources", "Workbooks and short films", 90_000),
            Line("Refreshments", "Food after each workshop", 60_000),
        ),
        answers(
            "Ten workshops on knives, the law and getting out, led by a mentor who has been there.",
            "Two of our members were stopped carrying knives this year.",
            "60 young people attend; more say they would walk away from a knife.",
            60,
            [gss.LEICESTER],
            ["knife-crime", "youth-diversion"],
        ),
        _after(2, 5),
        decision="Approved at £3,900 of £4,500: the fund does not pay for refreshments.",
        approved_pence=390_000,
    ),
    DemoApplication(
        "loughborough-wsn",
        "Walk Safe Loughborough: winter nights",
        ApplicationStatus.APPROVED,
        (
            Line("Staff costs", "Volunteer coordinator, October to March", 300_000),
            Line("Volunteer expenses", "Travel and subsistence", 80_000),
            Line("Training", "Bystander training for new volunteers", 60_000),
        ),
        answers(
            "Our trained volunteers walk women home from the town centre on winter weekends.",
            "Our 2024 scheme showed the need is greatest on dark winter nights.",
            "700 safe walks; women report feeling safer in the town centre.",
            700,
            [gss.CHARNWOOD],
            ["vawg", "night-time-economy"],
        ),
        _after(3, 2),
        decision="Approved in full: builds on the 2024 scheme, which met its targets.",
    ),
    DemoApplication(
        "loughborough-wsn",
        "Safe at night: bystander training for Loughborough venues",
        ApplicationStatus.SUBMITTED,
        (
            Line("Training", "Trainer fees, 16 sessions for bar and door staff", 560_000),
            Line("Resources", "Training packs for venue staff", 138_000),
            Line("Staff costs", "Coordinator time to recruit venues", 200_000),
            Line("Publicity", "Ask for Angela posters for venues", 50_000),
        ),
        answers(
            "Bystander and Ask for Angela training for staff in town centre bars and clubs.",
            "Women report harassment in the night-time economy that staff did not step in on.",
            "25 venues trained; 200 staff able to spot and step in on harassment.",
            200,
            [gss.CHARNWOOD],
            ["vawg", "night-time-economy"],
        ),
        _after(15, 11),
    ),
    DemoApplication(
        "rutland-rural-watch",
        "Farm and heritage site watch",
        ApplicationStatus.SUBMITTED,
        (
            Line("Signage", "Watch signs for farms and churches", 145_000),
            Line("Equipment", "8 trail cameras for heritage sites", 240_000),
        ),
        answers(
            "Signs and cameras at farms and churches that have suffered lead and fuel theft.",
            "Three churches lost roof lead in the last year.",
            "No repeat thefts at the sites covered; evidence shared with police.",
            12,
            [gss.RUTLAND],
            ["rural-crime"],
        ),
        _after(17, 4),
    ),
    DemoApplication(
        "melton-streetspace",
        "Detached youth work in Melton town centre",
        ApplicationStatus.IN_ASSESSMENT,
        (
            Line("Staff costs", "Detached youth workers, year 1", 780_000),
            Line("Training", "Training and supervision, year 1", 90_000),
            Line("Resources", "Activity kit, year 1", 60_000),
            Line("Staff costs", "Detached youth workers, year 2", 780_000, year_offset=1),
            Line("Training", "Training and supervision, year 2", 90_000, year_offset=1),
            Line("Evaluation", "Independent evaluation, year 2", 60_000, year_offset=1),
        ),
        answers(
            "Two years of detached youth work in the town centre on Thursday to Saturday nights.",
            "Town centre ASB has risen since the youth centre closed.",
            "100 young people engaged each year; town centre ASB reports fall.",
            100,
            [gss.MELTON],
            ["asb", "youth-diversion"],
        ),
        _after(5, 10),
    ),
    DemoApplication(
        "coalville-kitchen",
        "Cook and connect: evening sessions for young people at risk",
        ApplicationStatus.INFORMATION_REQUESTED,
        (
            Line("Staff costs", "Session leader, 28 evenings", 336_000),
            Line("Food", "Ingredients for shared meals", 198_000),
            Line("Transport", "Taxis home after sessions", 90_000),
        ),
        answers(
            "Building on our 2024 project: cooking evenings for young people referred by schools.",
            "Schools refer young people on the edge of exclusion and drug use.",
            "30 young people complete the course; 20 stay in education.",
            30,
            [gss.NORTH_WEST_LEICESTERSHIRE],
            ["youth-diversion", "substance-misuse"],
        ),
        _after(8, 3),
        decision="Your budget has £900 for taxis home: how many young people need them, and "
        "could the school minibus take them instead?",
    ),
    DemoApplication(
        "wigston-youth",
        "Knife crime awareness workshops in Oadby and Wigston schools",
        ApplicationStatus.IN_ASSESSMENT,
        (
            Line("Staff costs", "Workshop delivery, 30 sessions", 900_000),
            Line("Activities", "Parent and carer evenings", 150_000),
            Line("Resources", "Resources and evaluation", 225_000),
        ),
        answers(
            "Workshops in every secondary school on the law, the risks and how to get out.",
            "Knife possession by under-18s in the borough has doubled in two years.",
            "3,000 pupils reached; more young people say they would report a knife.",
            3000,
            [gss.OADBY_AND_WIGSTON],
            ["knife-crime", "youth-diversion"],
        ),
        _after(9, 9),
        score=64,
        divergent=True,
    ),
    DemoApplication(
        "highfields-yca",
        "Summer football camp",
        ApplicationStatus.WITHDRAWN,
        (
            Line("Staff costs", "Coaches for a two-week camp", 240_000),
            Line("Venue hire", "Pitch hire, ten days", 90_000),
        ),
        answers(
            "A free two-week football camp in the school summer holidays.",
            "Calls about young people in the park rise in August.",
            "60 young people attend at least five days of the camp.",
            60,
            [gss.LEICESTER],
            ["youth-diversion"],
        ),
        _after(4, 20),
        decision="The club has been given sports council funding for the summer camp instead.",
    ),
)
