"""Demo users: OPCC staff of every role, and people who act for the demo organisations.

Everyone shares DEMO_PASSWORD. Each staff member has a fixed authenticator key (base32, the
"enter a setup key" option of any authenticator app), printed by ``flask demo load``:

    officer@opcc.example.org    22BOC2RWXXVX6XZU4FYXNEYRJBQJF2SR
    officer2@opcc.example.org   WRPU6GBGBNOFFDV74ATEC7QZQKKNBX6S
    assessor@opcc.example.org   5WZBJ53YDVHEC3LGCRF7XQUBH5U2VFCA
    assessor2@opcc.example.org  C4IIHYEPYOMOS7BCMH4QANLY2IZHLFL5
    decisions@opcc.example.org  XPSGKAWOUSLLZONYTILQ6LSQZMOEO46N
    finance@opcc.example.org    HCPG2D3VGTGDXKIBTQAQMR27PECXKZBK
    admin@opcc.example.org      JSNYOQYJJDEEFYKVUCHBYWST3U3P44KD

These keys are public, so the demo must never hold real data.
"""

from __future__ import annotations

from dataclasses import dataclass

from grants.extensions import db
from grants.models import Membership, MembershipRole, Organisation, StaffRole, User

DEMO_PASSWORD = "llr-grants-demo"  # noqa: S105 (published on purpose: it is the demo's)


@dataclass(frozen=True)
class StaffMember:
    role: StaffRole
    email: str
    full_name: str
    totp_secret: str


@dataclass(frozen=True)
class OrganisationUser:
    organisation: str  # key in grants.demo.organisations
    email: str
    full_name: str
    role: MembershipRole = MembershipRole.OWNER


STAFF = (
    StaffMember(
        StaffRole.COMMISSIONING_OFFICER,
        "officer@opcc.example.org",
        "Priya Sharma",
        "22BOC2RWXXVX6XZU4FYXNEYRJBQJF2SR",
    ),
    # A second officer: whoever recommended an award may not approve its payments, so the
    # demo's payments are approved by someone other than Priya.
    StaffMember(
        StaffRole.COMMISSIONING_OFFICER,
        "officer2@opcc.example.org",
        "Sam Bhatti",
        "WRPU6GBGBNOFFDV74ATEC7QZQKKNBX6S",
    ),
    StaffMember(
        StaffRole.ASSESSOR,
        "assessor@opcc.example.org",
        "Tom Whitfield",
        "5WZBJ53YDVHEC3LGCRF7XQUBH5U2VFCA",
    ),
    # A second assessor, so scoring by more than one officer and moderation can be shown.
    StaffMember(
        StaffRole.ASSESSOR,
        "assessor2@opcc.example.org",
        "Grace Adeyemi",
        "C4IIHYEPYOMOS7BCMH4QANLY2IZHLFL5",
    ),
    StaffMember(
        StaffRole.DECISION_MAKER,
        "decisions@opcc.example.org",
        "Alex Morgan",
        "XPSGKAWOUSLLZONYTILQ6LSQZMOEO46N",
    ),
    StaffMember(
        StaffRole.FINANCE,
        "finance@opcc.example.org",
        "Helen Cartwright",
        "HCPG2D3VGTGDXKIBTQAQMR27PECXKZBK",
    ),
    StaffMember(
        StaffRole.ADMINISTRATOR,
        "admin@opcc.example.org",
        "Dev Mistry",
        "JSNYOQYJJDEEFYKVUCHBYWST3U3P44KD",
    ),
)

ORGANISATION_USERS = (
    OrganisationUser("saffron-boxing", "coach@saffronboxing.example.org", "Marcus Reid"),
    # A plain member alongside the owner, to show what members may and may not do.
    OrganisationUser(
        "saffron-boxing",
        "treasurer@saffronboxing.example.org",
        "Aisha Khan",
        MembershipRole.MEMBER,
    ),
    OrganisationUser("highfields-yca", "office@highfieldsyca.example.org", "Imran Patel"),
    OrganisationUser("loughborough-wsn", "director@lwsn.example.org", "Claire Dunmore"),
    OrganisationUser("melton-streetspace", "hello@meltonstreetspace.example.org", "Ryan Tolley"),
    OrganisationUser("coalville-kitchen", "chair@coalvillekitchen.example.org", "Sunita Kaur"),
    OrganisationUser("wigston-youth", "manager@wigstonyouth.example.org", "Natalie Osei"),
    OrganisationUser(
        "rutland-rural-watch", "coordinator@rutlandruralwatch.example.org", "Geoff Bramley"
    ),
    OrganisationUser(
        "braunstone-juniors", "secretary@braunstonejuniors.example.org", "Kevin Walsh"
    ),
    OrganisationUser(
        "harborough-safe-spaces", "coordinator@harboroughsafespaces.example.org", "Fiona Marsh"
    ),
    OrganisationUser("hinckley-mentors", "team@hbmentoring.example.org", "Daniel Okafor"),
    OrganisationUser("csp-leicester", "safer-leicester@csp.example.org", "Dawn Fletcher"),
    OrganisationUser("csp-rutland", "safer-rutland@csp.example.org", "Mark Ellison"),
    OrganisationUser("csp-blaby-hinckley", "blaby-hinckley@csp.example.org", "Sarah Quinn"),
    OrganisationUser("csp-charnwood", "charnwood@csp.example.org", "Joe Barker"),
    OrganisationUser("csp-harborough", "harborough@csp.example.org", "Emma Lowe"),
    OrganisationUser("csp-melton", "melton@csp.example.org", "Lucy Hartley"),
    OrganisationUser("csp-nwl", "north-west-leicestershire@csp.example.org", "Paul Draper"),
    OrganisationUser("csp-oadby-wigston", "oadby-wigston@csp.example.org", "Rachel Singh"),
    OrganisationUser("catch22", "victim-first@catch22.example.org", "Olivia Grant"),
)


def owner_email(organisation: str) -> str:
    return next(
        person.email
        for person in ORGANISATION_USERS
        if person.organisation == organisation and person.role is MembershipRole.OWNER
    )


@dataclass(frozen=True)
class Cast:
    """Who acts in the demo's history: the staff by part, and everyone by email."""

    officer: User  # recommends awards and runs the day-to-day moves
    second_officer: User  # approves payments: never the award's recommender or approver
    assessor: User
    decision_maker: User
    finance: User
    users: dict[str, User]

    def owner(self, organisation: str) -> User:
        return self.users[owner_email(organisation)]


def add_people(
    organisations: dict[str, Organisation], password_hash: str
) -> tuple[Cast, list[str]]:
    """Adds every demo user; returns the cast, and the sign-in lines to print."""
    lines = []
    users: dict[str, User] = {}
    for member in STAFF:
        users[member.email] = User(
            email=member.email,
            full_name=member.full_name,
            staff_role=member.role,
            password_hash=password_hash,
            totp_secret=member.totp_secret,
        )
        db.session.add(users[member.email])
        lines.append(
            f"{member.role.label}: {member.email} / {DEMO_PASSWORD}"
            f" / authenticator key {member.totp_secret}"
        )
    for person in ORGANISATION_USERS:
        organisation = organisations[person.organisation]
        user = User(email=person.email, full_name=person.full_name, password_hash=password_hash)
        membership = Membership(user=user, organisation=organisation, role=person.role)
        db.session.add_all([user, membership])
        users[person.email] = user
        if person.role is MembershipRole.OWNER:
            lines.append(f"{organisation.name}: {person.email} / {DEMO_PASSWORD}")
        else:
            lines.append(f"{organisation.name} (member): {person.email} / {DEMO_PASSWORD}")
    cast = Cast(
        officer=users["officer@opcc.example.org"],
        second_officer=users["officer2@opcc.example.org"],
        assessor=users["assessor@opcc.example.org"],
        decision_maker=users["decisions@opcc.example.org"],
        finance=users["finance@opcc.example.org"],
        users=users,
    )
    return cast, lines
