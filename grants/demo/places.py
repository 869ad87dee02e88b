"""Police and Crime Plan priorities and the places of Leicester, Leicestershire and Rutland."""

from __future__ import annotations

from grants.extensions import db
from grants.models import Place, Priority

# ONS GSS codes, used by places, by councils and CSPs (local_authority_code) and in answers.
LEICESTER = "E06000016"
RUTLAND = "E06000017"
BLABY = "E07000129"
CHARNWOOD = "E07000130"
HARBOROUGH = "E07000131"
HINCKLEY_AND_BOSWORTH = "E07000132"
MELTON = "E07000133"
NORTH_WEST_LEICESTERSHIRE = "E07000134"
OADBY_AND_WIGSTON = "E07000135"
LEICESTERSHIRE_COUNTY = "E10000018"

PLACES = {
    LEICESTER: "Leicester",
    RUTLAND: "Rutland",
    BLABY: "Blaby",
    CHARNWOOD: "Charnwood",
    HARBOROUGH: "Harborough",
    HINCKLEY_AND_BOSWORTH: "Hinckley and Bosworth",
    MELTON: "Melton",
    NORTH_WEST_LEICESTERSHIRE: "North West Leicestershire",
    OADBY_AND_WIGSTON: "Oadby and Wigston",
}

# Short codes are stable: exports and answers refer to priorities by code, not by name.
PRIORITIES = {
    "vawg": "Violence against women and girls",
    "asb": "Anti-social behaviour",
    "knife-crime": "Knife crime and serious violence",
    "neighbourhood-crime": "Neighbourhood crime and burglary",
    "rural-crime": "Rural, wildlife and heritage crime",
    "business-crime": "Business crime",
    "domestic-abuse": "Domestic abuse",
    "hate-crime": "Hate crime",
    "night-time-economy": "Night-time economy safety",
    "victims-witnesses": "Victims and witnesses",
    "substance-misuse": "Substance misuse",
    "youth-diversion": "Youth diversion and early intervention",
    "road-safety": "Road safety",
    "cyber-fraud": "Cyber crime and fraud",
}


def add_places_and_priorities() -> dict[str, Priority]:
    """Adds both to the session and returns the priorities by code."""
    db.session.add_all(Place(name=name, gss_code=code) for code, name in PLACES.items())
    priorities = {code: Priority(code=code, name=name) for code, name in PRIORITIES.items()}
    db.session.add_all(priorities.values())
    return priorities
