"""The organisations of the demo: CSPs, councils, the victims' service provider and community
groups. Councils, CSPs and Catch22 are real; the community groups and their numbers are made up."""

from __future__ import annotations

from typing import Any

from grants.demo import places as gss
from grants.extensions import db
from grants.models import Organisation, OrganisationType

CSP = OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP
COUNCIL = OrganisationType.LOCAL_AUTHORITY

# CSPs have no office of their own; they are reached through the council that hosts them.
CITY_HALL = ("City Hall, 115 Charles Street, Leicester", "LE1 1FZ")
COUNTY_HALL = ("County Hall, Glenfield, Leicester", "LE3 8RA")
CATMOSE = ("Catmose, Oakham, Rutland", "LE15 6HP")
BLABY_OFFICES = ("Council Offices, Desford Road, Narborough", "LE19 2EP")
CHARNWOOD_OFFICES = ("Southfield Road, Loughborough", "LE11 2TX")
HARBOROUGH_OFFICES = ("The Symington Building, Adam and Eve Street, Market Harborough", "LE16 7AG")
MELTON_OFFICES = ("Parkside, Station Approach, Burton Street, Melton Mowbray", "LE13 1GH")
NWL_OFFICES = ("Whitwick Road, Coalville", "LE67 3FJ")
OADBY_OFFICES = ("Brocks Hill Council Offices, Washbrook Lane, Oadby", "LE2 5JJ")

# key: (name, GSS code of the area covered, host address)
CSPS: dict[str, tuple[str, str, tuple[str, str]]] = {
    "csp-leicester": ("Safer Leicester Partnership", gss.LEICESTER, CITY_HALL),
    "csp-rutland": ("Safer Rutland Partnership", gss.RUTLAND, CATMOSE),
    "csp-blaby-hinckley": (
        "Blaby and Hinckley & Bosworth Community Safety Partnership",
        gss.BLABY,
        BLABY_OFFICES,
    ),
    "csp-charnwood": ("Charnwood Community Safety Partnership", gss.CHARNWOOD, CHARNWOOD_OFFICES),
    "csp-harborough": (
        "Harborough Community Safety Partnership",
        gss.HARBOROUGH,
        HARBOROUGH_OFFICES,
    ),
    "csp-melton": ("Melton Community Safety Partnership", gss.MELTON, MELTON_OFFICES),
    "csp-nwl": (
        "North West Leicestershire Community Safety Partnership",
        gss.NORTH_WEST_LEICESTERSHIRE,
        NWL_OFFICES,
    ),
    "csp-oadby-wigston": (
        "Oadby and Wigston Community Safety Partnership",
        gss.OADBY_AND_WIGSTON,
        OADBY_OFFICES,
    ),
}

# key: (name, GSS code, address, website)
COUNCILS: dict[str, tuple[str, str, tuple[str, str], str]] = {
    "leicester-city": ("Leicester City Council", gss.LEICESTER, CITY_HALL, "leicester.gov.uk"),
    "leicestershire-county": (
        "Leicestershire County Council",
        gss.LEICESTERSHIRE_COUNTY,
        COUNTY_HALL,
        "leicestershire.gov.uk",
    ),
    "rutland-county": ("Rutland County Council", gss.RUTLAND, CATMOSE, "rutland.gov.uk"),
    "melton-borough": ("Melton Borough Council", gss.MELTON, MELTON_OFFICES, "melton.gov.uk"),
    "oadby-wigston-borough": (
        "Oadby and Wigston Borough Council",
        gss.OADBY_AND_WIGSTON,
        OADBY_OFFICES,
        "oadby-wigston.gov.uk",
    ),
    "charnwood-borough": (
        "Charnwood Borough Council",
        gss.CHARNWOOD,
        CHARNWOOD_OFFICES,
        "charnwood.gov.uk",
    ),
}

# Fictional groups of every legal form the application form offers.
COMMUNITY_GROUPS: dict[str, dict[str, Any]] = {
    "saffron-boxing": {
        "name": "Saffron Lane Youth Boxing Club",
        "org_type": OrganisationType.COMMUNITY_GROUP,
        "local_authority_code": gss.LEICESTER,
        "address": "Rear hall, 212 Saffron Lane, Leicester",
        "postcode": "LE2 6UB",
    },
    "highfields-yca": {
        "name": "Highfields Youth and Community Association",
        "org_type": OrganisationType.REGISTERED_CHARITY,
        "charity_number": "1098462",
        "local_authority_code": gss.LEICESTER,
        "address": "96 Melbourne Road, Leicester",
        "postcode": "LE2 0DS",
    },
    "loughborough-wsn": {
        "name": "Loughborough Women's Safety Network",
        "org_type": OrganisationType.REGISTERED_CHARITY,
        "charity_number": "1187342",
        "local_authority_code": gss.CHARNWOOD,
        "address": "First floor, 14 Granby Street, Loughborough",
        "postcode": "LE11 3DU",
    },
    "melton-streetspace": {
        "name": "Melton Streetspace CIC",
        "org_type": OrganisationType.CIC,
        "company_number": "13958264",
        "local_authority_code": gss.MELTON,
        "address": "22 Nottingham Street, Melton Mowbray",
        "postcode": "LE13 1NW",
    },
    "coalville-kitchen": {
        "name": "Coalville Community Kitchen",
        "org_type": OrganisationType.CIO,
        "charity_number": "1201456",
        "local_authority_code": gss.NORTH_WEST_LEICESTERSHIRE,
        "address": "5 Marlborough Square, Coalville",
        "postcode": "LE67 3WD",
    },
    "wigston-youth": {
        "name": "Wigston Youth Diversion Trust",
        "org_type": OrganisationType.COMPANY_LIMITED_BY_GUARANTEE,
        "charity_number": "1143870",
        "company_number": "07612398",
        "local_authority_code": gss.OADBY_AND_WIGSTON,
        "address": "Unit 4, Long Street, Wigston",
        "postcode": "LE18 2AJ",
    },
    "rutland-rural-watch": {
        "name": "Rutland Rural Crime Watch",
        "org_type": OrganisationType.COMMUNITY_GROUP,
        "local_authority_code": gss.RUTLAND,
        "address": "Victoria Hall, 39 High Street, Oakham",
        "postcode": "LE15 6AH",
    },
    "braunstone-juniors": {
        "name": "Braunstone Town Juniors Football Club",
        "org_type": OrganisationType.COMMUNITY_GROUP,
        "local_authority_code": gss.BLABY,
        "address": "The Pavilion, Mossdale Meadows, Braunstone Town",
        "postcode": "LE3 2WG",
    },
    "harborough-safe-spaces": {
        "name": "Harborough Safe Spaces",
        "org_type": OrganisationType.CIO,
        "charity_number": "1209874",
        "local_authority_code": gss.HARBOROUGH,
        "address": "2 Church Square, Market Harborough",
        "postcode": "LE16 7NB",
    },
    "hinckley-mentors": {
        "name": "Hinckley and Bosworth Youth Mentoring CIC",
        "org_type": OrganisationType.CIC,
        "company_number": "14203587",
        "local_authority_code": gss.HINCKLEY_AND_BOSWORTH,
        "address": "Unit 3, Hawley Road, Hinckley",
        "postcode": "LE10 0PR",
    },
}


def add_organisations() -> dict[str, Organisation]:
    """Adds every demo organisation to the session and returns them by key."""
    organisations: dict[str, Organisation] = {}
    for key, (name, code, (address, postcode)) in CSPS.items():
        organisations[key] = Organisation(
            name=name, org_type=CSP, local_authority_code=code, address=address, postcode=postcode
        )
    for key, (name, code, (address, postcode), website) in COUNCILS.items():
        organisations[key] = Organisation(
            name=name,
            org_type=COUNCIL,
            local_authority_code=code,
            address=address,
            postcode=postcode,
            website=f"https://www.{website}",
        )
    organisations["catch22"] = Organisation(
        name="Catch22",
        org_type=OrganisationType.REGISTERED_CHARITY,
        charity_number="1124127",
        company_number="06577534",
        address="27 Pear Tree Street, London",
        postcode="EC1V 3AG",
        website="https://www.catch-22.org.uk",
    )
    for key, fields in COMMUNITY_GROUPS.items():
        organisations[key] = Organisation(**fields)
    db.session.add_all(organisations.values())
    return organisations
