"""The public decisions register: anyone can read published decisions, search and page through
them, and take them as JSON; a withheld decision shows its reference, date and exemption only."""

from __future__ import annotations

import datetime as dt

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    DecisionRecord,
    Programme,
    StaffRole,
    utcnow,
)
from tests.conftest import make_member, make_organisation, make_staff, open_round

SECRET_TITLE = "Covert surveillance cameras for Operation Nightjar"
SECRET_ORG = "Nightjar Informants Trust"
EXEMPTION = "Exempt: law enforcement (section 31, Freedom of Information Act 2000)"


def add_decisions(count: int = 1, **fields):  # type: ignore[no-untyped-def]
    """``count`` decision records, one a day going back from today (the first is newest)."""
    round_ = open_round()
    # Each call is its own programme, so a test can add decisions from several.
    round_.programme.slug = f"pf-{db.session.scalar(db.select(db.func.count(Programme.id)))}"
    db.session.add(round_)
    organisation = make_organisation(fields.pop("organisation", "Braunstone Youth Club"))
    member = make_member(organisation, f"owner{organisation.id}@example.org")
    maker = fields.pop("maker", None) or make_staff(
        StaffRole.DECISION_MAKER, f"decider{organisation.id}@opcc.example.org"
    )
    records = []
    for number in range(count):
        application = Application(
            round=round_,
            organisation_id=organisation.id,
            created_by_id=member.id,
            reference=f"PF-{organisation.id:02d}-{number:04d}",
            project_title=fields.get("title", f"Project {number}"),
            status=ApplicationStatus.APPROVED,
        )
        db.session.add(application)
        db.session.flush()
        record = DecisionRecord(
            reference=f"DEC-{application.reference}",
            application_id=application.id,
            decision=fields.get("decision", "approved"),
            title=fields.get("title", f"Project {number}"),
            summary=fields.get("summary", f"Approved: project {number} meets the criteria."),
            amount_pence=fields.get("amount_pence", 500_000 + number),
            decision_maker_id=maker.id,
            decided_at=fields.get("decided_at", utcnow() - dt.timedelta(days=number + 1)),
            interests_declared=fields.get("interests", "None declared"),
            published=fields.get("published", True),
            exemption=fields.get("exemption"),
        )
        db.session.add(record)
        records.append(record)
    db.session.commit()
    return records


def withheld(**fields):  # type: ignore[no-untyped-def]
    return add_decisions(
        1,
        organisation=SECRET_ORG,
        title=SECRET_TITLE,
        summary=f"{SECRET_TITLE}: approved",
        published=False,
        exemption=EXEMPTION,
        amount_pence=1_234_567,
        **fields,
    )[0]


def test_the_register_needs_no_sign_in_and_shows_published_decisions(client, ctx):
    add_decisions(
        1,
        organisation="Saffron Lane Boxing Club",
        title="Boxing after school",
        summary="Approved in full: strong local need.",
        amount_pence=875_000,
        interests="An assessor coaches at the club: did not score it.",
    )
    page = client.get("/decisions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in ("DEC-PF-", "Boxing after school", "Saffron Lane Boxing Club", "£8,750.00"):
        assert shown in html
    assert "Decision maker" in html  # the decision maker's name (make_staff's full name)

    reference = db.session.scalar(db.select(DecisionRecord.reference))
    one = client.get(f"/decisions/{reference}").get_data(as_text=True)
    for shown in (
        "Approved in full: strong local need.",
        "An assessor coaches at the club: did not score it.",
        "£8,750.00",
        "Decision maker",
    ):
        assert shown in one


def test_a_withheld_decision_shows_only_its_reference_date_and_exemption(client, ctx):
    add_decisions(1, title="Boxing after school")
    secret = withheld()
    pages = {
        "register": client.get("/decisions"),
        "decision": client.get(f"/decisions/{secret.reference}"),
        "feed": client.get("/decisions.json"),
        "search by reference": client.get(f"/decisions?q={secret.reference}"),
    }
    for name, response in pages.items():
        text = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert secret.reference in text, name
        assert EXEMPTION in text, name
        assert SECRET_TITLE not in text, name
        assert SECRET_ORG not in text, name
        assert "12,345.67" not in text and "12345.67" not in text, name  # its amount
    entry = next(
        d for d in client.get("/decisions.json").get_json()["decisions"] if not d["published"]
    )
    assert set(entry) == {"reference", "date", "published", "exemption"}


def test_searching_a_withheld_title_or_organisation_does_not_reveal_it(client, ctx):
    withheld()
    for search in ("Nightjar", SECRET_ORG, "surveillance"):
        page = client.get("/decisions", query_string={"q": search}).get_data(as_text=True)
        assert "No decisions match your search." in page
        feed = client.get("/decisions.json", query_string={"q": search}).get_json()
        assert feed["total"] == 0 and feed["decisions"] == []


def test_search_matches_reference_title_and_organisation_case_blind(client, ctx):
    add_decisions(1, organisation="Highfields Youth Association", title="Summer streets")
    add_decisions(1, organisation="Coalville Kitchen", title="Cook, eat, talk")
    for search, expected in (
        ("highfields", "Summer streets"),
        ("COOK, EAT", "Coalville Kitchen"),
        ("DEC-PF-", "Summer streets"),
    ):
        page = client.get("/decisions", query_string={"q": search}).get_data(as_text=True)
        assert expected in page, search
    only = client.get("/decisions", query_string={"q": "highfields"}).get_data(as_text=True)
    assert "Coalville Kitchen" not in only
    # A % in a search is a character, not a wildcard.
    wild = client.get("/decisions", query_string={"q": "%"}).get_data(as_text=True)
    assert "No decisions match your search." in wild


def test_pages_hold_25_newest_first_and_the_feed_links_the_next_page(client, ctx):
    records = add_decisions(30)
    newest, oldest = records[0].reference, records[-1].reference
    first = client.get("/decisions").get_data(as_text=True)
    assert "Showing 1 to 25 of 30 decisions" in first
    assert newest in first and oldest not in first
    assert "govuk-pagination" in first and "?page=2" in first
    second = client.get("/decisions?page=2").get_data(as_text=True)
    assert "Showing 26 to 30 of 30 decisions" in second
    assert oldest in second and newest not in second

    feed = client.get("/decisions.json").get_json()
    assert feed["decisions"][0]["reference"] == newest
    assert len(feed["decisions"]) == 25 and feed["pages"] == 2 and feed["total"] == 30
    assert feed["next"].endswith("/decisions.json?page=2") and feed["previous"] is None
    following = client.get(feed["next"]).get_json()
    assert len(following["decisions"]) == 5
    assert following["next"] is None and following["previous"].endswith("/decisions.json")
    assert feed["threesixty_giving"]["csv"].endswith("/decisions/360giving.csv")


def test_the_feed_keeps_the_search_in_its_next_link(client, ctx):
    add_decisions(26, organisation="Melton Streetspace")
    add_decisions(3, organisation="Rutland Rural Watch")
    feed = client.get("/decisions.json?q=melton").get_json()
    assert feed["total"] == 26
    assert "q=melton" in feed["next"] and "page=2" in feed["next"]


def test_a_page_past_the_end_shows_the_last_page(client, ctx):
    add_decisions(3)
    page = client.get("/decisions?page=9")
    assert page.status_code == 200
    assert "Showing 1 to 3 of 3 decisions" in page.get_data(as_text=True)
    assert client.get("/decisions.json?page=9").get_json()["page"] == 1


def test_bad_query_values_are_a_400_with_the_error_summary(client, ctx):
    add_decisions(1)
    for query in ({"page": "two"}, {"page": "0"}, {"page": "-1"}, {"page": "²"}):
        response = client.get("/decisions", query_string=query)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert "There is a problem" in html and "Page number must be a whole number" in html
        assert "Error:" in html  # in the page title
        feed = client.get("/decisions.json", query_string=query)
        assert feed.status_code == 400
        assert feed.get_json() == {"errors": ["Page number must be a whole number, like 2"]}
    long = client.get("/decisions", query_string={"q": "x" * 101})
    assert long.status_code == 400
    assert "Search must be 100 characters or fewer" in long.get_data(as_text=True)
    assert client.get("/decisions.json", query_string={"q": "x" * 101}).status_code == 400


def test_an_unknown_reference_is_not_found(client, ctx):
    add_decisions(1)
    assert client.get("/decisions/DEC-NOPE").status_code == 404
    assert client.get("/decisions/" + "X" * 200).status_code == 404


def test_an_empty_register_says_so(client, ctx):
    page = client.get("/decisions")
    assert page.status_code == 200
    assert "No decisions have been recorded yet." in page.get_data(as_text=True)
    assert client.get("/decisions.json").get_json()["decisions"] == []


def test_the_360giving_files_are_not_found_before_anything_is_published(client, ctx):
    for url in ("/decisions/360giving.json", "/decisions/360giving.csv"):
        response = client.get(url)
        assert response.status_code == 404
        assert "have not been published yet" in response.get_data(as_text=True)
    register = client.get("/decisions").get_data(as_text=True)
    assert "have not been published in the 360Giving Data Standard yet" in register
