"""Setting up a round: a draft with its dates and money, criteria whose weights add up to 100,
and publishing, which a round without criteria or a budget cannot do."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from grants.extensions import db
from grants.models import Programme, ProgrammeKind, Round, StaffRole, utcnow
from grants.services import rounds
from grants.services.errors import ServiceError
from tests.conftest import make_staff, post_form, sign_in_as

NEXT_YEAR = utcnow().year + 1
ROUND = {
    "name": "Prevention Fund round 3",
    "reference_prefix": "PF",
    "opens_on": ["1", "5", str(NEXT_YEAR)],
    "opens_time": "09:00",
    "closes_on": ["30", "6", str(NEXT_YEAR)],
    "closes_time": "17:00",
    "budget": "100,000",
    "min_award": "500",
    "max_award": "25,000",
    "short_form_threshold": "10,000",
    "funding_threshold_percent": "65",
    "approval_limit": "10,000",
    "who_can_apply": "Community groups in Leicester, Leicestershire and Rutland",
}


@pytest.fixture
def officer(ctx, client):
    programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    db.session.add(programme)
    db.session.commit()
    user = make_staff(StaffRole.COMMISSIONING_OFFICER)
    sign_in_as(client, user)
    return {"programme_id": programme.id, "user": user}


def create(client, programme_id: int, **changes):
    url = f"/staff/programmes/{programme_id}/rounds/new"
    page = client.get(url).text
    year = re.search(r'<option value="(\d{4})"', page).group(1)
    return post_form(client, url, {**ROUND, "financial_year": year, **changes})


def created_round() -> Round:
    db.session.expire_all()
    return db.session.scalars(db.select(Round)).one()


def add_criterion(client, round_id: int, name: str, weight: str):
    url = f"/staff/rounds/{round_id}/criteria/new"
    return post_form(client, url, {"name": name, "weight": weight, "max_score": "5"})


def publish(client, round_id: int):
    return post_form(client, f"/staff/rounds/{round_id}/publish", {}, f"/staff/rounds/{round_id}")


def test_a_round_is_created_as_a_draft_with_london_times(client, officer):
    response = create(client, officer["programme_id"])
    assert response.status_code == 302
    round_ = created_round()
    assert round_.published_at is None
    assert not round_.is_open_at(round_.opens_at + dt.timedelta(days=1))
    # 9am in May is 8am UTC (British Summer Time).
    assert round_.opens_at == dt.datetime(NEXT_YEAR, 5, 1, 8, 0, tzinfo=dt.UTC)
    assert (round_.budget_pence, round_.approval_limit_pence) == (10_000_000, 1_000_000)
    assert round_.funding_threshold_percent == 65


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the name of the round"),
        ({"reference_prefix": "pf1"}, "The prefix must be 2 to 8 capital letters"),
        ({"closes_on": ["30", "2", str(NEXT_YEAR)]}, "must be a real date"),
        ({"closes_time": "25:00"}, "The closing time must be a time like"),
        ({"budget": "lots"}, "Enter an amount in pounds and pence"),
        ({"closes_on": ["1", "4", str(NEXT_YEAR)]}, "The round must close after it opens"),
        ({"min_award": "30,000"}, "The smallest award cannot be more than the largest"),
        ({"max_award": "200,000"}, "The largest award cannot be more than the round"),
        ({"funding_threshold_percent": "101"}, "must be 100 or less"),
    ],
)
def test_bad_round_details_are_refused_and_nothing_is_made(client, officer, changes, message):
    response = create(client, officer["programme_id"], **changes)
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert db.session.scalar(db.select(db.func.count(Round.id))) == 0


def test_a_round_cannot_be_published_without_criteria_adding_up_to_100(client, officer):
    create(client, officer["programme_id"])
    round_id = created_round().id
    refused = publish(client, round_id)
    assert refused.status_code == 400
    assert "Add the scoring criteria" in refused.text
    assert add_criterion(client, round_id, "Need", "60").status_code == 302
    assert "add up to 60" in publish(client, round_id).text
    too_much = add_criterion(client, round_id, "Delivery", "50")
    assert too_much.status_code == 400
    assert "40 is left" in too_much.text
    assert add_criterion(client, round_id, "Delivery", "40").status_code == 302
    published = publish(client, round_id)
    assert published.status_code == 302
    assert created_round().published_at is not None
    # Published criteria are fixed.
    late = add_criterion(client, round_id, "Extra", "1")
    assert late.status_code == 400
    assert "can no longer change" in late.text


def test_a_round_without_a_budget_cannot_be_published(officer):
    round_ = Round(
        programme_id=officer["programme_id"],
        name="No money",
        reference_prefix="NM",
        financial_year=2026,
        opens_at=utcnow(),
        closes_at=utcnow() + dt.timedelta(days=10),
        budget_pence=0,
        min_award_pence=0,
        max_award_pence=0,
        short_form_threshold_pence=0,
        invitation_only=True,
    )
    db.session.add(round_)
    db.session.commit()
    with pytest.raises(ServiceError, match="Give the round a budget"):
        rounds.publish(officer["user"], round_.id)


def test_only_officers_set_up_rounds(app, client, officer):
    assessor = app.test_client()
    sign_in_as(assessor, make_staff(StaffRole.ASSESSOR))
    url = f"/staff/programmes/{officer['programme_id']}/rounds/new"
    assert assessor.get(url).status_code == 403
    assert client.get("/staff/programmes/999/rounds/new").status_code == 404
    assert client.get("/staff/rounds/999").status_code == 404
