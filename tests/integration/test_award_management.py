"""Staff run an award from its page: any staff member reads it; commissioning officers and
decision makers record conditions as met, move the award through its lifecycle, rate it red,
amber or green, and decide the changes the organisation asks for. Every refusal lands in the
GOV.UK error summary with a 400 and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import london_date
from grants.models import (
    AuditEvent,
    Award,
    AwardCondition,
    AwardRating,
    AwardStatus,
    MonitoringReturn,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeKind,
    Rag,
    ReturnStatus,
    Round,
    StaffRole,
    Variation,
    VariationStatus,
)
from tests.conftest import csrf_token, make_member, make_organisation, make_staff, sign_in_as
from tests.conftest import open_round as _open_round
from tests.integration.test_claims import make_award
from workflows.engine import fire

TODAY = london_today()


@pytest.fixture
def world(app):
    """Saffron Lane's active £10,000 grant with a paid first instalment of £1,000, a return
    overdue and one not yet due, two conditions before the first payment, and a request to
    move its end date; a suspended grant to another organisation in a second programme; and a
    closed one."""
    with app.app_context():
        saffron = make_organisation("Saffron Lane Boxing Club")
        owner = make_member(saffron, "coach@saffron.example.org")
        braunstone = make_organisation("Braunstone Youth Club")
        other_owner = make_member(braunstone, "lead@braunstone.example.org")
        round_ = _open_round()
        award = make_award(saffron, owner, round_)
        award.conditions += [
            AwardCondition(position=0, text="Bank details verified", before_first_payment=True),
            AwardCondition(
                position=1, text="Safeguarding policy in date", before_first_payment=True
            ),
            AwardCondition(position=2, text="Acknowledge the PCC's funding in publicity"),
        ]
        award.payments.append(
            Payment(financial_year=2026, amount_pence=100_000, status=PaymentStatus.PAID)
        )
        award.returns += [
            MonitoringReturn(
                period_start=TODAY - dt.timedelta(days=120),
                period_end=TODAY - dt.timedelta(days=30),
                due_date=TODAY - dt.timedelta(days=2),
                status=ReturnStatus.OPEN,
            ),
            MonitoringReturn(
                period_start=TODAY - dt.timedelta(days=30),
                period_end=TODAY + dt.timedelta(days=60),
                due_date=TODAY + dt.timedelta(days=80),
            ),
        ]
        new_end = TODAY + dt.timedelta(days=500)
        end_date_change = Variation(
            award=award,
            kind="end_date",
            summary="Change the end date",
            reason="The hall closed for three months",
            new_end_date=new_end,
        )
        budget_change = Variation(
            award=award,
            kind="budget",
            summary="Move £500.00 from Venue hire (2026/27) to Equipment (2026/27)",
            reason="Gloves wore out",
        )
        csp = Programme(
            name="Community Safety Partnerships", slug="csp", kind=ProgrammeKind.CSP_ALLOCATION
        )
        db.session.add_all([end_date_change, budget_change, csp])
        db.session.commit()
        suspended = make_award(
            braunstone, other_owner, round_, "CSP-2627-0001", AwardStatus.SUSPENDED
        )
        suspended.programme = csp
        closed = make_award(
            saffron, owner, round_, "PF-2627-0009", AwardStatus.CLOSED, with_application=False
        )
        db.session.commit()
        return {
            "award_id": award.id,
            "suspended_id": suspended.id,
            "closed_id": closed.id,
            "conditions": [c.id for c in award.conditions],
            "end_date_change": end_date_change.id,
            "budget_change": budget_change.id,
            "new_end": new_end,
            "pf_programme": round_.programme.id,
            "csp_programme": csp.id,
            "owner": owner.id,
        }


def staff_client(app, role: StaffRole, email: str | None = None):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, make_staff(role, email or f"{role.value}.awards@opcc.example.org"))
    return client


@pytest.fixture
def officer(app):
    return staff_client(app, StaffRole.COMMISSIONING_OFFICER)


def award_of(app, award_id: int) -> Award:
    with app.app_context():
        award = db.session.get(Award, award_id)
        db.session.expunge(award)
        return award


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        found = list(db.session.scalars(query))
        for event in found:
            db.session.expunge(event)
        return found


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def errors_of(response) -> list[str]:
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', response.text, re.S)
    assert summary, "no error summary"
    return [m.strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", summary.group(1), re.S)]


def post(client, url: str, page: str, prefix: str = "", **fields):
    """POST like the page's form: its CSRF token and the version it shows."""
    text = client.get(page).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text)
    token = token.group(1) if token else csrf_token(client, page)
    name = (lambda field: f"{prefix}-{field}") if prefix else (lambda field: field)
    data = {name("csrf_token"): token}
    version = re.search(rf'name="{name("version")}" type="hidden" value="(\d+)"', text)
    if version:
        data[name("version")] = version.group(1)
    data.update({name(field): value for field, value in fields.items()})
    return client.post(url, data=data)


def move(client, award_id: int, trigger: str, **fields):
    page = f"/staff/awards/{award_id}"
    return post(client, f"{page}/moves/{trigger}", page, trigger, **fields)


def rate(client, award_id: int, **fields):
    page = f"/staff/awards/{award_id}"
    return post(client, f"{page}/ratings", page, "rating", **fields)


def meet(client, award_id: int, condition_id: int, note: str = ""):
    page = f"/staff/awards/{award_id}"
    prefix = f"condition-{condition_id}"
    text = client.get(page).text
    token = re.search(rf'name="{prefix}-csrf_token" type="hidden" value="([^"]+)"', text)
    token = token.group(1) if token else csrf_token(client, page)
    data = {"condition": str(condition_id), f"{prefix}-csrf_token": token, f"{prefix}-note": note}
    return client.post(f"{page}/conditions", data=data)


def decide(client, variation_id: int, **fields):
    page = f"/staff/variations/{variation_id}"
    return post(client, page, page, **fields)


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_every_award_running_ones_first(app, world, officer):
    page = officer.get("/staff/awards")
    assert page.status_code == 200
    references = re.findall(r'href="/staff/awards/\d+">([^<]+)</a>', page.text)
    # Suspended first, then active, then finished.
    assert references == ["CSP-2627-0001", "PF-2627-0001", "PF-2627-0009"]
    assert "Saffron Lane Boxing Club" in page.text
    assert "Community Safety Partnerships" in page.text
    assert "£10,000.00" in page.text
    assert "Showing 1 to 3 of 3 awards" in page.text


def test_the_list_filters_by_programme_and_status(app, world, officer):
    by_programme = officer.get(f"/staff/awards?programme={world['csp_programme']}").text
    assert re.findall(r'href="/staff/awards/\d+">([^<]+)</a>', by_programme) == ["CSP-2627-0001"]
    by_status = officer.get("/staff/awards?status=closed").text
    assert re.findall(r'href="/staff/awards/\d+">([^<]+)</a>', by_status) == ["PF-2627-0009"]
    both = officer.get(f"/staff/awards?programme={world['csp_programme']}&status=active").text
    assert "No awards match these filters." in both


def test_a_filter_value_not_offered_is_a_400_with_the_error_summary(app, world, officer):
    response = officer.get("/staff/awards?status=lost")
    assert response.status_code == 400
    assert errors_of(response) == ["Choose a status from the list"]
    response = officer.get("/staff/awards?programme=99999")
    assert response.status_code == 400
    assert errors_of(response) == ["Choose a programme from the list"]


def test_a_page_number_that_is_not_a_whole_number_is_a_404(app, world, officer):
    assert officer.get("/staff/awards?page=two").status_code == 404
    assert officer.get("/staff/awards?page=0").status_code == 404
    # Past the end shows the last page.
    assert officer.get("/staff/awards?page=7").status_code == 200


def test_the_list_pages_at_50(app, world, officer):
    with app.app_context():
        organisation = make_organisation("Many Grants Trust")
        owner = make_member(organisation, "many@grants.example.org")
        round_ = db.session.scalar(select(Round))
        for number in range(60):
            make_award(
                organisation, owner, round_, f"PF-2627-{1000 + number}", with_application=False
            )
    first = officer.get("/staff/awards").text
    assert "Showing 1 to 50 of 63 awards" in first
    assert 'class="govuk-pagination' in first
    second = officer.get("/staff/awards?page=2").text
    assert "Showing 51 to 63 of 63 awards" in second


# One award -----------------------------------------------------------------------------------


def test_the_award_page_shows_terms_conditions_payments_returns_and_changes(app, world, officer):
    page = officer.get(f"/staff/awards/{world['award_id']}").text
    assert "PF-2627-0001" in page
    assert "2026/27: £6,000.00" in page and "2027/28: £4,000.00" in page
    assert "Bank details verified" in page and "Safeguarding policy in date" in page
    assert "Acknowledge the PCC&#39;s funding in publicity" in page
    assert "£1,000.00" in page  # the paid instalment
    # Only the return whose due date has passed is overdue.
    assert len(re.findall(r"govuk-tag--red\">\s*Overdue", page)) == 1
    assert f'href="/staff/variations/{world["end_date_change"]}"' in page
    assert "Not rated yet" in page


def test_an_unknown_award_or_variation_is_a_404(app, world, officer):
    assert officer.get("/staff/awards/99999").status_code == 404
    assert officer.get("/staff/variations/99999").status_code == 404
    assert move(officer, 99999, "suspend", reason="x").status_code == 404
    # A condition of another award is not found on this one.
    assert meet(officer, world["suspended_id"], world["conditions"][0]).status_code == 404
    assert meet(officer, world["award_id"], 99999).status_code == 404


def test_officers_see_only_the_moves_they_may_make(app, world, officer):
    page = officer.get(f"/staff/awards/{world['award_id']}").text
    moves = re.findall(r'action="/staff/awards/\d+/moves/(\w+)"', page)
    assert moves == ["suspend", "terminate", "close"]
    assert 'action="/staff/awards/{}/ratings"'.format(world["award_id"]) in page
    decider = staff_client(app, StaffRole.DECISION_MAKER)
    page = decider.get(f"/staff/awards/{world['award_id']}").text
    assert re.findall(r'action="/staff/awards/\d+/moves/(\w+)"', page) == ["suspend", "terminate"]
    closed = officer.get(f"/staff/awards/{world['closed_id']}").text
    assert "What you can do" not in closed and "Rate the award" not in closed


# Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [StaffRole.ASSESSOR, StaffRole.FINANCE, StaffRole.ADMINISTRATOR])
def test_other_staff_may_read_but_not_act(app, world, role):
    client = staff_client(app, role)
    award_id = world["award_id"]
    assert client.get(f"/staff/awards/{award_id}").status_code == 200
    assert client.get("/staff/awards").status_code == 200
    assert client.get(f"/staff/variations/{world['end_date_change']}").status_code == 200
    assert "Mark as met" not in client.get(f"/staff/awards/{award_id}").text
    token = csrf_token(client, f"/staff/awards/{award_id}")
    for url in (
        f"/staff/awards/{award_id}/conditions",
        f"/staff/awards/{award_id}/moves/suspend",
        f"/staff/awards/{award_id}/ratings",
        f"/staff/variations/{world['end_date_change']}",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert award_of(app, award_id).status is AwardStatus.ACTIVE
    assert count(app, AwardRating) == 0


def test_community_users_cannot_see_staff_award_pages(app, world):
    member = app.test_client()
    with app.app_context():
        sign_in_as(member, make_member(make_organisation("Nosy Club"), "nosy@club.example.org"))
    for url in (
        "/staff/awards",
        f"/staff/awards/{world['award_id']}",
        f"/staff/variations/{world['end_date_change']}",
    ):
        assert member.get(url).status_code == 403, url
    anonymous = app.test_client()
    response = anonymous.get(f"/staff/awards/{world['award_id']}")
    assert response.status_code == 302
    assert "sign-in" in response.headers["Location"]


# Conditions ----------------------------------------------------------------------------------


def test_an_officer_marks_a_condition_met_once(app, world, officer):
    award_id, condition_id = world["award_id"], world["conditions"][0]
    response = meet(officer, award_id, condition_id, note="Checked against a bank statement")
    assert response.status_code == 302
    with app.app_context():
        condition = db.session.get(AwardCondition, condition_id)
        met_at, met_by, note = condition.met_at, condition.met_by_id, condition.note
    assert met_at is not None and met_by is not None
    assert note == "Checked against a bank statement"
    page = officer.get(f"/staff/awards/{award_id}").text
    assert "Checked against a bank statement" in page
    assert "by Commissioning officer" in page
    # The form is gone; posting again is refused and the record stands.
    second = meet(officer, award_id, condition_id, note="Again")
    assert second.status_code == 400
    assert errors_of(second) == [f"This condition was already met on {london_date(met_at)}"]
    with app.app_context():
        condition = db.session.get(AwardCondition, condition_id)
        assert (condition.met_at, condition.note) == (met_at, "Checked against a bank statement")


def test_a_note_that_is_too_long_is_refused(app, world, officer):
    award_id, condition_id = world["award_id"], world["conditions"][1]
    response = meet(officer, award_id, condition_id, note="x" * 2001)
    assert response.status_code == 400
    assert errors_of(response) == ["The note must be 2,000 characters or fewer"]
    with app.app_context():
        assert db.session.get(AwardCondition, condition_id).met_at is None


# Moves ---------------------------------------------------------------------------------------


def test_suspending_needs_a_reason_and_reinstating_brings_it_back(app, world, officer):
    award_id = world["award_id"]
    refused = move(officer, award_id, "suspend", reason="  ")
    assert refused.status_code == 400
    assert errors_of(refused) == ["Enter why the award is suspended"]
    assert award_of(app, award_id).status is AwardStatus.ACTIVE
    assert events(app, "suspend") == []

    assert move(officer, award_id, "suspend", reason="Safeguarding concern").status_code == 302
    assert award_of(app, award_id).status is AwardStatus.SUSPENDED
    [suspended] = events(app, "suspend")
    assert suspended.reason == "Safeguarding concern"

    assert move(officer, award_id, "reinstate", reason="Concern resolved").status_code == 302
    assert award_of(app, award_id).status is AwardStatus.ACTIVE


def test_terminating_cannot_claw_back_more_than_was_paid(app, world, officer):
    award_id = world["award_id"]
    refused = move(officer, award_id, "terminate", reason="Funds misused", clawback="1,000.01")
    assert refused.status_code == 400
    assert errors_of(refused) == ["The clawback cannot be more than has been paid"]
    award = award_of(app, award_id)
    assert (award.status, award.clawback_pence) == (AwardStatus.ACTIVE, 0)
    assert events(app, "terminate") == []

    missing = move(officer, award_id, "terminate", reason="Funds misused", clawback="")
    assert missing.status_code == 400
    assert errors_of(missing) == ["Enter the amount to claw back, or 0"]

    done = move(officer, award_id, "terminate", reason="Funds misused", clawback="£400")
    assert done.status_code == 302
    award = award_of(app, award_id)
    assert (award.status, award.clawback_pence) == (AwardStatus.TERMINATED, 40_000)


def test_an_award_cannot_close_while_returns_are_outstanding(app, world, officer):
    award_id = world["award_id"]
    refused = move(officer, award_id, "close")
    assert refused.status_code == 400
    assert errors_of(refused) == ["2 monitoring returns are not yet accepted or waived"]
    assert award_of(app, award_id).status is AwardStatus.ACTIVE


def test_a_move_made_on_a_stale_page_is_refused(app, world, officer):
    award_id = world["award_id"]
    page = f"/staff/awards/{award_id}"
    stale = officer.get(page).text
    version = re.search(r'name="suspend-version" type="hidden" value="(\d+)"', stale).group(1)
    token = csrf_token(officer, page)
    with app.app_context():  # someone else suspends and reinstates it meanwhile
        other = make_staff(StaffRole.DECISION_MAKER, "other@opcc.example.org")
        award = db.session.get(Award, award_id)
        fire(other, award, "suspend", reason="Checking a complaint")
        fire(other, award, "reinstate", reason="Complaint unfounded")
        db.session.commit()
    response = officer.post(
        f"{page}/moves/suspend",
        data={"suspend-csrf_token": token, "suspend-version": version, "suspend-reason": "Late"},
    )
    assert response.status_code == 400
    assert errors_of(response) == [
        "Someone else changed this while you were working on it. Check the latest version and "
        "try again"
    ]
    assert award_of(app, award_id).status is AwardStatus.ACTIVE
    assert len(events(app, "suspend")) == 1


# Ratings -------------------------------------------------------------------------------------


def test_a_rating_is_recorded_in_the_ledger_and_kept_as_history(app, world, officer):
    award_id = world["award_id"]
    first = rate(officer, award_id, delivery="green", spend="amber", risk="green",
                 comment="Sessions full; spend a little behind")  # fmt: skip
    assert first.status_code == 302
    decider = staff_client(app, StaffRole.DECISION_MAKER)
    second = rate(decider, award_id, delivery="amber", spend="red", risk="amber",
                  comment="Return overdue")  # fmt: skip
    assert second.status_code == 302

    assert award_of(app, award_id).status is AwardStatus.ACTIVE  # a rating keeps the state
    rated = events(app, "rate")
    assert [(e.from_state, e.to_state, e.reason) for e in rated] == [
        ("active", "active", "Sessions full; spend a little behind"),
        ("active", "active", "Return overdue"),
    ]
    assert json.loads(rated[1].changes) == {"delivery": "amber", "risk": "amber", "spend": "red"}
    with app.app_context():
        ratings = db.session.get(Award, award_id).ratings
        assert [(r.delivery, r.spend, r.risk) for r in ratings] == [
            (Rag.GREEN, Rag.AMBER, Rag.GREEN),
            (Rag.AMBER, Rag.RED, Rag.AMBER),
        ]
        assert ratings[1].rated_by.staff_role is StaffRole.DECISION_MAKER

    page = officer.get(f"/staff/awards/{award_id}").text
    history = page[page.index('id="ratings"') :]
    # Newest first, each with its words (never colour alone) and who rated it.
    assert history.index("Return overdue") < history.index("Sessions full")
    assert re.search(r"govuk-tag--red\">\s*Red", history)
    assert "Decision maker" in history and "Commissioning officer" in history
    listed = officer.get("/staff/awards").text
    assert "Spend: " in listed and re.search(r"govuk-tag--red\">\s*Red", listed)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"delivery": "purple", "spend": "red", "risk": "red", "comment": "x"},
         "Select a rating for delivery"),
        ({"spend": "red", "risk": "red", "comment": "Fine"}, "Select a rating for delivery"),
        ({"delivery": "red", "spend": "red", "risk": "red", "comment": "  "},
         "Enter a comment on the rating"),
        ({"delivery": "red", "spend": "red", "risk": "red", "comment": "x" * 2001},
         "The comment must be 2,000 characters or fewer"),
    ],
)  # fmt: skip
def test_an_invalid_rating_is_refused(app, world, officer, fields, error):
    response = rate(officer, world["award_id"], **fields)
    assert response.status_code == 400
    assert errors_of(response) == [error]
    assert count(app, AwardRating) == 0
    assert events(app, "rate") == []


def test_a_finished_award_cannot_be_rated(app, world, officer):
    closed = world["closed_id"]
    token = csrf_token(officer, f"/staff/awards/{closed}")
    response = officer.post(
        f"/staff/awards/{closed}/ratings",
        data={"rating-csrf_token": token, "rating-version": "1", "rating-delivery": "red",
              "rating-spend": "red", "rating-risk": "red", "rating-comment": "Too late"},
    )  # fmt: skip
    assert response.status_code == 400
    assert errors_of(response) == ["You cannot rate the award because the award is closed"]
    assert count(app, AwardRating) == 0


# Variations ----------------------------------------------------------------------------------


def test_approving_a_new_end_date_moves_the_awards_end(app, world, officer):
    variation_id = world["end_date_change"]
    page = officer.get(f"/staff/variations/{variation_id}").text
    assert "The hall closed for three months" in page
    assert "£10,000.00" in page and "Venue hire" in page  # the original terms stay visible
    response = decide(officer, variation_id, decision="approve", reason="Reasonable delay")
    assert response.status_code == 302
    with app.app_context():
        variation = db.session.get(Variation, variation_id)
        assert variation.status is VariationStatus.APPROVED
        assert variation.decision_reason == "Reasonable delay"
        assert variation.award.ends_on == world["new_end"]
    [approved] = events(app, "approve")
    assert approved.object_type == "variation"
    assert json.loads(approved.changes) == {"new_end_date": world["new_end"].isoformat()}
    # Decided once: a second decision is refused, whether from the page as it was (now stale)
    # or as it is.
    again = officer.post(
        f"/staff/variations/{variation_id}",
        data={"csrf_token": csrf_token(officer, f"/staff/variations/{variation_id}"),
              "version": "1", "decision": "reject", "reason": "Changed my mind"},
    )  # fmt: skip
    assert again.status_code == 400
    assert errors_of(again) == [
        "Someone else changed this while you were working on it. Check the latest version and "
        "try again"
    ]
    with app.app_context():
        version = str(db.session.get(Variation, variation_id).version)
    again = officer.post(
        f"/staff/variations/{variation_id}",
        data={"csrf_token": csrf_token(officer, f"/staff/variations/{variation_id}"),
              "version": version, "decision": "reject", "reason": "Changed my mind"},
    )  # fmt: skip
    assert again.status_code == 400
    assert errors_of(again) == ["You cannot reject the variation because the variation is approved"]


def test_rejecting_needs_reasons_and_changes_nothing_on_the_award(app, world, officer):
    variation_id = world["budget_change"]
    ends_on = award_of(app, world["award_id"]).ends_on
    refused = decide(officer, variation_id, decision="reject", reason=" ")
    assert refused.status_code == 400
    assert errors_of(refused) == ["Enter the reasons for your decision"]
    no_decision = decide(officer, variation_id, reason="Because")
    assert errors_of(no_decision) == ["Select whether to approve or reject the change"]
    with app.app_context():
        assert db.session.get(Variation, variation_id).status is VariationStatus.REQUESTED

    response = decide(officer, variation_id, decision="reject", reason="Equipment is not eligible")
    assert response.status_code == 302
    with app.app_context():
        variation = db.session.get(Variation, variation_id)
        assert variation.status is VariationStatus.REJECTED
        assert variation.decision_reason == "Equipment is not eligible"
        lines = variation.award.application.budget_lines
        assert [line.amount_pence for line in lines] == [400_000, 200_000, 400_000]
    assert award_of(app, world["award_id"]).ends_on == ends_on
    assert "Equipment is not eligible" in officer.get(f"/staff/variations/{variation_id}").text


def test_a_change_cannot_be_approved_once_the_award_has_ended(app, world, officer):
    variation_id = world["end_date_change"]
    with app.app_context():
        decider = make_staff(StaffRole.DECISION_MAKER, "ender@opcc.example.org")
        fire(decider, db.session.get(Award, world["award_id"]), "terminate",
             reason="Organisation dissolved", clawback_pence=0)  # fmt: skip
        db.session.commit()
    response = decide(officer, variation_id, decision="approve", reason="Fine")
    assert response.status_code == 400
    assert errors_of(response) == [
        "The award is terminated, so the change cannot be approved: reject it with your reasons"
    ]
    with app.app_context():
        variation = db.session.get(Variation, variation_id)
        assert variation.status is VariationStatus.REQUESTED
        assert variation.award.ends_on != world["new_end"]
