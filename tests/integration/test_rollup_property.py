"""The office's quarterly return to the funder adds up to its partners, to the penny.

Hypothesis writes a bid (1 to 3 proposals of 1 to 3 interventions, each delivered by one of
three partner organisations, so one organisation may deliver several interventions) and, for
each intervention, 1 to 3 partner awards (an intervention has one delivery partner, so its
awards all go to that organisation, as ``bids.issue_partner_award`` issues them). Each award
gets random claims (drafted and never sent, sent and waiting, approved, paid or rejected; made
in the quarter, a minute either side of it by the London clock, or a year earlier) and random
monitoring returns for April to June, July to September and October to December (left open,
waived, submitted, sent back or accepted), with figures against the intervention's outputs.
Another bid, delivered by the same organisation, has spend and an accepted return in the same
quarter.

Everything is made through the services and the engine the pages use. Claims are sent with the
engine's ``claim`` move at the time the example chose, as ``claims.submit_claim`` would at
that moment: the service stamps the wall clock's time, and the quarter is in the past.

The roll-up of July to September 2024 must then show, for each intervention, the partners'
approved and paid claims made in the quarter, claimed from the funder in full; and, for each of
its outputs, the sum over its partner awards of what each award's latest accepted return up to
the end of the quarter reported. Those figures are worked out here from the example alone, never
from the database, and the spreadsheet the office sends must show the same."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from dataclasses import dataclass

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from grants.calendar import london_today
from grants.extensions import db
from grants.models import AuditEvent, Award, MonitoringReturn, Organisation, StaffRole, User
from grants.models.bids import ExternalBid, FunderReturn, Intervention
from grants.services import (
    award_management,
    bid_setup,
    bids,
    claims,
    monitoring,
    offers,
    payments,
    returns,
    rollup,
)
from tests.conftest import make_member, make_organisation, make_staff
from workflows.engine import create, fire

YEAR, QUARTER = 2024, 2  # July to September 2024
AWARD_PER_YEAR = 200_000  # each partner award: £2,000 in 2023/24 and £2,000 in 2024/25
PARTNERS = 3
UTC = dt.UTC


@dataclass(frozen=True)
class Moment:
    """When a claim was sent, the financial year it claims for, and whether that day is in
    July to September 2024 as the office's calendar (Europe/London) reads it."""

    at: dt.datetime
    financial_year: int
    in_the_quarter: bool


MOMENTS = {
    "a year earlier": Moment(dt.datetime(2023, 8, 15, 10, tzinfo=UTC), 2023, False),
    "23:59 on 30 June": Moment(dt.datetime(2024, 6, 30, 22, 59, tzinfo=UTC), YEAR, False),
    "00:00 on 1 July": Moment(dt.datetime(2024, 6, 30, 23, 0, tzinfo=UTC), YEAR, True),
    "15 August": Moment(dt.datetime(2024, 8, 15, 10, tzinfo=UTC), YEAR, True),
    "23:59 on 30 September": Moment(dt.datetime(2024, 9, 30, 22, 59, tzinfo=UTC), YEAR, True),
    "00:00 on 1 October": Moment(dt.datetime(2024, 9, 30, 23, 0, tzinfo=UTC), YEAR, False),
}
# Quarters of 2024/25 a partner reports on: the one rolled up, the one before and the one after.
PERIODS = {
    1: (dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    2: (dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
    3: (dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
}
CLAIM_FATES = ("draft", "claimed", "approved", "paid", "rejected")
SPENT = {"approved", "paid"}  # what the office has accepted as the partner's spend
RETURN_FATES = ("open", "waived", "submitted", "returned", "accepted")


@dataclass(frozen=True)
class ClaimPlan:
    pence: int
    fate: str
    moment: str


@dataclass(frozen=True)
class ReturnPlan:
    quarter: int
    fate: str
    achieved: tuple[int, ...]  # to date, one figure for each of the intervention's outputs


@dataclass(frozen=True)
class AwardPlan:
    claims: tuple[ClaimPlan, ...]
    returns: tuple[ReturnPlan, ...]  # at most one a quarter, in order


@dataclass(frozen=True)
class InterventionPlan:
    partner: int  # which of the partner organisations delivers it
    outputs: int
    awards: tuple[AwardPlan, ...]


BidPlan = tuple[tuple[InterventionPlan, ...], ...]  # proposals, each a tuple of interventions


claim_plans = st.builds(
    ClaimPlan,
    pence=st.integers(1, 50_000),  # three of them always fit an award's year
    fate=st.sampled_from(CLAIM_FATES),
    moment=st.sampled_from(list(MOMENTS)),
)


# Accepted returns are the ones that count, and the latest of them matters: drawn more often.
return_fates = st.one_of(st.just("accepted"), st.sampled_from(RETURN_FATES))


@st.composite
def award_plans(draw: st.DrawFn, outputs: int) -> AwardPlan:
    quarters = sorted(draw(st.lists(st.sampled_from(list(PERIODS)), unique=True, max_size=3)))
    figures = st.lists(st.integers(0, 500), min_size=outputs, max_size=outputs).map(tuple)
    return AwardPlan(
        claims=tuple(draw(st.lists(claim_plans, max_size=2))),
        returns=tuple(
            ReturnPlan(quarter, draw(return_fates), draw(figures)) for quarter in quarters
        ),
    )


@st.composite
def intervention_plans(draw: st.DrawFn) -> InterventionPlan:
    outputs = draw(st.integers(1, 2))
    return InterventionPlan(
        partner=draw(st.integers(0, PARTNERS - 1)),
        outputs=outputs,
        awards=tuple(draw(st.lists(award_plans(outputs), min_size=1, max_size=3))),
    )


bid_plans = st.lists(
    st.lists(intervention_plans(), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
).map(tuple)

# Another bid, delivered by the first partner organisation too, busy in the same quarter.
ANOTHER_BID: BidPlan = (
    (
        InterventionPlan(
            partner=0,
            outputs=1,
            awards=(
                AwardPlan(
                    claims=(ClaimPlan(43_210, "paid", "15 August"),),
                    returns=(ReturnPlan(QUARTER, "accepted", (77,)),),
                ),
            ),
        ),
    ),
)


# What the roll-up must say, from the plan alone --------------------------------------------


def expected_spend(plan: InterventionPlan) -> int:
    return sum(
        claim.pence
        for award in plan.awards
        for claim in award.claims
        if claim.fate in SPENT and MOMENTS[claim.moment].in_the_quarter
    )


def expected_achieved(plan: InterventionPlan) -> tuple[int, ...]:
    """Outputs are reported to date: each award's latest accepted return up to the end of the
    quarter counts, and the intervention's figure is their sum over its awards."""
    totals = [0] * plan.outputs
    for award in plan.awards:
        to_date = [r for r in award.returns if r.fate == "accepted" and r.quarter <= QUARTER]
        if to_date:
            latest = max(to_date, key=lambda r: r.quarter)
            totals = [total + figure for total, figure in zip(totals, latest.achieved, strict=True)]
    return tuple(totals)


# Making the world through the services ------------------------------------------------------

# Hypothesis runs many examples in one test's database: each makes its own people and names.
WORLDS = itertools.count()
RECEIPTS = itertools.count()
REPORTS = itertools.count()


@dataclass
class Made:
    """An intervention as made, with the plan it was made from and its returns' narratives."""

    intervention: Intervention
    plan: InterventionPlan
    counted: set[str]  # narratives of its accepted returns for the quarter
    not_counted: set[str]  # narratives of every other return


@dataclass
class World:
    officer: User
    decider: User
    finance: User
    partners: list[Organisation]
    members: dict[int, User]  # a member of each partner organisation, by its id


def a_world() -> World:
    n = next(WORLDS)
    partners = [make_organisation(f"Partner {n}-{number}") for number in range(PARTNERS)]
    return World(
        officer=make_staff(StaffRole.COMMISSIONING_OFFICER, f"olive{n}@opcc.example.org"),
        decider=make_staff(StaffRole.DECISION_MAKER, f"dee{n}@opcc.example.org"),
        finance=make_staff(StaffRole.FINANCE, f"fin{n}@opcc.example.org"),
        partners=partners,
        members={
            partner.id: make_member(partner, f"lead{n}-{number}@partner.example.org")
            for number, partner in enumerate(partners)
        },
    )


def an_awarded_bid(world: World, plan: BidPlan, title: str) -> tuple[ExternalBid, list[Made]]:
    """The bid written, submitted and awarded in full; then its partner awards issued,
    accepted and started, and their claims and returns made as the plan says."""
    officer = world.officer
    bid = bid_setup.create_bid(
        officer, None, bid_setup.BidDetails(title, "Home Office", YEAR - 1, YEAR)
    )
    made = []
    for p, proposal_plan in enumerate(plan, start=1):
        proposal = bid_setup.add_proposal(officer, bid.id, bid.version, f"Proposal {p}", "")
        for i, intervention_plan in enumerate(proposal_plan, start=1):
            budget = AWARD_PER_YEAR * len(intervention_plan.awards)
            details = bid_setup.InterventionDetails(
                title=f"Intervention {p}.{i}",
                partner_id=world.partners[intervention_plan.partner].id,
                budgets={YEAR - 1: budget, YEAR: budget},
                outputs=tuple(
                    (f"Output {p}.{i}.{o}", 100) for o in range(1, intervention_plan.outputs + 1)
                ),
            )
            intervention = bid_setup.add_intervention(officer, proposal.id, bid.version, details)
            made.append(Made(intervention, intervention_plan, set(), set()))
    bids.move_bid(world.decider, bid.id, "submit", bid.version, None)
    asked = {year.id: year.requested_pence for p in bid.proposals for year in p.years}
    bids.record_award(officer, bid.id, bid.version, asked)
    for each in made:
        for number, award_plan in enumerate(each.plan.awards, start=1):
            approving = any(claim.fate in SPENT for claim in award_plan.claims)
            award = an_active_partner_award(world, each.intervention, number, approving)
            member = world.members[award.organisation_id]
            # Drafts last: starting a claim carries on with the year's unsent draft, if any.
            for claim in sorted(award_plan.claims, key=lambda c: c.fate == "draft"):
                make_claim(world, award.id, member, claim)
            for return_plan in award_plan.returns:
                narrative = make_return(world, award, member, each.intervention, return_plan)
                counted = return_plan.fate == "accepted" and return_plan.quarter == QUARTER
                (each.counted if counted else each.not_counted).add(narrative)
    return bid, made


def an_active_partner_award(
    world: World, intervention: Intervention, number: int, approving: bool
) -> Award:
    """Issued, accepted by the partner and started. Its conditions are recorded as met only
    when it will have claims approved: the engine asks for them before approving, and
    recording them is a good part of the time each example takes."""
    officer = world.officer
    award = bids.issue_partner_award(
        officer, intervention.id, f"{intervention.title}: part {number}",
        {YEAR - 1: AWARD_PER_YEAR, YEAR: AWARD_PER_YEAR},
    )  # fmt: skip
    member = world.members[award.organisation_id]
    offers.accept(member, award.id, "Lucy Hale", "Community safety manager", award.version)
    for condition in award.conditions if approving else ():
        award_management.mark_condition_met(officer, award.id, condition.id, None)
    award_management.move_award(officer, award.id, "activate", award.version)
    return award


def pdf(label: str) -> bytes:
    """A small, real PDF; the label makes each receipt (and its SHA-256) its own."""
    return f"%PDF-1.7\n% {label}\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n".encode()


def make_claim(world: World, award_id: int, member: User, plan: ClaimPlan) -> None:
    moment = MOMENTS[plan.moment]
    claim = claims.start_claim(member, award_id, moment.financial_year)
    receipt = io.BytesIO(pdf(f"receipt {next(RECEIPTS)}"))
    claims.add_line(member, claim.id, "Locks and lights fitted", plan.pence, receipt, "invoice.pdf")
    if plan.fate == "draft":
        return
    # What claims.submit_claim does, at the moment the plan says.
    with db.session.no_autoflush:
        claim.amount_pence = sum(line.amount_pence for line in claim.claim_lines)
        fire(member, claim, "claim", expected_version=claim.version, now=moment.at)
    db.session.commit()
    if plan.fate in SPENT:
        payments.decide(world.decider, claim.id, "approve", claim.version)
    if plan.fate == "paid":
        payments.record_paid(world.finance, claim.id, claim.version, london_today(), "BACS-1")
    if plan.fate == "rejected":
        payments.decide(world.officer, claim.id, "reject", claim.version, "Not this project")


def make_return(
    world: World, award: Award, member: User, intervention: Intervention, plan: ReturnPlan
) -> str:
    """The return for the plan's quarter, filled in by the partner with its figures and a
    narrative of its own, and taken as far as the plan says. Returns the narrative."""
    start, end = PERIODS[plan.quarter]
    monitoring_return = MonitoringReturn(
        award=award, period_start=start, period_end=end, due_date=end + dt.timedelta(days=15)
    )
    create(world.officer, monitoring_return)
    fire(None, monitoring_return, "open")  # as the scheduler does once the period has ended
    db.session.commit()
    narrative = f"Delivery went to plan (report {next(REPORTS)})."
    achieved = dict(zip((o.id for o in intervention.outputs), plan.achieved, strict=True))
    return_id = monitoring_return.id
    returns.save_draft(
        member, return_id, {}, achieved, narrative, None, "Supplier delays",
        monitoring_return.version,
    )  # fmt: skip
    if plan.fate == "waived":
        monitoring.move_return(
            world.officer, return_id, "waive", monitoring_return.version, "Reported elsewhere"
        )
    elif plan.fate != "open":
        returns.submit(member, return_id, monitoring_return.version)
        if plan.fate in ("accepted", "returned"):
            trigger = "accept" if plan.fate == "accepted" else "send_back"
            monitoring.move_return(
                world.officer, return_id, trigger, monitoring_return.version, "Add the photos"
            )
    return narrative


# Reading the spreadsheet ---------------------------------------------------------------------


def in_pence(pounds: float) -> int:
    """A money cell, to the penny: it holds a whole number of pence and nothing more."""
    pence = round(pounds * 100)
    assert abs(pounds * 100 - pence) < 1e-6, pounds
    return pence


def assert_the_spreadsheet_shows(
    world: World,
    funder_return: FunderReturn,
    spend: dict[str, tuple[str, str, int, int]],
    outputs: dict[tuple[str, str], int],
) -> None:
    """``spend``: (proposal, partner, spent, claimed) by intervention title; ``outputs``:
    achieved by (intervention title, output)."""
    _, data = rollup.return_xlsx(world.officer, funder_return.id)
    book = openpyxl.load_workbook(io.BytesIO(data))
    *rows, total = book["Spend"].iter_rows(min_row=4, values_only=True)
    shown = {}
    for proposal, intervention, partner, profile, spent, variance, claimed in rows:
        assert in_pence(variance) == in_pence(spent) - in_pence(profile)
        shown[intervention] = (proposal, partner, in_pence(spent), in_pence(claimed))
    assert shown == spend
    assert total[0] == "Total"
    assert in_pence(total[4]) == sum(spent for _, _, spent, _ in spend.values())
    assert in_pence(total[6]) == sum(claimed for _, _, _, claimed in spend.values())
    assert in_pence(total[3]) == sum(in_pence(row[3]) for row in rows)
    achieved = {
        (intervention, output): figure
        for intervention, output, _, figure in book["Outputs"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert achieved == outputs


# The property --------------------------------------------------------------------------------


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=bid_plans)
def test_the_roll_up_equals_the_sum_of_the_partner_figures(ctx, plan):
    world = a_world()
    _, elsewhere = an_awarded_bid(world, ANOTHER_BID, "Safer Streets 4")
    bid, made = an_awarded_bid(world, plan, "Safer Streets 5")

    funder_return = rollup.draft_return(world.officer, bid.id, YEAR, QUARTER)

    lines = {line.intervention_id: line for line in funder_return.lines}
    assert sorted(lines) == sorted(each.intervention.id for each in made)
    for each in made:
        line = lines[each.intervention.id]
        spent = expected_spend(each.plan)
        assert (line.spent_pence, line.claimed_pence) == (spent, spent), each.intervention.title
        for narrative in each.counted:
            assert narrative in line.partner_narrative
        for narrative in each.not_counted | elsewhere[0].counted:
            assert narrative not in funder_return.narrative
    achieved = {item.intervention_output_id: item.achieved for item in funder_return.outputs}
    assert achieved == {
        output.id: figure
        for each in made
        for output, figure in zip(
            each.intervention.outputs, expected_achieved(each.plan), strict=True
        )
    }
    total = sum(expected_spend(each.plan) for each in made)
    assert funder_return.claim_pence == total
    created = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "funder_return",
            AuditEvent.object_id == funder_return.id,
            AuditEvent.action == "create",
        )
    )
    assert json.loads(created.amounts) == {"claimed_pence": str(total), "spent_pence": str(total)}

    assert_the_spreadsheet_shows(
        world,
        funder_return,
        spend={
            each.intervention.title: (
                each.intervention.proposal.title,
                each.intervention.partner.name,
                expected_spend(each.plan),
                expected_spend(each.plan),
            )
            for each in made
        },
        outputs={
            (each.intervention.title, output.description): figure
            for each in made
            for output, figure in zip(
                each.intervention.outputs, expected_achieved(each.plan), strict=True
            )
        },
    )


# The spreadsheet, on one world with every kind of partner figure ----------------------------


def awards(*fates: tuple[tuple[ClaimPlan, ...], tuple[ReturnPlan, ...]]) -> tuple[AwardPlan, ...]:
    return tuple(AwardPlan(claimed, reported) for claimed, reported in fates)


def test_the_spreadsheet_shows_the_sums_of_the_partner_figures_and_what_is_claimed(ctx):
    plan: BidPlan = (
        (
            InterventionPlan(partner=0, outputs=2, awards=awards(
                ((ClaimPlan(12_345, "paid", "00:00 on 1 July"),
                  ClaimPlan(20_000, "approved", "23:59 on 30 September"),
                  ClaimPlan(5_000, "rejected", "15 August")),
                 (ReturnPlan(1, "accepted", (10, 3)), ReturnPlan(2, "accepted", (25, 4)))),
                ((ClaimPlan(30_001, "paid", "15 August"),
                  ClaimPlan(9_999, "paid", "23:59 on 30 June"),
                  ClaimPlan(1_234, "draft", "15 August")),
                 (ReturnPlan(1, "accepted", (7, 1)), ReturnPlan(2, "submitted", (9, 2)))),
            )),
            InterventionPlan(partner=1, outputs=1, awards=awards(
                ((ClaimPlan(40_000, "claimed", "15 August"),
                  ClaimPlan(11_111, "approved", "00:00 on 1 October")),
                 (ReturnPlan(2, "returned", (50,)), ReturnPlan(3, "accepted", (60,)))),
            )),
        ),
        (
            InterventionPlan(partner=0, outputs=1, awards=awards(
                ((ClaimPlan(25_000, "paid", "a year earlier"),
                  ClaimPlan(7_777, "approved", "15 August")),
                 (ReturnPlan(2, "accepted", (12,)),)),
                ((ClaimPlan(3_333, "paid", "15 August"),),
                 (ReturnPlan(2, "waived", (99,)),)),
                ((), (ReturnPlan(1, "open", (5,)), ReturnPlan(2, "accepted", (8,)))),
            )),
        ),
    )  # fmt: skip
    world = a_world()
    bid, made = an_awarded_bid(world, plan, "Safer Streets 5")
    hardening, cctv, cocooning = (each.intervention for each in made)
    # Worked out by hand from the plan above, not by the test's own arithmetic.
    assert [expected_spend(each.plan) for each in made] == [62_346, 0, 11_110]
    assert [expected_achieved(each.plan) for each in made] == [(32, 5), (0,), (20,)]

    funder_return = rollup.draft_return(world.officer, bid.id, YEAR, QUARTER)
    # The office claims less than was spent on the first intervention: the spreadsheet shows
    # what it claims beside what the partners spent.
    rollup.set_claims(
        world.officer, funder_return.id, funder_return.version, {hardening.id: 50_000}
    )

    first, second = world.partners[0].name, world.partners[1].name
    assert_the_spreadsheet_shows(
        world,
        funder_return,
        spend={
            hardening.title: ("Proposal 1", first, 62_346, 50_000),
            cctv.title: ("Proposal 1", second, 0, 0),
            cocooning.title: ("Proposal 2", first, 11_110, 11_110),
        },
        outputs={
            (hardening.title, "Output 1.1.1"): 32,
            (hardening.title, "Output 1.1.2"): 5,
            (cctv.title, "Output 1.2.1"): 0,
            (cocooning.title, "Output 2.1.1"): 20,
        },
    )
    assert funder_return.claim_pence == 61_110
