"""Writing a bid to an outside funder on the staff pages: the bid (funder, name, financial
years) is made through the engine as a draft; proposals and interventions (budget per year in
pounds and pence, delivery partner, outputs with targets, match funding) are added and changed
only while it is a draft, each change an ``amend`` on the ledger that records what the bid now
asks for; bad input shows the error summary and changes nothing; then internal approval and
submission as before. Bids are for staff only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.extensions import db
from grants.models import (
    AuditEvent,
    ExternalBid,
    ExternalBidStatus,
    MembershipRole,
    Programme,
    ProgrammeKind,
    StaffRole,
)
from grants.models.bids import BidProposal, Intervention
from grants.services import bid_setup, bids
from grants.services.bid_setup import BidDetails, InterventionDetails
from grants.services.errors import NotFound, ServiceError
from tests.conftest import make_member, make_organisation, make_staff, post_form, sign_in_as
from workflows.engine import fire
from workflows.errors import NotAllowedFromState, NotPermitted

DETAILS = BidDetails("Safer Streets 6", "Home Office", 2026, 2027)


def people() -> dict:
    return {
        "officer": make_staff(StaffRole.COMMISSIONING_OFFICER, "olive@opcc.example.org"),
        "decider": make_staff(StaffRole.DECISION_MAKER, "dee@opcc.example.org"),
        "partner": make_organisation("Melton Community Safety Partnership"),
    }


def hardening(partner_id: int | None, **changes) -> InterventionDetails:
    fields = {
        "title": "Target hardening",
        "partner_id": partner_id,
        "budgets": {2026: 1_000_050, 2027: 2_000_000},
        "first_quarter": 3,
        "match_funding_pence": 250_000,
        "match_funding_source": "Melton Borough Council",
        "outputs": [("Homes target-hardened", 400), ("", 0), ("CCTV cameras installed", 12)],
    }
    return InterventionDetails(**{**fields, **changes})


def events_for(bid: ExternalBid) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "external_bid", AuditEvent.object_id == bid.id)
            .order_by(AuditEvent.seq)
        )
    )


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_bid_is_drafted_with_proposals_and_interventions_through_the_engine(ctx):
    world = people()
    officer, partner = world["officer"], world["partner"]
    bid = bid_setup.create_bid(officer, None, DETAILS)
    assert bid.status is ExternalBidStatus.DRAFTING
    assert (bid.funder_name, bid.title, bid.financial_years) == (
        "Home Office", "Safer Streets 6", [2026, 2027],
    )  # fmt: skip
    assert bid.programme.kind is ProgrammeKind.EXTERNAL_BID
    assert bid.programme.name == "Safer Streets 6" and bid.programme.funder_name == "Home Office"
    assert not bid.allows_transfer_between_years  # the funder's terms: no, until recorded

    proposal = bid_setup.add_proposal(
        officer, bid.id, bid.version, "ASB in Melton", "Anti-social behaviour in the town centre"
    )
    intervention = bid_setup.add_intervention(
        officer, proposal.id, bid.version, hardening(partner.id)
    )
    assert intervention.partner_id == partner.id
    assert [(y.financial_year, y.budget_pence, y.first_quarter) for y in intervention.years] == [
        (2026, 1_000_050, 3), (2027, 2_000_000, 1),
    ]  # fmt: skip
    assert [(o.description, o.target) for o in intervention.outputs] == [
        ("Homes target-hardened", 400), ("CCTV cameras installed", 12),
    ]  # fmt: skip
    assert (intervention.match_funding_pence, intervention.match_funding_source) == (
        250_000, "Melton Borough Council",
    )  # fmt: skip
    # The proposal asks for what its interventions' budgets add up to, and the bid for its
    # proposals'.
    assert [(y.financial_year, y.requested_pence) for y in proposal.years] == [
        (2026, 1_000_050), (2027, 2_000_000),
    ]  # fmt: skip
    assert bid.amount_requested_pence == 3_000_050
    events = events_for(bid)
    assert [e.action for e in events] == ["create", "amend", "amend"]
    assert json.loads(events[-1].amounts) == {"awarded_pence": "0", "requested_pence": "3000050"}
    assert [str(finding) for finding in reconcile()] == []


def test_changing_and_removing_an_intervention_keeps_the_asked_for_figures_in_step(ctx):
    world = people()
    officer, partner = world["officer"], world["partner"]
    bid = bid_setup.create_bid(officer, None, DETAILS)
    proposal = bid_setup.add_proposal(officer, bid.id, bid.version, "ASB in Melton", "")
    first = bid_setup.add_intervention(officer, proposal.id, bid.version, hardening(partner.id))
    second = bid_setup.add_intervention(
        officer, proposal.id, bid.version,
        hardening(partner.id, title="Youth outreach", budgets={2027: 500_000}, outputs=[
            ("Young people reached", 300)]),
    )  # fmt: skip
    assert bid.amount_requested_pence == 3_500_050

    bid_setup.change_intervention(
        officer, first.id, bid.version,
        hardening(partner.id, budgets={2026: 1_000_000}, outputs=[("Homes target-hardened", 350)]),
    )  # fmt: skip
    assert [(o.description, o.target) for o in first.outputs] == [("Homes target-hardened", 350)]
    assert [(y.financial_year, y.requested_pence) for y in proposal.years] == [
        (2026, 1_000_000), (2027, 500_000),
    ]  # fmt: skip
    bid_setup.remove_intervention(officer, second.id, bid.version)
    assert [(y.financial_year, y.requested_pence) for y in proposal.years] == [(2026, 1_000_000)]
    assert bid.amount_requested_pence == 1_000_000
    bid_setup.remove_proposal(officer, proposal.id, bid.version)
    assert bid.proposals == [] and bid.amount_requested_pence == 0
    assert db.session.scalar(select(func.count()).select_from(Intervention)) == 0
    assert [str(finding) for finding in reconcile()] == []


def test_a_new_bid_may_join_an_existing_programme_of_outside_funding(ctx):
    world = people()
    programme = Programme(name="Safer Streets", slug="ss", kind=ProgrammeKind.EXTERNAL_BID)
    grants = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    db.session.add_all([programme, grants])
    db.session.commit()
    assert bid_setup.programme_choices(world["officer"]) == [(programme.id, "Safer Streets")]
    bid = bid_setup.create_bid(world["officer"], programme.id, DETAILS)
    assert bid.programme_id == programme.id
    with pytest.raises(ServiceError, match="programme of outside funding"):
        bid_setup.create_bid(world["officer"], grants.id, DETAILS)


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        (BidDetails("", "Home Office", 2026, 2027), "title", "Enter the name of the bid"),
        (BidDetails("SS6", " ", 2026, 2027), "funder_name", "Enter the name of the funder"),
        (BidDetails("SS6", "Home Office", 2027, 2026), "last_year", "same as or after"),
        (BidDetails("SS6", "Home Office", 2026, 2031), "last_year", "5 financial years at most"),
        (BidDetails("x" * 201, "Home Office", 2026, 2027), "title", "200 characters"),
    ],
)
def test_bad_bid_details_are_refused_and_nothing_is_made(ctx, details, field, message):
    world = people()
    events = event_count()
    with pytest.raises(ServiceError, match=message) as refusal:
        bid_setup.create_bid(world["officer"], None, details)
    assert refusal.value.field == field
    assert db.session.scalar(select(func.count()).select_from(ExternalBid)) == 0
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 0
    assert event_count() == events


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": " "}, "title", "Enter the intervention's title"),
        ({"partner_id": None}, "partner", "Choose the delivery partner"),
        ({"partner_id": 999_999}, "partner", "Choose the delivery partner"),
        ({"budgets": {}}, "budget_2026", "budget for at least one financial year"),
        ({"budgets": {2026: 0, 2027: 0}}, "budget_2026", "budget for at least one"),
        ({"budgets": {2026: -1}}, "budget_2026", "cannot be negative"),
        ({"first_quarter": 5}, "first_quarter", "quarter delivery starts"),
        ({"match_funding_source": ""}, "match_source", "where the match funding comes from"),
        ({"outputs": [("", 0), ("", 0)]}, "output_1_description", "at least one output"),
        ({"outputs": [("", 0), ("Homes", 0)]}, "output_2_target", "Enter a target from 1"),
        ({"outputs": [("", 400)]}, "output_1_description", "Describe the output"),
    ],
)
def test_bad_interventions_are_refused_and_nothing_changes(ctx, changes, field, message):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    version, events = bid.version, event_count()
    with pytest.raises(ServiceError, match=message) as refusal:
        bid_setup.add_intervention(
            world["officer"], proposal.id, bid.version,
            hardening(**{"partner_id": world["partner"].id, **changes}),
        )  # fmt: skip
    assert refusal.value.field == field
    db.session.expire_all()
    assert proposal.interventions == [] and proposal.years == []
    assert (bid.version, bid.amount_requested_pence, event_count()) == (version, 0, events)


def test_a_budget_outside_the_bids_years_is_refused(ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    with pytest.raises(ServiceError, match="does not cover 2030/31"):
        bid_setup.add_intervention(
            world["officer"], proposal.id, bid.version,
            hardening(world["partner"].id, budgets={2030: 100}),
        )  # fmt: skip


def test_the_bid_cannot_stop_covering_a_year_an_intervention_has_a_budget_in(ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    bid_setup.add_intervention(world["officer"], proposal.id, bid.version, hardening(
        world["partner"].id))  # fmt: skip
    with pytest.raises(ServiceError, match="budget in 2027/28") as refusal:
        bid_setup.change_details(
            world["officer"], bid.id, bid.version, BidDetails("SS6", "Home Office", 2026, 2026)
        )
    assert refusal.value.field == "last_year"
    db.session.expire_all()
    assert (bid.title, bid.last_financial_year) == ("Safer Streets 6", 2027)
    bid_setup.change_details(
        world["officer"], bid.id, bid.version, BidDetails("SS6", "Home Office", 2025, 2027)
    )
    assert (bid.title, bid.financial_years) == ("SS6", [2025, 2026, 2027])


def test_titles_are_unique_within_the_bid_and_the_proposal(ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    with pytest.raises(ServiceError, match="already has a proposal"):
        bid_setup.add_proposal(world["officer"], bid.id, bid.version, "asb", "")
    bid_setup.add_intervention(world["officer"], proposal.id, bid.version, hardening(
        world["partner"].id))  # fmt: skip
    with pytest.raises(ServiceError, match="already has an intervention"):
        bid_setup.add_intervention(world["officer"], proposal.id, bid.version, hardening(
            world["partner"].id))  # fmt: skip


def test_a_stale_page_changes_nothing(ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    seen = bid.version
    bid_setup.add_proposal(world["officer"], bid.id, seen, "ASB", "")
    with pytest.raises(ServiceError, match="Someone else changed this"):
        bid_setup.add_proposal(world["officer"], bid.id, seen, "VAWG", "")
    db.session.expire_all()
    assert [p.title for p in bid.proposals] == ["ASB"]


def a_submitted_bid() -> dict:
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    bid_setup.add_intervention(world["officer"], proposal.id, bid.version, hardening(
        world["partner"].id))  # fmt: skip
    bids.move_bid(world["decider"], bid.id, "submit", bid.version, None)
    return {**world, "bid": bid, "proposal": proposal}


def test_once_submitted_the_bid_can_no_longer_be_changed(ctx):
    world = a_submitted_bid()
    officer, bid, proposal = world["officer"], world["bid"], world["proposal"]
    assert bid.status is ExternalBidStatus.SUBMITTED
    with pytest.raises(ServiceError, match="Only a draft bid can be changed"):
        bid_setup.add_proposal(officer, bid.id, bid.version, "VAWG", "")
    with pytest.raises(ServiceError, match="Only a draft bid can be changed"):
        bid_setup.change_intervention(
            officer, proposal.interventions[0].id, bid.version, hardening(world["partner"].id)
        )
    with pytest.raises(ServiceError, match="Only a draft bid can be changed"):
        bid_setup.remove_proposal(officer, proposal.id, bid.version)
    assert [p.title for p in bid.proposals] == ["ASB"]


def test_the_engine_refuses_to_amend_a_bid_that_is_not_a_draft(ctx):
    world = a_submitted_bid()
    with pytest.raises(NotAllowedFromState, match="because the external bid is submitted"):
        fire(world["officer"], world["bid"], "amend")


def test_only_commissioning_officers_write_bids(ctx):
    world = people()
    assert bid_setup.may_create_bids(world["officer"])
    assert not bid_setup.may_create_bids(world["decider"])
    with pytest.raises(ServiceError, match="permission to create"):
        bid_setup.create_bid(world["decider"], None, DETAILS)
    assert db.session.scalar(select(func.count()).select_from(ExternalBid)) == 0
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    with pytest.raises(NotPermitted):
        fire(world["decider"], bid, "amend")


def test_an_empty_draft_cannot_be_submitted(ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    with pytest.raises(ServiceError, match="at least one proposal"):
        bids.move_bid(world["decider"], bid.id, "submit", bid.version, None)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    with pytest.raises(ServiceError, match="ASB has no interventions"):
        bids.move_bid(world["decider"], bid.id, "submit", bid.version, None)
    bid_setup.add_intervention(world["officer"], proposal.id, bid.version, hardening(
        world["partner"].id))  # fmt: skip
    bids.move_bid(world["decider"], bid.id, "submit", bid.version, None)
    assert bid.status is ExternalBidStatus.SUBMITTED


def test_bids_do_not_exist_for_community_users(ctx):
    world = people()
    member = make_member(world["partner"], "lucy@melton.example.org", MembershipRole.OWNER)
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    with pytest.raises(NotFound):
        bid_setup.create_bid(member, None, DETAILS)
    with pytest.raises(NotFound):
        bid_setup.proposal_for(member, proposal.id)
    with pytest.raises(NotFound):
        bid_setup.add_proposal(member, bid.id, bid.version, "VAWG", "")
    with pytest.raises(NotFound):
        bid_setup.partner_choices(member)


# The pages -------------------------------------------------------------------------------------


def error_summary(response) -> str:
    assert response.status_code == 400, response.status_code
    assert "govuk-error-summary" in response.text
    return response.text


def test_the_pages_write_a_bid_from_nothing_to_submitted(client, ctx):
    world = people()
    officer, decider, partner = world["officer"], world["decider"], world["partner"]
    sign_in_as(client, officer)
    assert 'href="/staff/bids/new"' in client.get("/staff/bids").text
    assert client.get("/staff/bids/new").status_code == 200

    # A bid without a funder, and one whose years run backwards: the summary, nothing made.
    new = {"version": "0", "programme": "new", "funder_name": "", "title": "Safer Streets 6",
           "first_year": "2026", "last_year": "2027"}  # fmt: skip
    no_funder = post_form(client, "/staff/bids/new", new)
    assert "Enter the name of the funder" in error_summary(no_funder)
    backwards = {**new, "funder_name": "Home Office", "first_year": "2027", "last_year": "2026"}
    assert "same as or after the first" in error_summary(
        post_form(client, "/staff/bids/new", backwards)
    )
    assert db.session.scalar(select(func.count()).select_from(ExternalBid)) == 0
    made = post_form(client, "/staff/bids/new", {**new, "funder_name": "Home Office"})
    assert made.status_code == 302
    bid = db.session.scalars(select(ExternalBid)).one()
    page = f"/staff/bids/{bid.id}"
    assert made.headers["Location"] == page
    assert "Add a proposal" in client.get(page).text

    # A proposal, then an intervention to it.
    add = f"{page}/proposals/new"
    assert "Enter the proposal" in error_summary(
        post_form(client, add, {"version": bid.version, "title": ""})
    )
    assert post_form(client, add, {"version": bid.version, "title": "ASB in Melton",
                                   "summary": "Town centre"}).status_code == 302  # fmt: skip
    proposal = db.session.scalars(select(BidProposal)).one()
    add_intervention = f"/staff/bids/proposals/{proposal.id}/interventions/new"
    assert client.get(add_intervention).status_code == 200
    db.session.refresh(bid)
    intervention = {
        "version": bid.version, "title": "Target hardening", "partner": str(partner.id),
        "budget_2026": "10,000.50", "budget_2027": "20000", "first_quarter": "3",
        "match_funding": "2500", "match_source": "Melton Borough Council",
        "output_1_description": "Homes target-hardened", "output_1_target": "400",
    }  # fmt: skip
    for bad, message in (
        ({"budget_2026": "ten pounds"}, "Enter an amount in pounds and pence"),
        ({"budget_2026": "", "budget_2027": ""}, "budget for at least one financial year"),
        ({"partner": ""}, "Choose the delivery partner"),
        ({"match_source": ""}, "where the match funding comes from"),
        ({"output_1_target": "lots"}, "must be a whole number"),
        ({"output_1_description": "", "output_1_target": ""}, "at least one output"),
    ):
        refused = post_form(client, add_intervention, {**intervention, **bad})
        assert message in error_summary(refused), bad
    db.session.refresh(bid)
    assert proposal.interventions == [] and bid.amount_requested_pence == 0
    assert post_form(client, add_intervention, intervention).status_code == 302
    db.session.refresh(bid)
    assert bid.amount_requested_pence == 3_000_050
    shown = client.get(page).text
    assert "Target hardening" in shown and "£30,000.50" in shown

    # Changing it: the form shows what was saved.
    (saved,) = db.session.scalars(select(Intervention)).all()
    edit = f"/staff/bids/interventions/{saved.id}/edit"
    form = client.get(edit).text
    assert 'value="10000.50"' in form and 'value="Homes target-hardened"' in form
    assert post_form(client, edit, {**intervention, "version": bid.version,
                                    "budget_2027": "19,999.99"}).status_code == 302  # fmt: skip
    db.session.refresh(bid)
    assert bid.amount_requested_pence == 1_000_050 + 1_999_999

    # The decision maker approves and submits it; then nothing can be changed.
    sign_in_as(client, decider)
    submitted = post_form(client, f"{page}/moves/submit", {"submit-version": bid.version})
    assert submitted.status_code == 302
    db.session.refresh(bid)
    assert bid.status is ExternalBidStatus.SUBMITTED
    sign_in_as(client, officer)
    assert "Add a proposal" not in client.get(page).text
    too_late = post_form(client, add, {"version": bid.version, "title": "VAWG"}, token_from=page)
    assert "Only a draft bid can be changed" in error_summary(too_late)
    assert [p.title for p in bid.proposals] == ["ASB in Melton"]
    assert [str(finding) for finding in reconcile()] == []


def test_the_pages_change_and_remove_parts_of_the_draft(client, ctx):
    world = people()
    officer = world["officer"]
    bid = bid_setup.create_bid(officer, None, DETAILS)
    proposal = bid_setup.add_proposal(officer, bid.id, bid.version, "ASB", "")
    intervention = bid_setup.add_intervention(
        officer, proposal.id, bid.version, hardening(world["partner"].id)
    )
    sign_in_as(client, officer)
    details = f"/staff/bids/{bid.id}/details"
    assert 'value="Safer Streets 6"' in client.get(details).text
    narrower = {"version": bid.version, "funder_name": "Home Office", "title": "SS6",
                "first_year": "2026", "last_year": "2026"}  # fmt: skip
    assert "budget in 2027/28" in error_summary(post_form(client, details, narrower))
    assert post_form(client, details, {**narrower, "last_year": "2028"}).status_code == 302
    db.session.refresh(bid)
    assert (bid.title, bid.financial_years) == ("SS6", [2026, 2027, 2028])

    # A stale version is refused on the remove button, and nothing is removed.
    remove = f"/staff/bids/interventions/{intervention.id}/remove"
    stale = post_form(client, remove, {"remove-version": bid.version - 1},
                      token_from=f"/staff/bids/interventions/{intervention.id}/edit")  # fmt: skip
    assert "Someone else changed this" in error_summary(stale)
    assert post_form(client, remove, {"remove-version": bid.version},
                     token_from=f"/staff/bids/interventions/{intervention.id}/edit"
                     ).status_code == 302  # fmt: skip
    db.session.refresh(bid)
    proposal_page = f"/staff/bids/proposals/{proposal.id}"
    assert post_form(client, proposal_page, {"version": bid.version, "title": "ASB in Melton",
                                             "summary": ""}).status_code == 302  # fmt: skip
    db.session.refresh(bid)
    assert [p.title for p in bid.proposals] == ["ASB in Melton"]
    assert post_form(client, f"{proposal_page}/remove", {"remove-version": bid.version},
                     token_from=proposal_page).status_code == 302  # fmt: skip
    db.session.refresh(bid)
    assert bid.proposals == [] and bid.amount_requested_pence == 0


def test_only_managing_staff_reach_the_writing_pages(client, ctx):
    world = people()
    bid = bid_setup.create_bid(world["officer"], None, DETAILS)
    proposal = bid_setup.add_proposal(world["officer"], bid.id, bid.version, "ASB", "")
    pages = ["/staff/bids/new", f"/staff/bids/{bid.id}/details",
             f"/staff/bids/{bid.id}/proposals/new", f"/staff/bids/proposals/{proposal.id}",
             f"/staff/bids/proposals/{proposal.id}/interventions/new"]  # fmt: skip
    sign_in_as(client, make_staff(StaffRole.FINANCE, "fin@opcc.example.org"))
    assert client.get(f"/staff/bids/{bid.id}").status_code == 200  # staff may read bids
    for url in pages:
        assert client.get(url).status_code == 403, url
    sign_in_as(client, make_member(world["partner"], "lucy@melton.example.org"))
    for url in [f"/staff/bids/{bid.id}", *pages]:
        assert client.get(url).status_code in (403, 404), url
        assert "Safer Streets 6" not in client.get(url).text
    sign_in_as(client, world["officer"])
    for url in ("/staff/bids/proposals/999999", "/staff/bids/999999/details",
                "/staff/bids/interventions/999999/edit"):  # fmt: skip
        assert client.get(url).status_code == 404, url
