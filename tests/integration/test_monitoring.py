"""Staff monitoring of returns: every award's returns in four groups (waiting for review,
overdue, due in the next 30 days, returned to the organisation), filtered by programme, in a
constant number of statements; and the review of one return, whose moves (accept, send back
with comments, waive with a reason) go through the engine, version-checked."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask import Flask

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    BudgetLine,
    MonitoringReturn,
    OutputTarget,
    Programme,
    ProgrammeKind,
    ReturnOutput,
    ReturnSpend,
    ReturnStatus,
    StaffRole,
    utcnow,
)
from tests.conftest import csrf_token, make_document, make_organisation, make_staff, open_round
from tests.integration.staff_pages import (
    bulk_award,
    client_for,
    ledger_events,
    saffron_lane_and_staff,
    statements_run,
)
from workflows.engine import fire

TODAY = london_today()
NARRATIVE = "Forty young people came to at least ten sessions."


def add_return(award: Award, status: ReturnStatus, due_in_days: int, **fields) -> MonitoringReturn:
    monitoring_return = MonitoringReturn(
        award=award,
        period_start=TODAY - dt.timedelta(days=120),
        period_end=TODAY - dt.timedelta(days=30),
        due_date=TODAY + dt.timedelta(days=due_in_days),
        status=status,
        **fields,
    )
    db.session.add(monitoring_return)
    return monitoring_return


@pytest.fixture
def world(ctx) -> dict:
    """Saffron Lane's award on the Prevention Fund with a return in every situation, and
    another organisation's award on a second programme with one submitted return."""
    organisation, member, staff = saffron_lane_and_staff()
    round_ = open_round()
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=member.id,
        project_title="Friday night boxing",
        amount_requested_pence=900_000,
        status=ApplicationStatus.APPROVED,
        budget_lines=[
            BudgetLine(financial_year=2026, category="Coaches", amount_pence=600_000),
            BudgetLine(
                financial_year=2026, category="Venue hire", amount_pence=300_000, position=1
            ),
        ],
        output_targets=[OutputTarget(description="Young people attend ten sessions", target=40)],
    )
    award = Award(
        reference="PF-AWD-0001",
        programme=round_.programme,
        organisation=organisation,
        application=application,
        title="Friday night boxing",
        amount_pence=900_000,
        status=AwardStatus.ACTIVE,
    )
    db.session.add_all([round_, application, award])
    returns = {
        "overdue": add_return(award, ReturnStatus.OPEN, -5),
        "overdue_scheduled": add_return(award, ReturnStatus.SCHEDULED, -1),
        "due": add_return(award, ReturnStatus.SCHEDULED, 10),
        "due_today": add_return(award, ReturnStatus.OPEN, 0),
        "later": add_return(award, ReturnStatus.SCHEDULED, 60),
        "submitted": add_return(
            award,
            ReturnStatus.OPEN,
            -2,
            narrative=NARRATIVE,
            case_study="Jay came every week and now helps coach.",
            risks="The hall may close for repairs in August.",
        ),
        "returned": add_return(award, ReturnStatus.RETURNED, -3, narrative="First go"),
        "accepted": add_return(award, ReturnStatus.ACCEPTED, -40),
        "waived": add_return(award, ReturnStatus.WAIVED, 5),
    }
    other_programme = Programme(
        name="Community Safety Partnerships", slug="csp", kind=ProgrammeKind.COMMUNITY_GRANT
    )
    other_organisation = make_organisation("Coalville Youth Trust")
    other_award = Award(
        reference="CSP-AWD-0001",
        programme=other_programme,
        organisation=other_organisation,
        title="Detached youth work",
        amount_pence=500_000,
        status=AwardStatus.ACTIVE,
    )
    db.session.add_all([other_programme, other_award])
    returns["other"] = add_return(
        other_award, ReturnStatus.SUBMITTED, 1, narrative="Going well", submitted_at=utcnow()
    )
    db.session.commit()

    # The submitted return was sent back once with comments, and sent again with its answers.
    submitted = returns["submitted"]
    lines = application.budget_lines
    submitted.spend = [
        ReturnSpend(budget_line_id=lines[0].id, spent_pence=250_000),
        ReturnSpend(budget_line_id=lines[1].id, spent_pence=120_050),
    ]
    submitted.outputs = [
        ReturnOutput(output_target_id=application.output_targets[0].id, achieved=31)
    ]
    make_document(
        organisation.id,
        member.id,
        "register of attendance.pdf",
        purpose="return_evidence",
        monitoring_return_id=submitted.id,
    )
    fire(member, submitted, "submit")
    fire(staff["officer"], submitted, "send_back", reason="Add the spend on venue hire, please.")
    fire(member, submitted, "submit")
    db.session.commit()
    return {
        "member": member.id,
        "staff": {name: user.id for name, user in staff.items()},
        "returns": {name: r.id for name, r in returns.items()},
        "programme_id": round_.programme.id,
        "other_programme_id": other_programme.id,
        "lines": [line.id for line in lines],
    }


@pytest.fixture
def officer(app, world):
    return client_for(app, world["staff"]["officer"])


def in_group(html: str, group: str) -> set[int]:
    """The return ids listed in one group's table."""
    match = re.search(rf'data-group="{group}".*?</table>', html, re.S)
    return {int(i) for i in re.findall(r'data-return="(\d+)"', match.group(0))} if match else set()


def count_of(html: str, group: str) -> int:
    return int(re.search(rf'id="{group}-count">([\d,]+)<', html).group(1).replace(",", ""))


def return_row(html: str, return_id: int) -> str:
    return re.search(rf'data-return="{return_id}">.*?</tr>', html, re.S).group(0)


def status_of(return_id: int) -> ReturnStatus:
    db.session.expire_all()
    return db.session.get(MonitoringReturn, return_id).status


def events_of(return_id: int) -> list[tuple[str, str | None]]:
    return ledger_events("monitoring_return", return_id)


# The overview ------------------------------------------------------------------------------


def test_each_return_appears_in_its_one_group(officer, world):
    ids = world["returns"]
    response = officer.get("/staff/monitoring")
    assert response.status_code == 200
    html = response.text
    assert in_group(html, "submitted") == {ids["submitted"], ids["other"]}
    # Overdue is derived from the due date: open or scheduled, due before today.
    assert in_group(html, "overdue") == {ids["overdue"], ids["overdue_scheduled"]}
    assert in_group(html, "due") == {ids["due"], ids["due_today"]}
    assert in_group(html, "returned") == {ids["returned"]}
    # Due in more than 30 days, accepted or waived: nothing to watch.
    shown = set().union(*(in_group(html, g) for g in ("submitted", "overdue", "due", "returned")))
    assert not shown & {ids["later"], ids["accepted"], ids["waived"]}
    assert [count_of(html, g) for g in ("submitted", "overdue", "due", "returned")] == [2, 2, 2, 1]


def test_an_overdue_return_shows_how_late_it_is_and_a_due_one_does_not(officer, world):
    html = officer.get("/staff/monitoring").text
    overdue = return_row(html, world["returns"]["overdue"])
    assert "PF-AWD-0001" in overdue and "Saffron Lane Boxing Club" in overdue
    assert "5 days" in overdue
    assert "Not overdue" in return_row(html, world["returns"]["due"])
    assert "3 days" in return_row(html, world["returns"]["returned"])


def test_submitted_returns_are_listed_oldest_first(app, officer, world):
    submitted = db.session.get(MonitoringReturn, world["returns"]["submitted"])
    other = db.session.get(MonitoringReturn, world["returns"]["other"])
    other.submitted_at = submitted.submitted_at - dt.timedelta(days=3)
    db.session.commit()
    html = officer.get("/staff/monitoring").text
    table = re.search(r'data-group="submitted".*?</table>', html, re.S).group(0)
    order = [int(i) for i in re.findall(r'data-return="(\d+)"', table)]
    assert order == [world["returns"]["other"], world["returns"]["submitted"]]


def test_the_programme_filter_narrows_every_group(officer, world):
    html = officer.get(f"/staff/monitoring?programme={world['other_programme_id']}").text
    assert in_group(html, "submitted") == {world["returns"]["other"]}
    assert not in_group(html, "overdue") and not in_group(html, "due")
    html = officer.get(f"/staff/monitoring?programme={world['programme_id']}").text
    assert world["returns"]["other"] not in in_group(html, "submitted")
    assert in_group(html, "overdue") == {
        world["returns"]["overdue"],
        world["returns"]["overdue_scheduled"],
    }


@pytest.mark.parametrize("value", ["999999", "prevention", "1; DROP TABLE"])
def test_a_programme_not_offered_is_a_400_with_the_error_summary(officer, world, value):
    response = officer.get("/staff/monitoring", query_string={"programme": value})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Choose a programme from the list" in response.text


def test_every_staff_role_may_read_the_overview(app, world):
    for user_id in world["staff"].values():
        assert client_for(app, user_id).get("/staff/monitoring").status_code == 200


def test_community_users_cannot_reach_the_staff_pages(app, world):
    client = client_for(app, world["member"])
    return_id = world["returns"]["submitted"]
    assert client.get("/staff/monitoring").status_code == 403
    assert client.get(f"/staff/returns/{return_id}").status_code == 403
    token = csrf_token(client, f"/returns/{return_id}")
    response = client.post(
        f"/staff/returns/{return_id}/accept", data={"csrf_token": token, "accept-version": "1"}
    )
    assert response.status_code == 403
    assert status_of(return_id) is ReturnStatus.SUBMITTED


# The review page ---------------------------------------------------------------------------


def test_the_review_shows_everything_the_organisation_sent(officer, world):
    response = officer.get(f"/staff/returns/{world['returns']['submitted']}")
    assert response.status_code == 200
    html = response.text
    # Spend to date against each budget line, and outputs against their targets.
    assert re.search(r"Coaches.*?£6,000\.00.*?£2,500\.00", html, re.S)
    assert re.search(r"Venue hire.*?£3,000\.00.*?£1,200\.50", html, re.S)
    assert re.search(r"Young people attend ten sessions.*?40.*?31", html, re.S)
    assert NARRATIVE in html
    assert "Jay came every week and now helps coach." in html
    assert "The hall may close for repairs in August." in html
    assert "register of attendance.pdf" in html and "Not scanned" in html
    # The comments made when it was sent back before, from the ledger.
    comments = re.search(r'id="reviewer-comments".*?</dl>', html, re.S).group(0)
    assert "Add the spend on venue hire, please." in comments
    assert "Commissioning officer" in comments
    for button in ("accept-button", "send_back-button"):
        assert f'id="{button}"' in html
    assert 'id="waive-button"' not in html  # only a return not yet sent can be waived


def test_an_unknown_return_is_not_found(officer):
    assert officer.get("/staff/returns/999999").status_code == 404


def version_on(client, return_id: int, trigger: str) -> str:
    html = client.get(f"/staff/returns/{return_id}").text
    return re.search(rf'name="{trigger}-version" type="hidden" value="(\d+)"', html).group(1)


def review(client, return_id: int, trigger: str, reason: str | None = None, version=None):
    data = {
        "csrf_token": csrf_token(client, f"/staff/returns/{return_id}"),
        f"{trigger}-version": version or version_on(client, return_id, trigger),
    }
    if reason is not None:
        data[f"{trigger}-reason"] = reason
    return client.post(f"/staff/returns/{return_id}/{trigger}", data=data)


def test_an_officer_accepts_a_submitted_return_and_the_ledger_records_it(officer, world):
    return_id = world["returns"]["submitted"]
    response = review(officer, return_id, "accept")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/returns/{return_id}"
    assert status_of(return_id) is ReturnStatus.ACCEPTED
    assert events_of(return_id)[-1] == ("accept", None)
    page = officer.get(f"/staff/returns/{return_id}").text
    assert "Return accepted" in page
    assert 'id="accept-button"' not in page


@pytest.mark.parametrize("comments", ["", "   \n  "])
def test_sending_back_without_comments_is_refused_and_changes_nothing(officer, world, comments):
    return_id = world["returns"]["submitted"]
    before = events_of(return_id)
    response = review(officer, return_id, "send_back", comments)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter comments saying what needs to change" in response.text
    assert 'href="#send_back-reason"' in response.text
    assert status_of(return_id) is ReturnStatus.SUBMITTED
    assert events_of(return_id) == before


def test_comments_longer_than_2000_characters_are_refused(officer, world):
    return_id = world["returns"]["submitted"]
    response = review(officer, return_id, "send_back", "x" * 2001)
    assert response.status_code == 400
    assert "2,000 characters or fewer" in response.text
    assert status_of(return_id) is ReturnStatus.SUBMITTED


def test_sending_back_with_comments_returns_it_to_the_organisation(officer, world):
    return_id = world["returns"]["submitted"]
    response = review(officer, return_id, "send_back", "  The case study needs a date.  ")
    assert response.status_code == 302
    assert status_of(return_id) is ReturnStatus.RETURNED
    found = db.session.get(MonitoringReturn, return_id)
    assert found.reviewer_comments == "The case study needs a date."
    assert events_of(return_id)[-1] == ("send_back", "The case study needs a date.")
    html = officer.get("/staff/monitoring").text
    assert return_id in in_group(html, "returned")
    assert return_id not in in_group(html, "submitted")


def test_waiving_an_overdue_return_needs_a_reason(officer, world):
    return_id = world["returns"]["overdue"]
    response = review(officer, return_id, "waive", "")
    assert response.status_code == 400
    assert "Enter why the return is waived" in response.text
    assert status_of(return_id) is ReturnStatus.OPEN

    response = review(officer, return_id, "waive", "The project closed early by agreement.")
    assert response.status_code == 302
    assert status_of(return_id) is ReturnStatus.WAIVED
    assert events_of(return_id)[-1] == ("waive", "The project closed early by agreement.")


def test_a_stale_version_is_refused_and_changes_nothing(officer, world):
    return_id = world["returns"]["submitted"]
    seen = version_on(officer, return_id, "accept")
    before = events_of(return_id)
    response = review(officer, return_id, "accept", version=str(int(seen) - 1))
    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    assert status_of(return_id) is ReturnStatus.SUBMITTED
    assert events_of(return_id) == before


def test_a_move_that_does_not_fit_the_state_is_refused_in_the_error_summary(officer, world):
    return_id = world["returns"]["accepted"]
    version = str(db.session.get(MonitoringReturn, return_id).version)
    response = review(officer, return_id, "accept", version=version)
    assert response.status_code == 400
    assert "You cannot accept the return because the monitoring return is accepted" in (
        response.text
    )


def test_an_assessor_may_read_a_return_but_not_review_it(app, world):
    return_id = world["returns"]["submitted"]
    assessor = client_for(app, world["staff"]["assessor"])
    page = assessor.get(f"/staff/returns/{return_id}")
    assert page.status_code == 200
    assert 'id="accept-button"' not in page.text
    response = review(assessor, return_id, "accept", version="3")
    assert response.status_code == 403
    assert status_of(return_id) is ReturnStatus.SUBMITTED


def test_a_decision_maker_is_refused_by_the_engine(app, world):
    """Decision makers manage awards, but reviewing returns is the officers' move."""
    return_id = world["returns"]["submitted"]
    decider = client_for(app, world["staff"]["decider"])
    version = str(db.session.get(MonitoringReturn, return_id).version)
    response = review(decider, return_id, "accept", version=version)
    assert response.status_code == 400
    assert "You do not have permission to accept the return" in response.text
    assert status_of(return_id) is ReturnStatus.SUBMITTED


def test_a_move_that_is_not_a_review_is_not_found(officer, world):
    return_id = world["returns"]["submitted"]
    response = officer.post(
        f"/staff/returns/{return_id}/submit",
        data={"csrf_token": csrf_token(officer, f"/staff/returns/{return_id}")},
    )
    assert response.status_code == 404


# A constant number of statements -------------------------------------------------------------


def returns_on_many_awards(programme_id: int, count: int, start: int) -> None:
    """``count`` returns, each on its own organisation's award, across every group."""
    situations = [
        (ReturnStatus.SUBMITTED, -1),
        (ReturnStatus.OPEN, -4),
        (ReturnStatus.SCHEDULED, 12),
        (ReturnStatus.RETURNED, 2),
    ]
    for n in range(start, start + count):
        status, due = situations[n % len(situations)]
        add_return(
            bulk_award(programme_id, n), status, due, submitted_at=utcnow(), narrative=json.dumps(n)
        )
    db.session.commit()


def statements_for(app: Flask, user_id: int, url: str) -> tuple[int, str]:
    client = client_for(app, user_id)
    assert client.get(url).status_code == 200  # session and caches warm
    with statements_run(app) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), response.text


def test_the_overview_runs_the_same_statements_with_3_and_60_returns(app, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    db.session.add(programme)
    db.session.commit()
    urls = ["/staff/monitoring", f"/staff/monitoring?programme={programme.id}"]

    returns_on_many_awards(programme.id, 3, 0)
    with_three = [statements_for(app, officer.id, url) for url in urls]
    returns_on_many_awards(programme.id, 57, 3)
    with_sixty = [statements_for(app, officer.id, url) for url in urls]

    assert [count for count, _ in with_three] == [count for count, _ in with_sixty]
    html = with_sixty[0][1]
    assert sum(count_of(html, g) for g in ("submitted", "overdue", "due", "returned")) == 60
    assert "Group 59" in html
    # The session and user, the programmes for the filter, and the returns.
    assert max(count for count, _ in with_sixty) <= 4
