"""Asking to change a grant: move money between budget lines, change the end date, or change the
outputs, always with reasons; the request is recorded through the engine and the grant's
original amounts stay as they were until an officer decides."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    AuditEvent,
    Award,
    AwardStatus,
    StaffRole,
    User,
    Variation,
    VariationStatus,
)
from tests.conftest import csrf_token, make_member, make_organisation, make_staff, open_round
from tests.conftest import sign_in_as as _sign_in_as
from tests.integration.test_claims import TODAY, make_award
from workflows.engine import fire


@pytest.fixture
def world(app):
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        owner = make_member(organisation, "coach@saffron.example.org")
        round_ = open_round()
        award = make_award(organisation, owner, round_)
        closed = make_award(organisation, owner, round_, "PF-2627-0002", AwardStatus.CLOSED)
        bare = make_award(organisation, owner, round_, "PF-2627-0003", with_application=False)
        lines = {line.category: line.id for line in award.application.budget_lines}
        return {
            "award_id": award.id,
            "closed_id": closed.id,
            "bare_id": bare.id,
            "owner": owner.id,
            "lines": lines,
        }


@pytest.fixture
def member(app, world):
    """The organisation's owner, signed in."""
    client = app.test_client()
    with app.app_context():
        _sign_in_as(client, db.session.get(User, world["owner"]))
    return client


def ask(client, award_id: int, kind: str | None = None, **fields):
    """Answer the second step for ``kind`` (the first step, choosing, has its own tests)."""
    token = csrf_token(client, f"/awards/{award_id}")
    data = {"csrf_token": token, "reason": "The hall we booked closed for repairs"}
    data.update(fields)
    url = f"/awards/{award_id}/variations/new" + (f"?kind={kind}" if kind else "")
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def choose(client, award_id: int, kind: str | None):
    token = csrf_token(client, f"/awards/{award_id}")
    data = {"csrf_token": token} | ({"kind": kind} if kind else {})
    return client.post(f"/awards/{award_id}/variations/new", data=data)


def date_fields(day, month, year) -> dict[str, list[str]]:
    # The three boxes of a GOV.UK date input share the field's name.
    return {"new_end_date": [str(day), str(month), str(year)]}


def variations(app) -> list[Variation]:
    with app.app_context():
        found = list(db.session.scalars(select(Variation).order_by(Variation.id)))
        for variation in found:
            db.session.expunge(variation)
        return found


def requested_id(response) -> int:
    assert response.status_code == 302, response.text
    match = re.fullmatch(r"/variations/(\d+)/requested", response.headers["Location"])
    return int(match.group(1))


def errors_of(response) -> list[str]:
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', response.text, re.S)
    assert summary, "no error summary"
    return [m.strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", summary.group(1), re.S)]


# Each kind ---------------------------------------------------------------------------------


def test_moving_money_between_budget_lines(app, world, member):
    lines = world["lines"]
    response = ask(
        member,
        world["award_id"],
        kind="budget",
        from_line=str(lines["Venue hire"]),
        to_line=str(lines["Equipment"]),
        amount="500",
    )
    variation_id = requested_id(response)
    [variation] = variations(app)
    assert variation.id == variation_id
    assert variation.kind == "budget"
    assert variation.status is VariationStatus.REQUESTED
    assert variation.summary == "Move £500.00 from Venue hire (2026/27) to Equipment (2026/27)"
    assert variation.reason == "The hall we booked closed for repairs"
    assert variation.requested_by_id == world["owner"]
    assert variation.new_end_date is None

    page = member.get(f"/variations/{variation_id}/requested").text
    assert "Request sent" in page and "Move £500.00 from Venue hire (2026/27)" in page

    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.object_type == "variation", AuditEvent.object_id == variation_id
            )
        )
        assert (event.action, event.actor_role, event.to_state) == (
            "create",
            "applicant",
            "requested",
        )
        assert event.actor_id == world["owner"]


def test_changing_the_end_date(app, world, member):
    new_end = TODAY + dt.timedelta(days=500)
    when = date_fields(new_end.day, new_end.month, new_end.year)
    response = ask(member, world["award_id"], kind="end_date", **when)
    requested_id(response)
    [variation] = variations(app)
    assert variation.kind == "end_date" and variation.new_end_date == new_end
    old_end = TODAY + dt.timedelta(days=400)
    assert variation.summary == (
        f"Change the end date from {old_end.day} {old_end:%B %Y} to {new_end.day} {new_end:%B %Y}"
    )
    with app.app_context():
        # The grant keeps its end date until an officer agrees the change.
        assert db.session.get(Award, world["award_id"]).ends_on == old_end


def test_changing_the_outputs(app, world, member):
    response = ask(
        member,
        world["award_id"],
        kind="outputs",
        summary="30 young people instead of 40, as the hall is smaller",
    )
    requested_id(response)
    [variation] = variations(app)
    assert variation.kind == "outputs"
    assert variation.summary == "30 young people instead of 40, as the hall is smaller"


def test_questions_of_a_kind_not_chosen_are_ignored(app, world, member):
    response = ask(
        member,
        world["award_id"],
        kind="outputs",
        summary="Fewer sessions",
        amount="not money",
        from_line="999",
        **date_fields(30, 2, 2027),
    )
    requested_id(response)
    [variation] = variations(app)
    assert variation.new_end_date is None and variation.summary == "Fewer sessions"


# Refusals ----------------------------------------------------------------------------------


def test_choosing_the_kind_of_change_leads_to_its_questions(app, world, member):
    page = member.get(f"/awards/{world['award_id']}/variations/new").text
    assert "Move money between budget lines" in page and "Change the end date" in page
    for kind, question in [
        ("budget", "Move money from"),
        ("end_date", "New end date"),
        ("outputs", "What do you want to change about what the project will deliver?"),
    ]:
        response = choose(member, world["award_id"], kind)
        assert response.status_code == 302
        assert response.headers["Location"] == (
            f"/awards/{world['award_id']}/variations/new?kind={kind}"
        )
        assert question in member.get(response.headers["Location"]).text


@pytest.mark.parametrize("kind", [None, "everything"])
def test_a_kind_must_be_chosen(app, world, member, kind):
    response = choose(member, world["award_id"], kind)
    assert response.status_code == 400
    assert errors_of(response) == ["Select what you want to change"]
    assert variations(app) == []


def test_a_kind_that_is_not_offered_goes_back_to_choosing(app, world, member):
    response = member.get(f"/awards/{world['award_id']}/variations/new?kind=everything")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/awards/{world['award_id']}/variations/new"
    assert ask(member, world["award_id"], kind="everything").status_code == 302
    assert variations(app) == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you need this change"),
        ("x" * 2001, "The reason must be 2,000 characters or fewer"),
    ],
)
def test_reasons_are_required(app, world, member, reason, message):
    response = ask(member, world["award_id"], kind="outputs", summary="Fewer", reason=reason)
    assert response.status_code == 400
    assert errors_of(response) == [message]
    assert variations(app) == []


def test_2000_characters_of_reason_are_enough(app, world, member):
    response = ask(member, world["award_id"], kind="outputs", summary="Fewer", reason="x" * 2000)
    requested_id(response)


@pytest.mark.parametrize(
    ("summary", "message"),
    [("", "Describe the change to your outputs"), ("y" * 2001, "The change must be 2,000")],
)
def test_an_outputs_change_must_say_what_changes(app, world, member, summary, message):
    response = ask(member, world["award_id"], kind="outputs", summary=summary)
    assert response.status_code == 400
    assert errors_of(response)[0].startswith(message)
    assert variations(app) == []


def past(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (date_fields(30, 2, 2027), "New end date must be a real date"),
        (date_fields("", "", ""), "Enter the new end date"),
        (date_fields(1, "", 2027), "New end date must include a month"),
        (
            date_fields(past(1).day, past(1).month, past(1).year),
            "The new end date must be today or in the future",
        ),
        (
            date_fields(past(31).day, past(31).month, past(31).year),
            "The new end date must be after the project starts on",
        ),
    ],
)
def test_a_new_end_date_must_be_real_and_not_in_the_past(app, world, member, fields, message):
    response = ask(member, world["award_id"], kind="end_date", **fields)
    assert response.status_code == 400
    [error] = errors_of(response)
    assert error.startswith(message)
    assert variations(app) == []


def test_the_new_end_date_must_differ_from_the_current_one(app, world, member):
    same = TODAY + dt.timedelta(days=400)
    when = date_fields(same.day, same.month, same.year)
    response = ask(member, world["award_id"], kind="end_date", **when)
    assert response.status_code == 400
    assert errors_of(response) == ["The new end date must be different from the current end date"]


def test_moving_more_than_a_line_holds_is_refused(app, world, member):
    lines = world["lines"]
    response = ask(
        member,
        world["award_id"],
        kind="budget",
        from_line=str(lines["Equipment"]),
        to_line=str(lines["Venue hire"]),
        amount="2,000.01",
    )
    assert response.status_code == 400
    assert errors_of(response) == [
        "You cannot move more than Equipment (2026/27) holds (£2,000.00)"
    ]
    assert variations(app) == []


@pytest.mark.parametrize(
    ("from_line", "to_line", "amount", "message"),
    [
        (None, "Equipment", "10", "Select the budget line to move money from"),
        ("Venue hire", None, "10", "Select the budget line to move money to"),
        ("Venue hire", "Venue hire", "10", "Select a different budget line to move the money to"),
        ("Venue hire", "Equipment", "", "Enter an amount in pounds, like 1250 or 1,250.50"),
        ("Venue hire", "Equipment", "-10", "Enter an amount in pounds and pence"),
        ("Venue hire", "Equipment", "0", "Enter an amount between £0.01"),
    ],
)
def test_a_budget_move_needs_two_lines_and_an_amount(
    app, world, member, from_line, to_line, amount, message
):
    lines = world["lines"]
    response = ask(
        member,
        world["award_id"],
        kind="budget",
        from_line=str(lines[from_line]) if from_line else "",
        to_line=str(lines[to_line]) if to_line else "",
        amount=amount,
    )
    assert response.status_code == 400
    assert errors_of(response)[0].startswith(message)
    assert variations(app) == []


def test_a_budget_line_of_another_grant_is_refused(app, world, member):
    response = ask(
        member,
        world["award_id"],
        kind="budget",
        from_line="999999",
        to_line=str(world["lines"]["Equipment"]),
        amount="10",
    )
    assert response.status_code == 400
    assert errors_of(response) == ["Select the budget line to move money from"]


def test_a_grant_without_budget_lines_offers_no_budget_move(app, world, member):
    page = member.get(f"/awards/{world['bare_id']}/variations/new").text
    assert "Move money between budget lines" not in page
    assert "Change the end date" in page
    response = ask(member, world["bare_id"], kind="budget", amount="10")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/awards/{world['bare_id']}/variations/new"
    assert variations(app) == []


def test_a_grant_that_has_ended_cannot_be_changed(app, world, member):
    page = member.get(f"/awards/{world['closed_id']}")
    assert "Ask to change your grant" not in page.text
    assert member.get(f"/awards/{world['closed_id']}/variations/new").status_code == 409
    response = ask(member, world["closed_id"], kind="outputs", summary="Fewer")
    assert response.status_code == 409
    assert variations(app) == []


def test_the_service_refuses_a_change_to_a_grant_that_has_ended(app, world):
    from grants.services import variations as service
    from grants.services.errors import ServiceError

    with app.test_request_context():
        owner = db.session.get(User, world["owner"])
        with pytest.raises(ServiceError, match="only ask to change a grant that is running"):
            service.request_variation(owner, world["closed_id"], "outputs", "Fewer", "Because")
        assert db.session.scalar(select(func.count()).select_from(Variation)) == 0


# The grant's page --------------------------------------------------------------------------


def test_the_grant_page_shows_requests_and_decisions_with_the_original_budget(app, world, member):
    lines = world["lines"]
    requested_id(
        ask(
            member,
            world["award_id"],
            kind="budget",
            from_line=str(lines["Venue hire"]),
            to_line=str(lines["Equipment"]),
            amount="500",
        )
    )
    page = member.get(f"/awards/{world['award_id']}").text
    assert "Waiting for a decision" in page
    assert "Move £500.00 from Venue hire (2026/27) to Equipment (2026/27)" in page

    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        variation = db.session.scalar(select(Variation))
        fire(officer, variation, "approve", reason="Agreed: the new hall costs less")
        db.session.commit()
    page = member.get(f"/awards/{world['award_id']}").text
    assert "Approved" in page and "Agreed: the new hall costs less" in page
    # The agreed budget is shown as it was agreed; the change is listed beside it.
    assert "£4,000.00" in page and "£2,000.00" in page


def test_another_organisations_variation_is_not_found(app, world, member):
    with app.app_context():
        other = make_organisation("Organisation B Youth Trust")
        outsider = make_member(other, "owner@orgb.example.org")
    variation_id = requested_id(ask(member, world["award_id"], kind="outputs", summary="SECRET-A"))
    client = app.test_client()
    with app.app_context():
        _sign_in_as(client, outsider)
    for url in (
        f"/variations/{variation_id}/requested",
        f"/awards/{world['award_id']}/variations/new",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "SECRET-A" not in response.text
    assert ask(client, world["award_id"], kind="outputs", summary="x").status_code == 404
    assert len(variations(app)) == 1


def test_several_moves_from_one_line_together_cannot_take_more_than_it_holds(app, world):
    from grants.services import variations as service
    from grants.services.errors import ServiceError

    lines = world["lines"]
    with app.test_request_context():
        owner = db.session.get(User, world["owner"])
        moves = [
            service.BudgetMove(lines["Venue hire"], lines["Equipment"], 300_000),
            service.BudgetMove(lines["Venue hire"], lines["Coaches"], 100_001),
        ]
        with pytest.raises(ServiceError, match=r"more than Venue hire \(2026/27\) holds"):
            service.request_variation(owner, world["award_id"], "budget", None, "Why", moves=moves)
        variation = service.request_variation(
            owner, world["award_id"], "budget", None, "Why", moves=moves[:1]
        )
        assert variation.summary == (
            "Move £3,000.00 from Venue hire (2026/27) to Equipment (2026/27)"
        )
        assert db.session.scalar(select(func.count()).select_from(Variation)) == 1
