"""What the office claims from the funder in its quarterly return: each intervention's claim
starts as what its partners spent and the officer may lower it on the draft (never above the
spend, never below nothing), so a return whose partners overspent can still be signed off; and
the cap on the claims is per proposal and financial year unless the bid records that the funder
allows moving money between years, when it is the proposal's award across its years."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.extensions import db
from grants.models import AuditEvent, PaymentStatus
from grants.models.bids import FunderReturnStatus, ProposalYear
from grants.services import bids, rollup
from grants.services.errors import ServiceError
from tests.conftest import post_form, sign_in_as
from tests.integration.test_rollup import (
    IN_QUARTER,
    QUARTER,
    YEAR,
    a_bid,
    claim,
    partner_award,
    submitted_in_order,
)
from workflows.engine import fire
from workflows.errors import GuardFailed, NotAllowedFromState, NotPermitted

# a_bid(awarded_pence=60_000): one proposal awarded £600 for 2024/25; two interventions.


def overspent() -> dict:
    """The partners of both interventions spent £700 in July to September 2024 between them,
    £100 more than the funder's £600 for the year; the draft return claims all of it."""
    world = a_bid(awarded_pence=60_000)
    first, second = world["interventions"]
    claim(partner_award(first, 1), 40_000, PaymentStatus.PAID, IN_QUARTER)
    claim(partner_award(second, 1), 30_000, PaymentStatus.APPROVED, IN_QUARTER)
    db.session.commit()
    world["return"] = submitted_in_order(world)
    return world


def claims_of(funder_return) -> list[tuple[int, int]]:
    return [(line.spent_pence, line.claimed_pence) for line in funder_return.lines]


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_claiming_less_than_was_spent_lets_an_overspent_return_be_signed_off(ctx):
    world = overspent()
    funder_return = world["return"]
    first, second = world["interventions"]
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 30_000)]
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(ServiceError, match="more from the funder than it awarded for 2024/25"):
        rollup.move_return(world["decider"], funder_return.id, "sign_off", None)

    rollup.move_return(world["decider"], funder_return.id, "send_back", None, "Claim £600")
    lowered = {first.id: 40_000, second.id: 20_000}
    rollup.set_claims(world["officer"], funder_return.id, None, lowered)
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 20_000)]
    assert funder_return.claim_pence == 60_000
    for actor, trigger in (("reviewer", "review"), ("decider", "sign_off"), ("officer", "submit")):
        rollup.move_return(world[actor], funder_return.id, trigger, None)
    assert funder_return.status is FunderReturnStatus.SUBMITTED

    # The ledger has the new claim, with what changed.
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "set_claims")).one()
    assert json.loads(event.changes) == {f"intervention_{second.id}_claimed_pence": "20000"}
    assert json.loads(event.amounts) == {"claimed_pence": "60000", "spent_pence": "70000"}
    # (The world's partner awards were made directly, so only the return's own history counts.)
    assert [str(f) for f in reconcile() if f.object_type == "funder_return"] == []


def test_the_spreadsheet_shows_the_claim_as_set(ctx):
    import io

    import openpyxl

    world = overspent()
    funder_return, second = world["return"], world["interventions"][1]
    rollup.set_claims(world["officer"], funder_return.id, None, {second.id: 12_345})
    _, data = rollup.return_xlsx(world["officer"], funder_return.id)
    spend = openpyxl.load_workbook(io.BytesIO(data))["Spend"]
    assert spend.cell(5, 5).value == pytest.approx(300.00)  # spent
    assert spend.cell(5, 7).value == pytest.approx(123.45)  # claimed


@pytest.mark.parametrize(
    ("pence", "message"),
    [(30_001, "cannot be more than its partners spent in the quarter \\(£300.00\\)"),
     (-1, "cannot be less than £0.00")],
)  # fmt: skip
def test_a_claim_above_the_spend_or_below_nothing_is_refused(ctx, pence, message):
    world = overspent()
    funder_return, second = world["return"], world["interventions"][1]
    events = event_count()
    with pytest.raises(ServiceError, match=message) as refusal:
        rollup.set_claims(world["officer"], funder_return.id, None, {second.id: pence})
    assert refusal.value.field == f"claim_{second.id}"
    db.session.expire_all()
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 30_000)]
    assert event_count() == events


def test_the_engine_refuses_a_claim_above_the_spend(ctx):
    world = overspent()
    funder_return, second = world["return"], world["interventions"][1]
    with pytest.raises(GuardFailed, match="cannot be more than its partners spent"):
        fire(world["officer"], funder_return, "set_claims",
             **{f"intervention_{second.id}_claimed_pence": 30_001})  # fmt: skip
    with pytest.raises(GuardFailed, match="in whole pence, 0 or more"):
        fire(world["officer"], funder_return, "set_claims",
             **{f"intervention_{second.id}_claimed_pence": -5})  # fmt: skip
    with pytest.raises(GuardFailed, match="only for the interventions on the return"):
        fire(world["officer"], funder_return, "set_claims",
             **{"intervention_999999_claimed_pence": 1})  # fmt: skip
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 30_000)]


def test_the_claim_is_changed_only_on_a_draft_and_by_an_officer(ctx):
    world = overspent()
    funder_return, second = world["return"], world["interventions"][1]
    lower = {f"intervention_{second.id}_claimed_pence": 1}
    with pytest.raises(NotPermitted):
        fire(world["decider"], funder_return, "set_claims", **lower)
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(NotAllowedFromState, match="because the funder return is reviewed"):
        fire(world["officer"], funder_return, "set_claims", **lower)
    with pytest.raises(ServiceError, match="because the funder return is reviewed"):
        rollup.set_claims(world["officer"], funder_return.id, None, {second.id: 1})
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 30_000)]


def test_a_stale_claims_form_is_refused(ctx):
    world = overspent()
    funder_return, second = world["return"], world["interventions"][1]
    seen = funder_return.version
    rollup.set_claims(world["officer"], funder_return.id, seen, {second.id: 20_000})
    with pytest.raises(ServiceError, match="Someone else changed this"):
        rollup.set_claims(world["officer"], funder_return.id, seen, {second.id: 10_000})
    db.session.expire_all()
    assert claims_of(funder_return)[1] == (30_000, 20_000)


def test_the_return_page_sets_the_claims_with_the_error_summary_on_bad_input(client, ctx):
    world = overspent()
    funder_return = world["return"]
    first, second = world["interventions"]
    page = f"/staff/bids/returns/{funder_return.id}"
    sign_in_as(client, world["officer"])
    shown = client.get(page).text
    assert f'name="claims-claim_{second.id}" type="text" spellcheck="false" value="300.00"' in shown
    url = f"{page}/claims"
    data = {"claims-version": funder_return.version, f"claims-claim_{first.id}": "400",
            f"claims-claim_{second.id}": "300.01"}  # fmt: skip
    for bad, message in (
        ({f"claims-claim_{second.id}": "300.01"}, "cannot be more than its partners spent"),
        ({f"claims-claim_{second.id}": "lots"}, "Enter an amount in pounds and pence"),
        ({f"claims-claim_{second.id}": ""}, "Enter the claim for Intervention 1, or 0"),
    ):
        refused = post_form(client, url, {**data, **bad}, token_from=page)
        assert refused.status_code == 400 and "govuk-error-summary" in refused.text, bad
        assert message in refused.text, bad
        assert f'href="#claims-claim_{second.id}"' in refused.text
    db.session.refresh(funder_return)
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 30_000)]
    saved = post_form(client, url, {**data, f"claims-claim_{second.id}": "200"}, token_from=page)
    assert saved.status_code == 302 and saved.headers["Location"] == page
    db.session.refresh(funder_return)
    assert claims_of(funder_return) == [(40_000, 40_000), (30_000, 20_000)]
    assert "What is claimed from the funder is saved" in client.get(page).text


def test_the_claims_form_is_only_on_a_draft(client, ctx):
    world = overspent()
    funder_return = world["return"]
    page = f"/staff/bids/returns/{funder_return.id}"
    sign_in_as(client, world["officer"])
    assert 'id="claims-button"' in client.get(page).text
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    assert 'id="claims-button"' not in client.get(page).text


# Moving money between years ------------------------------------------------------------------


def two_years(allows_transfer: bool) -> dict:
    """The proposal was awarded £600 for 2024/25 and £500 for 2025/26; the partners spent £700
    in July to September 2024."""
    world = overspent()
    bid = world["bid"]
    bid.proposals[0].years.append(
        ProposalYear(financial_year=YEAR + 1, requested_pence=50_000, awarded_pence=50_000)
    )
    db.session.commit()
    if allows_transfer:
        bids.move_bid(world["officer"], bid.id, "allow_year_transfers", None,
                      "Grant agreement clause 7.2: money may move between years")  # fmt: skip
    return world


def test_without_the_funders_leave_a_year_cannot_claim_from_the_next(ctx):
    world = two_years(allows_transfer=False)
    funder_return = world["return"]
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(ServiceError, match="the funder does not allow moving money between"):
        rollup.move_return(world["decider"], funder_return.id, "sign_off", None)


def test_with_the_funders_leave_the_cap_is_the_award_across_its_years(ctx):
    world = two_years(allows_transfer=True)
    funder_return = world["return"]
    assert world["bid"].allows_transfer_between_years
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    # £700 in 2024/25 is within the £1,100 awarded across both years.
    rollup.move_return(world["decider"], funder_return.id, "sign_off", None)
    assert funder_return.status is FunderReturnStatus.SIGNED_OFF


def test_with_the_funders_leave_claims_still_never_exceed_the_award_across_its_years(ctx):
    world = two_years(allows_transfer=True)
    first = world["interventions"][0]
    q2 = world["return"]
    for actor, trigger in (("reviewer", "review"), ("decider", "sign_off"), ("officer", "submit")):
        rollup.move_return(world[actor], q2.id, trigger, None)
    award = first.awards[0]
    claim(award, 40_001, PaymentStatus.PAID, IN_QUARTER.replace(month=11))
    db.session.commit()
    q3 = rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER + 1)
    q3.narrative = "More done"
    fire(world["reviewer"], q3, "review")
    # £700 already claimed and £400.01 more is over the £1,100 awarded across both years.
    with pytest.raises(GuardFailed, match="more from the funder than it awarded across all its"):
        fire(world["decider"], q3, "sign_off")


def test_the_funders_terms_on_moving_money_are_recorded_through_the_engine(client, ctx):
    world = a_bid()
    bid, officer = world["bid"], world["officer"]
    with pytest.raises(GuardFailed, match="Enter where the funder's terms say so"):
        fire(officer, bid, "allow_year_transfers")
    moves = [m.trigger for m in bids.bid_moves(officer, bid)]
    assert "allow_year_transfers" in moves and "forbid_year_transfers" not in moves

    sign_in_as(client, officer)
    page = f"/staff/bids/{bid.id}"
    assert "Not allowed by the funder" in client.get(page).text
    url = f"{page}/moves/allow_year_transfers"
    form = {"allow_year_transfers-version": bid.version, "allow_year_transfers-reason": ""}
    refused = post_form(client, url, form, token_from=page)
    assert refused.status_code == 400 and "govuk-error-summary" in refused.text
    assert "Enter where the funder&#39;s terms say so" in refused.text
    db.session.refresh(bid)
    assert not bid.allows_transfer_between_years
    form["allow_year_transfers-reason"] = "Clause 7.2"
    allowed = post_form(client, url, form, token_from=page)
    assert allowed.status_code == 302
    db.session.refresh(bid)
    assert bid.allows_transfer_between_years
    shown = client.get(page).text
    assert "Allowed by the funder" in shown
    assert "Record that the funder does not allow moving money between years" in shown
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "allow_year_transfers")
    ).one()
    assert (event.object_id, event.reason) == (bid.id, "Clause 7.2")
    assert [str(finding) for finding in reconcile()] == []
