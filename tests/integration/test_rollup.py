"""The office's quarterly return to the funder: drafted from the partners' figures (that it
always adds up to them is test_rollup_property.py), reviewed, signed off and submitted in that
order only, never claiming more than the funder awarded for the year, and exported as a
spreadsheet of plain values."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import openpyxl
import pytest

from grants.extensions import db
from grants.models import (
    Award,
    AwardStatus,
    AwardYear,
    ExternalBid,
    MonitoringReturn,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeKind,
    ReturnStatus,
    StaffRole,
)
from grants.models.bids import (
    BidProposal,
    FunderReturnStatus,
    Intervention,
    InterventionOutput,
    InterventionYear,
    PartnerOutputReport,
    ProposalYear,
)
from grants.services import rollup
from grants.services.errors import ServiceError
from tests.conftest import make_organisation, make_staff
from workflows.engine import fire
from workflows.errors import WorkflowError

YEAR, QUARTER = 2024, 2  # July to September 2024
IN_QUARTER = dt.datetime(2024, 8, 15, 10, tzinfo=dt.UTC)


# Each world makes its own people and names.
WORLDS = itertools.count()


def a_bid(interventions: int = 2, awarded_pence: int = 1_000_000) -> dict:
    n = next(WORLDS)
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER, f"olive{n}@opcc.example.org")
    reviewer = make_staff(StaffRole.COMMISSIONING_OFFICER, f"rita{n}@opcc.example.org")
    decider = make_staff(StaffRole.DECISION_MAKER, f"dee{n}@opcc.example.org")
    programme = Programme(name="Safer Streets 5", slug=f"ss5-{n}", kind=ProgrammeKind.EXTERNAL_BID)
    proposal = BidProposal(
        title="Neighbourhood crime",
        years=[ProposalYear(financial_year=YEAR, requested_pence=awarded_pence,
                            awarded_pence=awarded_pence)],
    )  # fmt: skip
    for number in range(interventions):
        partner = make_organisation(f"Partner {n}-{number}")
        proposal.interventions.append(
            Intervention(
                position=number,
                title=f"Intervention {number}",
                partner_id=partner.id,
                years=[InterventionYear(financial_year=YEAR, budget_pence=400_003)],
                outputs=[InterventionOutput(description="=Homes target-hardened", target=100)],
            )
        )
    bid = ExternalBid(
        programme=programme, title="Safer Streets 5", funder_name="Home Office",
        amount_requested_pence=awarded_pence, proposals=[proposal],
    )  # fmt: skip
    db.session.add(bid)
    db.session.commit()
    return {"officer": officer, "reviewer": reviewer, "decider": decider, "bid": bid,
            "interventions": proposal.interventions}  # fmt: skip


def partner_award(intervention: Intervention, number: int) -> Award:
    programme_id = intervention.proposal.bid.programme_id
    award = Award(
        reference=f"P-{intervention.id}-{number}", programme_id=programme_id,
        organisation_id=intervention.partner_id, intervention_id=intervention.id,
        title="Partner award", amount_pence=100, status=AwardStatus.ACTIVE,
        years=[AwardYear(financial_year=YEAR, amount_pence=100)],
    )  # fmt: skip
    db.session.add(award)
    db.session.flush()
    db.session.refresh(intervention, ["awards"])
    return award


def claim(award: Award, pence: int, status: PaymentStatus, when: dt.datetime) -> None:
    award.payments.append(
        Payment(financial_year=YEAR, amount_pence=pence, status=status, claimed_at=when)
    )


def accepted_return(award: Award, narrative: str, achieved: int, output_id: int) -> None:
    monitoring_return = MonitoringReturn(
        award=award, period_start=dt.date(2024, 7, 1), period_end=dt.date(2024, 9, 30),
        due_date=dt.date(2024, 10, 15), status=ReturnStatus.ACCEPTED, narrative=narrative,
        risks="Supplier delays",
    )  # fmt: skip
    db.session.add(monitoring_return)
    db.session.add(
        PartnerOutputReport(
            monitoring_return=monitoring_return, intervention_output_id=output_id, achieved=achieved
        )
    )


def test_profile_adds_up_to_the_budget_over_the_quarters_of_delivery():
    for budget in (0, 1, 7, 10_518_900, 400_003):
        for first in (1, 2, 3, 4):
            quarters = [rollup.quarter_profile(budget, first, q) for q in (1, 2, 3, 4)]
            assert sum(quarters) == budget
            assert all(q == 0 for q in quarters[: first - 1])


def submitted_in_order(world: dict) -> object:
    funder_return = rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)
    rollup.edit_return(world["officer"], funder_return.id, None, "On track", "None")
    return funder_return


def test_a_return_goes_draft_reviewed_signed_off_submitted(ctx):
    world = a_bid()
    funder_return = submitted_in_order(world)
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    rollup.move_return(world["decider"], funder_return.id, "sign_off", None)
    rollup.move_return(world["officer"], funder_return.id, "submit", None, funder_reference="HO-1")
    assert funder_return.status is FunderReturnStatus.SUBMITTED
    assert funder_return.funder_reference == "HO-1" and funder_return.submitted_at


@pytest.mark.parametrize(("trigger", "role"), [("sign_off", "decider"), ("submit", "officer")])
def test_a_draft_cannot_be_signed_off_or_submitted(ctx, trigger, role):
    world = a_bid()
    funder_return = submitted_in_order(world)
    with pytest.raises(ServiceError, match="because the funder return is draft"):
        rollup.move_return(world[role], funder_return.id, trigger, None)
    assert funder_return.status is FunderReturnStatus.DRAFT


def test_a_reviewed_return_cannot_be_submitted_before_sign_off(ctx):
    world = a_bid()
    funder_return = submitted_in_order(world)
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(ServiceError, match="is reviewed"):
        rollup.move_return(world["officer"], funder_return.id, "submit", None)


def test_a_return_without_a_narrative_cannot_be_reviewed(ctx):
    world = a_bid()
    funder_return = rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)
    with pytest.raises(ServiceError, match="narrative"):
        rollup.move_return(world["reviewer"], funder_return.id, "review", None)


def test_only_a_draft_can_be_edited(ctx):
    world = a_bid()
    funder_return = submitted_in_order(world)
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(ServiceError, match="Only a draft"):
        rollup.edit_return(world["officer"], funder_return.id, None, "Changed", "")


def test_claims_to_the_funder_never_exceed_its_award_for_the_year(ctx):
    world = a_bid(awarded_pence=60_000)
    first, second = world["interventions"]
    claim(partner_award(first, 1), 40_000, PaymentStatus.PAID, IN_QUARTER)
    claim(partner_award(second, 1), 30_000, PaymentStatus.APPROVED, IN_QUARTER)
    db.session.commit()
    funder_return = submitted_in_order(world)
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    with pytest.raises(ServiceError, match="more from the funder than it awarded for 2024/25"):
        rollup.move_return(world["decider"], funder_return.id, "sign_off", None)
    assert funder_return.status is FunderReturnStatus.REVIEWED


def test_claims_across_the_years_returns_add_up_against_the_award(ctx):
    world = a_bid(awarded_pence=60_000)
    first = world["interventions"][0]
    award = partner_award(first, 1)
    claim(award, 40_000, PaymentStatus.PAID, IN_QUARTER)
    claim(award, 30_000, PaymentStatus.PAID, dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC))
    db.session.commit()
    q2 = submitted_in_order(world)
    for actor, trigger in (("reviewer", "review"), ("decider", "sign_off"), ("officer", "submit")):
        rollup.move_return(world[actor], q2.id, trigger, None)
    q3 = rollup.draft_return(world["officer"], world["bid"].id, YEAR, 3)
    q3.narrative = "More done"
    fire(world["reviewer"], q3, "review")
    with pytest.raises(WorkflowError, match="more from the funder"):
        fire(world["decider"], q3, "sign_off")


@pytest.mark.parametrize("transfers_allowed", [False, True])
def test_a_late_claim_for_last_years_money_counts_only_where_money_may_move_between_years(
    ctx, transfers_allowed
):
    world = a_bid(interventions=1)
    world["bid"].allows_transfer_between_years = transfers_allowed
    award = partner_award(world["interventions"][0], 1)
    claim(award, 40_000, PaymentStatus.PAID, IN_QUARTER)
    award.payments.append(
        Payment(
            financial_year=YEAR - 1, amount_pence=30_000, status=PaymentStatus.PAID,
            claimed_at=IN_QUARTER,
        )
    )  # fmt: skip
    db.session.commit()
    funder_return = rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)
    (line,) = funder_return.lines
    assert line.spent_pence == (70_000 if transfers_allowed else 40_000)


def test_the_reviewer_cannot_sign_off(ctx):
    world = a_bid()
    funder_return = submitted_in_order(world)
    decider = world["decider"]
    rollup.move_return(world["reviewer"], funder_return.id, "review", None)
    funder_return.reviewed_by_id = decider.id
    with pytest.raises(ServiceError, match="reviewed the return"):
        rollup.move_return(decider, funder_return.id, "sign_off", None)


def test_one_return_per_quarter(ctx):
    world = a_bid()
    rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)
    with pytest.raises(ServiceError, match="already a return"):
        rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)


def test_the_spreadsheet_holds_numbers_as_numbers_and_no_formulas(ctx):
    world = a_bid()
    award = partner_award(world["interventions"][0], 1)
    claim(award, 12_345, PaymentStatus.PAID, IN_QUARTER)
    accepted_return(award, '=HYPERLINK("http://evil")', 37, world["interventions"][0].outputs[0].id)
    db.session.commit()
    funder_return = rollup.draft_return(world["officer"], world["bid"].id, YEAR, QUARTER)
    filename, data = rollup.return_xlsx(world["officer"], funder_return.id)
    assert filename == "funder-return-2024-q2.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    spend = book["Spend"]
    assert spend.cell(4, 2).value == "Intervention 0"
    assert spend.cell(4, 4).value == pytest.approx(1000.01)  # the profile, in pounds
    assert spend.cell(4, 5).value == pytest.approx(123.45)
    assert isinstance(spend.cell(4, 7).value, float)
    outputs = book["Outputs"]
    assert outputs.cell(2, 2).value == "'=Homes target-hardened"
    assert outputs.cell(2, 4).value == 37
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))
