"""The application queue of a round: staff filter, search, sort and page through submitted
applications, see counts per status, and officers assign assessors to many at once. A page
costs the same number of SQL statements with 10 applications as with 10,000."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationStatus,
    AssessorAssignment,
    Organisation,
    OrganisationType,
    Place,
    Priority,
    Round,
    StaffRole,
    User,
    utcnow,
)
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    sign_in_as,
)

S = ApplicationStatus
NOW = utcnow()

PRIORITIES = {
    "youth-diversion": "Youth diversion and early intervention",
    "asb": "Anti-social behaviour",
    "rural-crime": "Rural, wildlife and heritage crime",
    "knife-crime": "Knife crime and serious violence",
    "vawg": "Violence against women and girls",
    "domestic-abuse": "Domestic abuse",
    "night-time-economy": "Night-time economy safety",
    "neighbourhood-crime": "Neighbourhood crime and burglary",
    # Part of several other codes: filtering by it must match none of them.
    "crime": "Crime in general",
}
PLACES = {
    "E06000016": "Leicester",
    "E06000017": "Rutland",
    "E07000129": "Blaby",
    "E07000130": "Charnwood",
    "E07000132": "Hinckley and Bosworth",
    "E07000133": "Melton",
    "E07000135": "Oadby and Wigston",
}
# reference number, organisation, status, amount in pence, days since submission,
# priorities, places
APPLICATIONS = [
    (1, "Braunstone Youth Club", S.SUBMITTED, 300_000, 10, "youth-diversion,asb", "E06000016"),
    (2, "Rutland Rural Watch", S.SUBMITTED, 500_000, 9, "rural-crime", "E06000017"),
    (3, "Hinckley Boxing Club", S.IN_ASSESSMENT, 500_001, 8, "knife-crime,youth-diversion",
     "E07000132"),
    (4, "Melton Women's Aid", S.IN_ASSESSMENT, 1_000_000, 7, "vawg,domestic-abuse", "E07000133"),
    (5, "Charnwood Street Pastors", S.INFORMATION_REQUESTED, 1_200_000, 6, "night-time-economy",
     "E07000130,E06000016"),
    (6, "Blaby Neighbourhood Watch", S.APPROVED, 800_000, 5, "neighbourhood-crime", "E07000129"),
    (7, "Oadby Youth Forum", S.REJECTED, 2_000_000, 4, "asb", "E07000135"),
    (8, "Braunstone Youth Club", S.WITHDRAWN, 100_000, 3, "asb", "E06000016"),
]  # fmt: skip
REF = "PF-2627-{:04d}".format
DRAFT_ORGANISATION = "Leicester Knife Angels"
OTHER_ROUND_REF = "PF-2627-0101"


@dataclass
class Queue:
    programme_id: int
    round_id: int
    other_round_id: int
    ids: dict[int, int]  # reference number -> application id
    other_round_application: int
    draft_id: int
    staff: dict[str, int]

    @property
    def url(self) -> str:
        return f"/staff/rounds/{self.round_id}/applications"


def add_application(
    round_,
    organisation,
    creator_id,
    number,
    status,
    amount,
    days,
    priorities,
    places,
    submitted: bool = True,
) -> Application:
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=creator_id,
        project_title=f"Project {number}",
        amount_requested_pence=amount,
        status=status,
        reference=REF(number) if submitted and status is not S.DRAFT else None,
        submitted_at=NOW - dt.timedelta(days=days) if submitted and status is not S.DRAFT else None,
        answers=[
            ApplicationAnswer(question_key="priorities", value=priorities),
            ApplicationAnswer(question_key="places", value=places),
        ],
    )
    db.session.add(application)
    return application


def staff_member(role: StaffRole, name: str, active: bool = True) -> User:
    email = f"{name.lower().replace(' ', '.')}@opcc.example.org"
    user = make_staff(role, email)
    user.full_name = name
    user.is_active = active
    db.session.commit()
    return user


def build_queue(app: Flask) -> Queue:
    """Two rounds: the queue's, with eight applications in every state a queue shows, a draft
    and an assignment; and another round with one application. Staff of every role."""
    with app.app_context():
        db.session.add_all(Priority(code=code, name=name) for code, name in PRIORITIES.items())
        db.session.add_all(Place(gss_code=code, name=name) for code, name in PLACES.items())
        organisations: dict[str, Organisation] = {}
        creator = None
        round_, other_round = open_round(), open_round()
        other_round.programme.slug, other_round.name = "pf-other", "Another round"
        db.session.add_all([round_, other_round])
        for number, name, status, amount, days, priorities, places in APPLICATIONS:
            if name not in organisations:
                organisations[name] = make_organisation(name)
                creator = creator or make_member(organisations[name], "applicant@example.org")
            add_application(
                round_,
                organisations[name],
                creator.id,
                number,
                status,
                amount,
                days,
                priorities,
                places,
            )
        draft = add_application(
            round_,
            make_organisation(DRAFT_ORGANISATION),
            creator.id,
            99,
            S.DRAFT,
            400_000,
            0,
            "knife-crime",
            "E06000016",
        )
        elsewhere = add_application(
            other_round,
            make_organisation("Other Round Group"),
            creator.id,
            101,
            S.SUBMITTED,
            400_000,
            1,
            "asb",
            "E06000016",
        )
        db.session.commit()
        staff = {
            "officer": staff_member(StaffRole.COMMISSIONING_OFFICER, "Olive Officer"),
            "alex": staff_member(StaffRole.ASSESSOR, "Alex Assessor"),
            "bea": staff_member(StaffRole.ASSESSOR, "Bea Assessor"),
            "former": staff_member(StaffRole.ASSESSOR, "Fred Former", active=False),
            "finance": staff_member(StaffRole.FINANCE, "Fin Ance"),
            "decider": staff_member(StaffRole.DECISION_MAKER, "Dee Cider"),
            "admin": staff_member(StaffRole.ADMINISTRATOR, "Ada Admin"),
        }
        ids = {
            number: db.session.scalar(
                select(Application.id).where(Application.reference == REF(number))
            )
            for number, *_ in APPLICATIONS
        }
        db.session.add(
            AssessorAssignment(
                application_id=ids[3],
                assessor_id=staff["alex"].id,
                assigned_by_id=staff["officer"].id,
                assigned_at=NOW,
            )
        )
        db.session.commit()
        return Queue(
            programme_id=round_.programme_id,
            round_id=round_.id,
            other_round_id=other_round.id,
            ids=ids,
            other_round_application=elsewhere.id,
            draft_id=draft.id,
            staff={key: user.id for key, user in staff.items()},
        )


@pytest.fixture
def queue(app: Flask) -> Queue:
    return build_queue(app)


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, user_id))
    return client


@pytest.fixture
def officer(app: Flask, queue: Queue) -> FlaskClient:
    return client_for(app, queue.staff["officer"])


def references(html: str) -> list[int]:
    """The reference numbers in the table, in the order shown."""
    return [int(n) for n in re.findall(r">PF-2627-(\d{4})</a>", html)]


def count_shown(html: str, label: str) -> int:
    match = re.search(rf"{label}: ([\d,]+)<", html)
    assert match, f"no count for {label}"
    return int(match.group(1).replace(",", ""))


# Listing and filtering ---------------------------------------------------------------------


def test_the_queue_lists_the_rounds_submitted_applications_and_no_drafts(officer, queue):
    response = officer.get(queue.url)
    assert response.status_code == 200
    html = response.text
    assert sorted(references(html)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert DRAFT_ORGANISATION not in html
    assert OTHER_ROUND_REF not in html
    assert "Showing 1 to 8 of 8 applications" in html
    assert count_shown(html, "All") == 8
    assert count_shown(html, "Submitted") == 2
    assert count_shown(html, "In assessment") == 2
    assert "Lapsed" not in html  # only drafts lapse
    assert '<td class="govuk-table__cell">Alex Assessor</td>' in html  # on PF-2627-0003
    assert f'href="/staff/applications/{queue.ids[1]}"' in html


def test_applications_never_submitted_are_not_shown_whatever_their_state(app, officer, queue):
    with app.app_context():
        round_ = db.session.get(Round, queue.round_id)
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.name == DRAFT_ORGANISATION)
        )
        creator_id = db.session.scalar(select(User.id).where(User.staff_role.is_(None)))
        for number, status in ((97, S.WITHDRAWN), (98, S.LAPSED)):
            add_application(round_, organisation, creator_id, number, status, 400_000, 0,
                            "asb", "E06000016", submitted=False)  # fmt: skip
        db.session.commit()
    html = officer.get(queue.url).text
    assert DRAFT_ORGANISATION not in html
    assert count_shown(html, "All") == 8
    assert count_shown(html, "Withdrawn") == 1


def test_the_programme_page_links_to_each_rounds_queue(officer, queue):
    html = officer.get(f"/staff/programmes/{queue.programme_id}").text
    assert f'href="{queue.url}">Applications to Round 1</a>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", [1, 2]),
        ("status=information_requested", [5]),
        ("priority=youth-diversion", [1, 3]),
        ("priority=asb", [1, 7, 8]),
        ("priority=crime", []),
        ("place=E06000016", [1, 5, 8]),
        ("place=E07000130", [5]),
        ("assessor=ALEX", [3]),
        ("assessor=none", [1, 2, 4, 5, 6, 7, 8]),
        ("band=up-to-5000", [1, 2, 8]),
        ("band=5000-to-10000", [3, 4, 6]),
        ("band=over-10000", [5, 7]),
        ("q=braunstone", [1, 8]),
        ("q=BRAUNSTONE+youth", [1, 8]),
        ("q=pf-2627-0005", [5]),
        ("q=0007", [7]),
        ("q=%25", []),
        ("q=_", []),
        ("q=Women's", [4]),
        ("priority=asb&band=up-to-5000", [1, 8]),
        ("priority=asb&place=E06000016&status=withdrawn", [8]),
        ("status=&priority=&place=&assessor=&band=&q=", [1, 2, 3, 4, 5, 6, 7, 8]),
    ],
)
def test_each_filter_narrows_the_list(app, officer, queue, query, expected):
    query = query.replace("ALEX", str(queue.staff["alex"]))
    response = officer.get(f"{queue.url}?{query}")
    assert response.status_code == 200
    assert sorted(references(response.text)) == expected
    if not expected:
        assert "No applications match these filters" in response.text


def test_counts_per_status_follow_every_filter_but_status(officer, queue):
    html = officer.get(f"{queue.url}?status=submitted&band=up-to-5000").text
    assert sorted(references(html)) == [1, 2]
    assert count_shown(html, "All") == 3
    assert count_shown(html, "Submitted") == 2
    assert count_shown(html, "Withdrawn") == 1
    assert count_shown(html, "Rejected") == 0
    # The counts link to the same filters with another status.
    assert f'href="{queue.url}?status=withdrawn&amp;band=up-to-5000"' in html
    assert '<strong aria-current="true">Submitted: 2</strong>' in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", [8, 7, 6, 5, 4, 3, 2, 1]),  # most recently submitted first
        ("submitted-asc", [1, 2, 3, 4, 5, 6, 7, 8]),
        ("amount-asc", [8, 1, 2, 3, 6, 4, 5, 7]),
        ("amount-desc", [7, 5, 4, 6, 3, 2, 1, 8]),
        # Braunstone twice: the earlier application first going up, last going down.
        ("organisation-asc", [6, 1, 8, 5, 3, 4, 7, 2]),
        ("organisation-desc", [2, 7, 4, 3, 5, 8, 1, 6]),
        ("reference-asc", [1, 2, 3, 4, 5, 6, 7, 8]),
        ("reference-desc", [8, 7, 6, 5, 4, 3, 2, 1]),
    ],
)
def test_sorting(officer, queue, sort, expected):
    assert references(officer.get(f"{queue.url}?sort={sort}").text) == expected


# Pages ---------------------------------------------------------------------------------------


def add_many(app: Flask, queue: Queue, count: int, first: int = 1000) -> None:
    """More submitted applications in the queue's round, inserted in bulk."""
    with app.app_context():
        organisation_id = db.session.scalar(select(Organisation.id).limit(1))
        creator_id = db.session.scalar(select(User.id).where(User.staff_role.is_(None)))
        rows = [
            {
                "round_id": queue.round_id,
                "organisation_id": organisation_id,
                "created_by_id": creator_id,
                "reference": REF(first + n),
                "status": S.SUBMITTED,
                "project_title": f"Bulk {n}",
                "amount_requested_pence": 200_000,
                "submitted_at": NOW - dt.timedelta(days=30, minutes=n),
            }
            for n in range(count)
        ]
        db.session.execute(insert(Application), rows)
        db.session.commit()


def test_pages_of_fifty_keep_the_filters(app, officer, queue):
    add_many(app, queue, 120)  # 128 in all: pages of 50, 50 and 28
    first = officer.get(f"{queue.url}?band=up-to-5000").text
    assert "Showing 1 to 50 of 123 applications" in first
    assert len(references(first)) == 50
    assert f'href="{queue.url}?band=up-to-5000&amp;page=2" rel="next"' in first

    second = officer.get(f"{queue.url}?band=up-to-5000&page=2").text
    assert "Showing 51 to 100 of 123 applications" in second
    assert f'href="{queue.url}?band=up-to-5000" rel="prev"' in second
    assert 'aria-current="page"' in second
    last = officer.get(f"{queue.url}?band=up-to-5000&page=3").text
    assert "Showing 101 to 123 of 123 applications" in last
    shown = references(first) + references(second) + references(last)
    assert len(shown) == len(set(shown)) == 123


def test_a_page_past_the_end_shows_the_last_page(app, officer, queue):
    add_many(app, queue, 60)
    response = officer.get(f"{queue.url}?page=99")
    assert response.status_code == 200
    assert "Showing 51 to 68 of 68 applications" in response.text
    filtered = officer.get(f"{queue.url}?status=rejected&page=5")
    assert references(filtered.text) == [7]


# "²" (superscript two) and "\u0661" (Arabic-Indic one) are digits to str.isdigit.
@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "9" * 12, "", "²", "\u0661"])
def test_a_page_number_that_is_not_a_whole_number_from_1_is_not_found(officer, queue, page):
    assert officer.get(f"{queue.url}?page={page}").status_code == 404


def test_an_unknown_round_is_not_found(officer):
    assert officer.get("/staff/rounds/999999/applications").status_code == 404


# Wrong filter values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "anchor"),
    [
        ("status=draft", "Choose a status from the list", "#status"),
        ("status=paid", "Choose a status from the list", "#status"),
        ("status=lapsed", "Choose a status from the list", "#status"),
        ("priority=not-a-priority", "Choose a priority from the list", "#priority"),
        ("place=W06000001", "Choose a place from the list", "#place"),
        ("assessor=999999", "Choose an assessor from the list", "#assessor"),
        ("assessor=abc", "Choose an assessor from the list", "#assessor"),
        ("band=lots", "Choose an amount from the list", "#band"),
        ("sort=amount-sideways", "Choose how to sort from the list", "#sort"),
        ("q=" + "x" * 101, "Search must be 100 characters or fewer", "#q"),
    ],
)
def test_a_filter_value_not_offered_is_a_400_with_the_error_summary(
    officer, queue, query, message, anchor
):
    response = officer.get(f"{queue.url}?{query}")
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert message in response.text
    assert f'href="{anchor}"' in response.text
    assert references(response.text) == []
    assert "<title>Error:" in response.text


def test_an_officers_own_id_is_not_an_assessor_to_filter_by(officer, queue):
    response = officer.get(f"{queue.url}?assessor={queue.staff['officer']}")
    assert response.status_code == 400


# Who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alex", "finance", "decider", "admin"])
def test_other_staff_read_the_queue_without_assigning(app, queue, who):
    html = client_for(app, queue.staff[who]).get(queue.url).text
    assert sorted(references(html)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "Assign selected" not in html
    assert 'type="checkbox"' not in html


def test_the_officer_can_tick_only_applications_open_for_assessment(officer, queue):
    html = officer.get(queue.url).text
    ticked = {
        int(v)
        for v in re.findall(r'name="assign-applications" type="checkbox" value="(\d+)"', html)
    }
    assert ticked == {queue.ids[n] for n in (1, 2, 3, 4, 5)}
    assert "Assign selected" in html
    # Only active assessors can be assigned.
    assessor_select = html[html.index('name="assign-assessor"') :]
    assessor_select = assessor_select[: assessor_select.index("</select>")]
    assert "Alex Assessor" in assessor_select and "Bea Assessor" in assessor_select
    assert "Fred Former" not in assessor_select


def test_community_users_and_visitors_cannot_open_the_queue(app, queue):
    with app.app_context():
        member = make_member(make_organisation("Nosy Club"), "nosy@example.org")
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, member.id))
    assert client.get(queue.url).status_code == 403
    visitor = app.test_client().get(queue.url)
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/sign-in")


# Assigning assessors -----------------------------------------------------------------------


def assign(client: FlaskClient, queue: Queue, ids: list[int], assessor: int | str, query: str = ""):
    url = f"{queue.url}{query}"
    token = csrf_token(client, url)
    data = {"csrf_token": token, "assign-assessor": str(assessor), "assign-applications": ids}
    return client.post(url, data=data)


def assignments(app: Flask) -> set[tuple[int, int, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(
                AssessorAssignment.application_id,
                AssessorAssignment.assessor_id,
                AssessorAssignment.assigned_by_id,
            )
        )
        return {(a, b, c) for a, b, c in rows}


def test_an_officer_assigns_an_assessor_to_the_ticked_applications(app, officer, queue):
    bea, alex, by = queue.staff["bea"], queue.staff["alex"], queue.staff["officer"]
    response = assign(officer, queue, [queue.ids[1], queue.ids[2]], bea, "?status=submitted")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{queue.url}?status=submitted"
    page = officer.get(response.headers["Location"]).text
    assert "Bea Assessor assigned to 2 applications" in page
    assert "govuk-notification-banner--success" in page
    assert assignments(app) == {
        (queue.ids[3], alex, by),
        (queue.ids[1], bea, by),
        (queue.ids[2], bea, by),
    }
    # The message is shown once.
    assert "Bea Assessor assigned" not in officer.get(queue.url).text


def test_assigning_again_leaves_existing_assignments_alone(app, officer, queue):
    alex = queue.staff["alex"]
    response = assign(officer, queue, [queue.ids[3], queue.ids[4]], alex)
    page = officer.get(response.headers["Location"]).text
    assert (
        "Alex Assessor assigned to 1 application. They were already assigned to 1 application"
        in page
    )
    assert {row[:2] for row in assignments(app)} == {(queue.ids[3], alex), (queue.ids[4], alex)}


def test_after_assigning_the_page_keeps_its_filters_and_page_and_nothing_else(app, officer, queue):
    query = "?status=submitted&page=1&round_id=5&_scheme=ftp&_external=1"
    response = assign(officer, queue, [queue.ids[1]], queue.staff["bea"], query)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{queue.url}?status=submitted"


def test_another_rounds_drafts_and_decided_applications_are_left_out(app, officer, queue):
    bea = queue.staff["bea"]
    ids = [queue.ids[1], queue.other_round_application, queue.draft_id, queue.ids[6]]
    response = assign(officer, queue, ids, bea)
    assert response.status_code == 302
    page = officer.get(response.headers["Location"]).text
    assert "Bea Assessor assigned to 1 application" in page
    assert "3 applications left out: not open for assessment in this round" in page
    assert {row[:2] for row in assignments(app) if row[1] == bea} == {(queue.ids[1], bea)}


def test_only_applications_of_other_rounds_are_refused(app, officer, queue):
    before = assignments(app)
    response = assign(officer, queue, [queue.other_round_application], queue.staff["bea"])
    assert response.status_code == 400
    assert "None of the selected applications is open for assessment" in response.text
    assert 'href="#assign-applications"' in response.text
    assert assignments(app) == before


@pytest.mark.parametrize("query", ["?status=approved", "?status=rejected"])
def test_a_refusal_on_a_page_with_nothing_to_tick_still_links_somewhere(officer, queue, query):
    response = assign(officer, queue, [queue.ids[6]], queue.staff["bea"], query)
    assert response.status_code == 400
    assert 'href="#assign-applications"' in response.text
    assert 'id="assign-applications"' in response.text


def test_more_applications_than_a_page_holds_are_refused(app, officer, queue):
    before = assignments(app)
    response = assign(officer, queue, list(range(1, 52)), queue.staff["bea"])
    assert response.status_code == 400
    assert "Select at most 50 applications at a time" in response.text
    assert assignments(app) == before


@pytest.mark.parametrize(
    ("tick", "assessor", "messages"),
    [
        (False, "bea", ["Select the applications to assign"]),
        (True, "", ["Choose an assessor to assign"]),
        (False, "", ["Select the applications to assign", "Choose an assessor to assign"]),
        (True, "former", ["Choose an assessor to assign from the list"]),
        (True, "officer", ["Choose an assessor to assign from the list"]),
        (True, "12345678", ["Choose an assessor to assign from the list"]),
    ],
)
def test_assigning_with_something_missing_shows_the_error_summary(
    app, officer, queue, tick, assessor, messages
):
    before = assignments(app)
    assessor_id = queue.staff.get(assessor, assessor)
    response = assign(officer, queue, [queue.ids[1]] if tick else [], assessor_id)
    assert response.status_code == 400
    summary = response.text[response.text.index("govuk-error-summary") :]
    summary = summary[: summary.index("</ul>")]
    assert re.findall(r'<a href="#[\w-]+">([^<]+)</a>', summary) == messages
    assert assignments(app) == before
    # The page still lists the applications, with what was ticked still ticked.
    assert len(references(response.text)) == 8
    if tick:
        assert f'value="{queue.ids[1]}" checked' in response.text


def test_application_ids_that_are_not_numbers_are_refused(app, officer, queue):
    before = assignments(app)
    response = assign(officer, queue, ["1; DROP TABLE applications"], queue.staff["bea"])
    assert response.status_code == 400
    assert "Select the applications from the list" in response.text
    assert assignments(app) == before


@pytest.mark.parametrize("who", ["alex", "finance", "decider", "admin"])
def test_only_officers_may_assign(app, queue, who):
    client = client_for(app, queue.staff[who])
    before = assignments(app)
    response = assign(client, queue, [queue.ids[1]], queue.staff["bea"])
    assert response.status_code == 403
    assert assignments(app) == before


def test_assigning_without_the_csrf_token_is_refused(app, officer, queue):
    before = assignments(app)
    response = officer.post(
        queue.url,
        data={"assign-assessor": queue.staff["bea"], "assign-applications": [queue.ids[1]]},
    )
    assert response.status_code == 400
    assert assignments(app) == before


def test_assigning_in_an_unknown_round_is_not_found(app, officer, queue):
    token = csrf_token(officer, queue.url)
    response = officer.post(
        "/staff/rounds/999999/applications",
        data={
            "csrf_token": token,
            "assign-assessor": queue.staff["bea"],
            "assign-applications": [queue.ids[1]],
        },
    )
    assert response.status_code == 404


# A constant number of statements -------------------------------------------------------------


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends to the database inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def bulk_applications(
    app: Flask, round_id: int, count: int, start: int, assessor_id: int, officer_id: int
) -> None:
    """``count`` applications in every queue status, with answers and some assignments,
    inserted with Core bulk inserts (10,000 take a second or two)."""
    statuses = [s for s in ApplicationStatus if s is not S.DRAFT] + [S.DRAFT]
    priority_codes = list(PRIORITIES)
    place_codes = list(PLACES)
    with app.app_context():
        creator_id = db.session.scalar(select(User.id).where(User.staff_role.is_(None)))
        organisation_ids = list(
            db.session.scalars(
                insert(Organisation).returning(Organisation.id),
                [
                    {"name": f"Group {start + n}", "org_type": OrganisationType.COMMUNITY_GROUP}
                    for n in range(max(1, count // 50))
                ],
            )
        )
        rows = []
        for n in range(start, start + count):
            status = statuses[n % len(statuses)]
            submitted = status not in (S.DRAFT, S.LAPSED)  # only drafts lapse
            rows.append(
                {
                    "round_id": round_id,
                    "organisation_id": organisation_ids[n % len(organisation_ids)],
                    "created_by_id": creator_id,
                    "status": status,
                    "project_title": f"Project {n}",
                    "reference": f"BQ-2627-{n:06d}" if submitted else None,
                    "amount_requested_pence": 100_000 + (n * 7919) % 2_000_000,
                    "submitted_at": NOW - dt.timedelta(minutes=n) if submitted else None,
                }
            )
        ids = list(db.session.scalars(insert(Application).returning(Application.id), rows))
        answers = []
        for n, application_id in enumerate(ids):
            answers.append(
                {
                    "application_id": application_id,
                    "question_key": "priorities",
                    "value": ",".join(priority_codes[n % 8 : n % 8 + 2]),
                }
            )
            answers.append(
                {
                    "application_id": application_id,
                    "question_key": "places",
                    "value": place_codes[n % len(place_codes)],
                }
            )
        db.session.execute(insert(ApplicationAnswer), answers)
        db.session.execute(
            insert(AssessorAssignment),
            [
                {
                    "application_id": application_id,
                    "assessor_id": assessor_id,
                    "assigned_by_id": officer_id,
                    "assigned_at": NOW,
                }
                for application_id in ids[::3]
            ],
        )
        db.session.commit()


QUEUE_PAGES = [
    "",
    "?status=in_assessment",
    "?priority=asb&place=E06000016&band=5000-to-10000&sort=organisation-asc",
    "?assessor=ALEX&sort=amount-desc&page=3",
    "?assessor=none&q=group&sort=reference-asc&page=2",
]


def statement_counts(app: Flask, queue: Queue) -> dict[str, int]:
    """Statements per page: each staff dashboard, and the queue with various filters."""
    counts = {}
    pages = [(role, "/staff") for role in ("officer", "alex", "finance", "decider", "admin")]
    pages += [
        ("officer", queue.url + q.replace("ALEX", str(queue.staff["alex"]))) for q in QUEUE_PAGES
    ]
    pages += [("alex", queue.url + "?sort=amount-asc")]
    for who, url in pages:
        client = client_for(app, queue.staff[who])
        assert client.get(url).status_code == 200, url  # sessions and caches warm
        with statements_run(app) as seen:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[f"{who} {url}"] = len(seen)
    return counts


def test_pages_run_the_same_number_of_statements_with_10_and_10000_applications(app, queue):
    """The queue and every staff dashboard: the same statements, however many applications.
    (The fixture holds 10: eight in the queue, a draft, and one in another round.)"""
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Application)) == 10
    with_ten = statement_counts(app, queue)

    bulk_applications(app, queue.round_id, 9_990, 0, queue.staff["alex"], queue.staff["officer"])
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Application)) == 10_000
    with_ten_thousand = statement_counts(app, queue)

    assert with_ten_thousand == with_ten
    # And few: the session, the user, the round and its options, counts, rows, assessors.
    assert max(count for page, count in with_ten.items() if "/applications" in page) <= 10
