"""Community Safety Partnership funding in the demo, replayed through the engine.

Each February the office shares the next financial year's £500,000 between the eight CSPs by
formula (half on each area's share of the population, half on its share of recorded crime),
and the Commissioner confirms the allocations; the officer then invites every partnership to
the year's plan round, open from mid-February to mid-March, and the plans are decided by the
end of March so their awards start on 1 April.

Last year all eight had their annual plans approved within their allocations: the money was
released quarterly in advance and each sent quarterly returns signed off by its responsible
officer. The officer recorded a forecast of spend with each in-year return, and three showed
more than the £15,000 threshold unspent: Harborough's second quarter (its rural patrols
stopped), on which the Commissioner clawed back the fourth quarter's instalment, not yet paid,
so it was cancelled; Charnwood's third quarter, on which the Commissioner rolled £18,000 over;
and North West Leicestershire's third quarter, still waiting for a decision.

This year's allocations are confirmed too, and the plan round ran before the year began: six
plans approved and awarded, paid and reporting quarter by quarter as far as the date of
loading; North West Leicestershire's sent back for changes; Melton invited but with no plan.

Years are relative to loading: "last year" is the financial year before the current one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from grants.demo import places as gss
from grants.demo.applications import Assessment, Booked, DemoApplication, Line, book_applications
from grants.demo.awards import AwardPlan, book_award
from grants.demo.dates import financial_year_label, london, london_date
from grants.demo.people import Cast
from grants.demo.programmes import csp_plan_round
from grants.demo.timeline import Timeline
from grants.extensions import db
from grants.models import (
    ApplicationStatus,
    Award,
    AwardStatus,
    MonitoringReturn,
    Organisation,
    OutputTarget,
    Payment,
    Programme,
    ReturnOutput,
    ReturnSpend,
    Round,
    User,
)
from grants.models.csp import (
    AllocationMethod,
    CspAllocation,
    CspAllocationBasis,
    CspForecast,
    CspInvitation,
    CspUnderspend,
)
from grants.services.csp import (
    describe,
    flag_if_underspending,
    formula_allocations,
    funded_in_year,
    move_underspend_money,
    spent_to_date,
)
from workflows import engine

POPULATION_WEIGHT = CRIME_WEIGHT = 50
# Mid-year population estimates and police recorded crime for the year before, rounded, by
# CSP: last year's inputs, then this year's (a little more people, a little less crime).
LAST_YEAR_INPUTS = {
    "csp-leicester": (368_600, 45_100),
    "csp-charnwood": (183_900, 12_200),
    "csp-blaby-hinckley": (216_800, 14_900),
    "csp-harborough": (97_600, 5_400),
    "csp-melton": (52_100, 3_500),
    "csp-nwl": (105_300, 8_300),
    "csp-oadby-wigston": (58_200, 4_000),
    "csp-rutland": (41_000, 1_900),
}
THIS_YEAR_INPUTS = {
    "csp-leicester": (373_400, 43_800),
    "csp-charnwood": (186_000, 12_600),
    "csp-blaby-hinckley": (219_500, 14_400),
    "csp-harborough": (98_600, 5_200),
    "csp-melton": (52_500, 3_300),
    "csp-nwl": (106_200, 8_100),
    "csp-oadby-wigston": (58_500, 3_900),
    "csp-rutland": (41_400, 1_700),
}
ROLL_OVER_PENCE = 1_800_000
DAY = dt.timedelta(days=1)
# This year's plans are spending to plan so far: spend to date by quarter, in per cent.
ON_TRACK = (24, 49, 74, 99)
# This year's plans that were not approved: sent back for changes (with the changes asked for),
# and the partnership invited that has not started one. (A draft never sent in would have
# lapsed when the round closed in March; one sent back for changes never lapses.)
SENT_BACK = {
    "csp-nwl": "The substance misuse line still pays for diversion sessions from the provider "
    "that withdrew last autumn. Name the new provider, or move the money to another of the "
    "partnership's priorities, and change the plan's actions and budget lines to match.",
}
NOT_STARTED = ("csp-melton",)


@dataclass(frozen=True)
class Slip:
    """A quarter's forecast that left more than the threshold unspent (so the partnership was
    flagged), and what the Commissioner decided on the flag."""

    quarter: int
    unspent: int  # about, in pence
    why: str  # the finance officer's note with the forecast
    risk: str  # what the partnership's returns said about it
    decision: str | None = None  # "roll_over" or "claw_back"; None: still waiting
    # None with a claw back: what the year's last instalment, not yet paid, holds, so the
    # decision cancels it.
    amount_pence: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    """A partnership's annual plan (the same actions last year and this) and how last year
    went."""

    organisation: str
    title: str
    # (category, description, per cent of the allocation); the last line takes what is left.
    lines: tuple[tuple[str, str, int], ...]
    outputs: tuple[tuple[str, int], ...]
    priorities: tuple[str, ...]
    place: str
    responsible_officer_role: str
    # Spend to date in each of last year's returns, in per cent of each budget line.
    spent: tuple[int, int, int, int]
    slip: Slip | None = None  # last year's
    submitted_after: dt.timedelta = dt.timedelta(days=10, hours=11)


PLANS = (
    Plan(
        "csp-charnwood",
        "Charnwood Community Safety Partnership plan",
        (
            ("Anti-social behaviour", "Loughborough town centre hotspots", 40),
            ("Night-time economy", "Student safety and street pastors", 30),
            ("Rural crime", "Rural crime prevention in the Wolds", 30),
        ),
        (("ASB cases resolved by the case workers", 140), ("Street pastor patrols", 90)),
        ("asb", "night-time-economy", "rural-crime"),
        gss.CHARNWOOD,
        "Head of Community Safety",
        # The rural crime post was vacant from the summer: spend slipped.
        (18, 36, 52, 76),
        slip=Slip(
            3,
            1_840_000,
            "A post vacant since the summer: its budget will not be spent this year.",
            "Recruitment to the rural crime post is slow; the board reviews spend each quarter.",
            "roll_over",
            ROLL_OVER_PENCE,
            "Rolled over to next year for the rural crime post, filled from April.",
        ),
        submitted_after=dt.timedelta(days=9, hours=10),
    ),
    Plan(
        "csp-nwl",
        "North West Leicestershire Community Safety Partnership plan",
        (
            ("Anti-social behaviour", "Coalville ASB case work and mediation", 45),
            ("Domestic abuse", "Outreach and target hardening for victims", 35),
            ("Substance misuse", "Diversion sessions for young people", 20),
        ),
        (("ASB cases resolved", 80), ("Homes of domestic abuse victims made safer", 45)),
        ("asb", "domestic-abuse", "substance-misuse"),
        gss.NORTH_WEST_LEICESTERSHIRE,
        "Community Safety Team Leader",
        # The diversion provider pulled out in the autumn.
        (15, 30, 45, 70),
        slip=Slip(
            3,
            1_675_000,
            "The diversion provider withdrew in the autumn: its sessions will not run this year.",
            "The diversion provider is reviewing its services; the board reviews spend each "
            "quarter.",
        ),
        submitted_after=dt.timedelta(days=13, hours=14),
    ),
    Plan(
        "csp-rutland",
        "Safer Rutland Partnership plan",
        (
            ("Rural crime", "Farm and rural watch", 40),
            ("Domestic abuse", "Independent domestic violence adviser, part time", 40),
            ("Road safety", "Community speed watch equipment and training", 20),
        ),
        (("Farms and rural businesses in the watch scheme", 60), ("Victims supported", 35)),
        ("rural-crime", "domestic-abuse", "road-safety"),
        gss.RUTLAND,
        "Community Safety Manager",
        (24, 49, 73, 98),
        submitted_after=dt.timedelta(days=16, hours=9),
    ),
    Plan(
        "csp-leicester",
        "Safer Leicester Partnership plan",
        (
            ("Domestic abuse", "Independent advocates and perpetrator work", 35),
            ("Anti-social behaviour", "Neighbourhood ASB case workers", 30),
            ("Serious violence", "Knife crime prevention in schools", 25),
            ("Hate crime", "Third-party reporting centres", 10),
        ),
        (("Victims supported by the advocates", 420), ("ASB cases resolved", 600)),
        ("domestic-abuse", "asb", "knife-crime", "hate-crime"),
        gss.LEICESTER,
        "Head of Community Safety",
        (25, 50, 74, 99),
        submitted_after=dt.timedelta(days=11, hours=15),
    ),
    Plan(
        "csp-blaby-hinckley",
        "Blaby and Hinckley & Bosworth Community Safety Partnership plan",
        (
            ("Anti-social behaviour", "Enderby and Hinckley ASB case work", 50),
            ("Neighbourhood crime", "Burglary target hardening", 30),
            ("Road safety", "Speed watch in the villages", 20),
        ),
        (("ASB cases resolved", 150), ("Homes target-hardened", 120)),
        ("asb", "neighbourhood-crime", "road-safety"),
        gss.BLABY,
        "Community Safety Manager",
        (23, 48, 72, 97),
        submitted_after=dt.timedelta(days=12, hours=10),
    ),
    Plan(
        "csp-harborough",
        "Harborough Community Safety Partnership plan",
        (
            ("Rural crime", "Farm watch and rural patrols", 45),
            ("Domestic abuse", "Outreach in the market towns", 35),
            ("Cyber crime", "Scam awareness for older people", 20),
        ),
        (("Farms in the watch scheme", 70), ("Scam awareness sessions", 30)),
        ("rural-crime", "domestic-abuse", "cyber-fraud"),
        gss.HARBOROUGH,
        "Community Safety Officer",
        # The rural patrols stopped in the summer: spend slipped, and picked up a little once
        # the farm watch took on some of their work.
        (17, 33, 48, 68),
        slip=Slip(
            2,
            1_630_000,
            "The rural patrols' provider withdrew in the summer: the patrols will not run again "
            "this year.",
            "The rural patrols' provider has given notice; the board reviews spend each quarter.",
            "claw_back",
            reason="The rural patrols will not run again this year: the fourth quarter's "
            "instalment, not yet paid, is clawed back. The partnership keeps what it has been "
            "paid for the farm watch and the outreach work.",
        ),
        submitted_after=dt.timedelta(days=14, hours=11),
    ),
    Plan(
        "csp-melton",
        "Melton Community Safety Partnership plan",
        (
            ("Anti-social behaviour", "Town centre ASB case work", 50),
            ("Substance misuse", "Youth diversion sessions", 30),
            ("Rural crime", "Rural crime prevention", 20),
        ),
        (("ASB cases resolved", 60), ("Young people in diversion sessions", 80)),
        ("asb", "substance-misuse", "rural-crime"),
        gss.MELTON,
        "Head of Communities",
        (25, 50, 75, 100),
        submitted_after=dt.timedelta(days=15, hours=16),
    ),
    Plan(
        "csp-oadby-wigston",
        "Oadby and Wigston Community Safety Partnership plan",
        (
            ("Anti-social behaviour", "Parks and open spaces patrols", 40),
            ("Hate crime", "Community cohesion projects", 30),
            ("Neighbourhood crime", "Cycle and vehicle crime prevention", 30),
        ),
        (("ASB cases resolved", 50), ("Cohesion events held", 12)),
        ("asb", "hate-crime", "neighbourhood-crime"),
        gss.OADBY_AND_WIGSTON,
        "Community Safety Manager",
        (24, 49, 73, 98),
        submitted_after=dt.timedelta(days=13, hours=9),
    ),
)


def book_csp_funding(
    timeline: Timeline,
    current_round: Round,
    organisations: dict[str, Organisation],
    cast: Cast,
) -> dict[int, dict[str, Award]]:
    """Books the allocations for last year and this one, each year's plan round with its
    invitations, plans, awards, payments, returns, forecasts and underspend decisions; gives
    each year's awards by organisation. Ids must be flushed already."""
    programme = current_round.programme
    this_year = current_round.financial_year
    last_year = this_year - 1
    budgeted = {budget.financial_year for budget in programme.budgets}
    allocations = {}
    for year, inputs in ((last_year, LAST_YEAR_INPUTS), (this_year, THIS_YEAR_INPUTS)):
        if year in budgeted:
            allocations[year] = _book_allocations(
                timeline, programme, year, inputs, organisations, cast
            )
    awards: dict[int, dict[str, Award]] = {}
    if last_year in allocations:
        round_ = _last_years_round(programme, last_year)
        _book_invitations(timeline, round_, organisations, allocations[last_year], cast)
        awards[last_year] = _book_plans(
            timeline, round_, PLANS, allocations[last_year], organisations, cast
        )
    if this_year in allocations:
        _book_invitations(timeline, current_round, organisations, allocations[this_year], cast)
        sent = [plan for plan in PLANS if plan.organisation not in NOT_STARTED]
        awards[this_year] = _book_plans(
            timeline, current_round, sent, allocations[this_year], organisations, cast, current=True
        )
    return awards


def quarter_of(year: int, number: int) -> tuple[dt.date, dt.date, dt.date]:
    """The start, end and due date of a financial year's quarter (1 to 4): due a month after
    it ends."""
    starts = [dt.date(year, 4, 1), dt.date(year, 7, 1), dt.date(year, 10, 1)]
    starts += [dt.date(year + 1, 1, 1), dt.date(year + 1, 4, 1)]
    start, following = starts[number - 1], starts[number]
    return start, following - DAY, dt.date(following.year, following.month + 1, 1) - DAY


def _book_allocations(
    timeline: Timeline,
    programme: Programme,
    year: int,
    inputs: dict[str, tuple[int, int]],
    organisations: dict[str, Organisation],
    cast: Cast,
) -> dict[str, int]:
    """Worked out by the officer in early February before the year, confirmed by the
    Commissioner a week later; gives the amounts by organisation."""
    pot = next(b.amount_pence for b in programme.budgets if b.financial_year == year)
    by_id = {organisations[key].id: key for key in inputs}
    shares = formula_allocations(
        pot,
        {organisations[key].id: figures for key, figures in inputs.items()},
        POPULATION_WEIGHT,
        CRIME_WEIGHT,
    )
    set_at = london(dt.date(year, 2, 3), 10)
    confirmed_at = london(dt.date(year, 2, 10), 11)
    basis = CspAllocationBasis(
        programme_id=programme.id,
        financial_year=year,
        method=AllocationMethod.FORMULA,
        pot_pence=pot,
        population_weight=POPULATION_WEIGHT,
        crime_weight=CRIME_WEIGHT,
        set_by_id=cast.officer.id,
        set_at=set_at,
    )
    timeline.at(set_at, lambda: db.session.add(basis))
    for organisation_id, key in by_id.items():
        population, crime = inputs[key]
        allocation = CspAllocation(
            programme=programme,
            organisation=organisations[key],
            financial_year=year,
            method=AllocationMethod.FORMULA,
            amount_pence=shares[organisation_id],
            population=population,
            recorded_crime=crime,
        )
        timeline.create(set_at, cast.officer, allocation, reason=describe(basis))
        timeline.fire(
            confirmed_at,
            cast.decision_maker,
            allocation,
            "confirm",
            reason=f"Allocations for {financial_year_label(year)} agreed by the Commissioner.",
        )
    return {key: shares[organisation_id] for organisation_id, key in by_id.items()}


def _book_invitations(
    timeline: Timeline,
    round_: Round,
    organisations: dict[str, Organisation],
    allocations: dict[str, int],
    cast: Cast,
) -> None:
    """Every partnership with a confirmed allocation invited to the plan round, once the
    allocations were confirmed and the round published (the emails belong to the past)."""
    confirmed = london(dt.date(round_.financial_year, 2, 10), 11)
    invited_at = max(confirmed, round_.published_at or round_.opens_at) + dt.timedelta(hours=3)
    invited_at = min(invited_at, round_.opens_at)

    def invite() -> None:
        db.session.add_all(
            CspInvitation(
                round=round_,
                organisation=organisations[key],
                invited_by_id=cast.officer.id,
                invited_at=invited_at,
            )
            for key in allocations
        )

    timeline.at(invited_at, invite)


def _last_years_round(programme: Programme, year: int) -> Round:
    # Not called "CSP annual plans" like the current round, so the two are told apart by name.
    name = f"Community Safety Partnership annual plans {financial_year_label(year)}"
    round_ = csp_plan_round(programme, year, name)
    db.session.add(round_)
    return round_


def _book_plans(
    timeline: Timeline,
    round_: Round,
    plans: list[Plan] | tuple[Plan, ...],
    allocations: dict[str, int],
    organisations: dict[str, Organisation],
    cast: Cast,
    current: bool = False,
) -> dict[str, Award]:
    """The year's plans sent to its round, each asking for the partnership's whole allocation,
    decided together at the end of March: approved and awarded, their years booked as far as
    the date of loading, or (``current`` year only) sent back for changes. Gives the awards by
    organisation."""
    year = round_.financial_year
    changes = SENT_BACK if current else {}
    specs = [
        _application(plan, year, allocations[plan.organisation], changes.get(plan.organisation))
        for plan in plans
    ]
    decided_at = london(dt.date(year, 3, 25), 14)
    booked = book_applications(
        timeline,
        round_,
        specs,
        organisations,
        cast,
        # Non-competitive: checked against the partnership's allocation, not scored.
        Assessment(decided_at=decided_at, scorers=0),
    )
    awards = {}
    for plan, one in zip(plans, booked, strict=True):
        one.application.output_targets.extend(
            OutputTarget(position=number, description=description, target=target)
            for number, (description, target) in enumerate(plan.outputs, start=1)
        )
        if one.spec.reached is not ApplicationStatus.APPROVED:
            _send_back(timeline, round_, one, cast, decided_at - 5 * DAY)
            continue
        applicant = cast.owner(plan.organisation)
        signatory = f"{applicant.full_name}, {plan.responsible_officer_role}"
        award = book_award(timeline, one, AwardPlan(AwardStatus.ACCEPTED, signatory), cast)
        # Last year's plans went as each plan's story says; this year's spend to plan so far.
        spent, slip = (ON_TRACK, None) if current else (plan.spent, plan.slip)
        _Year(timeline, cast, award, applicant, plan, year, spent, slip).book(one)
        awards[plan.organisation] = award
    return awards


def _send_back(
    timeline: Timeline, round_: Round, booked: Booked, cast: Cast, at: dt.datetime
) -> None:
    """The officer started assessing the plan the day after it came in and sent it back for
    the changes asked for: a draft again, under its reference, waiting for them."""
    spec = booked.spec
    if spec.submitted_after is None:
        raise ValueError(f"{spec.title}: only a plan sent in can be sent back")
    started = round_.opens_at + spec.submitted_after + DAY
    if started >= at:
        raise ValueError(f"{spec.title}: sent back before its assessment started")
    application = booked.application
    timeline.fire(started, cast.officer, application, "start_assessment")
    timeline.fire(at, cast.officer, application, "request_changes", reason=spec.decision)


def _application(
    plan: Plan, year: int, allocation_pence: int, changes: str | None = None
) -> DemoApplication:
    """The plan asks for the whole allocation, shared between its budget lines; approved,
    unless the officer asked for ``changes`` (it was sent in, then sent back)."""
    lines = []
    left = allocation_pence
    for number, (category, description, per_cent) in enumerate(plan.lines, start=1):
        pence = left if number == len(plan.lines) else allocation_pence * per_cent // 100
        lines.append(Line(category, description, pence))
        left -= pence
    return DemoApplication(
        plan.organisation,
        f"{plan.title} {financial_year_label(year)}",
        ApplicationStatus.SUBMITTED if changes else ApplicationStatus.APPROVED,
        tuple(lines),
        {
            "project_summary": "Our annual plan, from the partnership's strategic assessment.",
            "need": "The priorities the partnership's strategic assessment found for the area.",
            "outcomes": "Quarterly returns against the plan's actions and measures.",
            "places": plan.place,
            "priorities": ",".join(plan.priorities),
        },
        plan.submitted_after,
        decision=changes
        or "Approved within the partnership's allocation: the actions match the priorities in "
        "its strategic assessment.",
    )


def _return_times(year: int, number: int) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """When a quarter's return was opened (by the scheduler, the morning after the quarter),
    sent in (five days before it was due) and accepted (six days later)."""
    _, end, due = quarter_of(year, number)
    submitted = london(due - 5 * DAY, 11)
    return london(end + DAY, 7), submitted, london(london_date(submitted) + 6 * DAY, 10)


def _forecast_time(year: int, number: int) -> dt.datetime:
    # Recorded by the officer an hour after accepting the return.
    return _return_times(year, number)[2] + dt.timedelta(hours=1)


def _decision_time(year: int, slip: Slip) -> dt.datetime:
    # The Commissioner decided a little over a fortnight after the flag was raised.
    return london(london_date(_forecast_time(year, slip.quarter)) + 16 * DAY, 15)


def _instalment_approval(year: int, due: dt.date) -> dt.datetime:
    # Released a week before each quarter; the first on the day after the award started.
    return london(max(due - 7 * DAY, dt.date(year, 4, 2)), 11)


@dataclass
class _Year:
    """One partnership's year on its award: started on 1 April, paid quarterly in advance,
    and reporting each quarter with its responsible officer's sign-off."""

    timeline: Timeline
    cast: Cast
    award: Award
    applicant: User
    plan: Plan
    year: int
    spent: tuple[int, int, int, int]  # spend to date in each quarter's return, in per cent
    slip: Slip | None = None
    instalments: dict[int, Payment] = field(default_factory=dict)

    def book(self, booked: Booked) -> None:
        started = london(dt.date(self.year, 4, 1), 9, 30)
        scheduled = started + dt.timedelta(minutes=5)
        if not self._past(scheduled + dt.timedelta(minutes=4)):
            return  # loaded on the year's first morning: the award is started later that day

        def conditions_checked() -> None:
            for condition in self.award.conditions:
                condition.met_at, condition.met_by_id = started, self.cast.officer.id

        self.timeline.fire(
            started, self.cast.officer, self.award, "activate", before=conditions_checked
        )
        amount = booked.approved_pence
        quarter = amount // 4
        for number in range(1, 5):
            start, _, _ = quarter_of(self.year, number)
            pence = amount - 3 * quarter if number == 4 else quarter
            self._payment(scheduled, number, start, pence)
        flag: dict[str, CspUnderspend] = {}
        for number in range(1, 5):
            self._return(scheduled + dt.timedelta(minutes=number), number, flag)

    def _past(self, when: dt.datetime) -> bool:
        # The last quarter's return falls due after the year; a demo loaded in April has not
        # had it yet.
        return when <= self.timeline.now

    def _cancelled_at(self, number: int) -> dt.datetime | None:
        """When a claw back cancelled this instalment before it was released, if one did: a
        claw back of what the last instalment holds."""
        slip = self.slip
        if number != 4 or slip is None or slip.decision != "claw_back" or slip.amount_pence:
            return None
        decided = _decision_time(self.year, slip)
        return decided if self._past(decided) else None

    def _payment(self, scheduled: dt.datetime, number: int, due: dt.date, pence: int) -> None:
        payment = Payment(
            financial_year=self.year, amount_pence=pence, due_date=due, is_final=number == 4
        )
        self.instalments[number] = payment
        self.timeline.create(scheduled, self.cast.officer, payment, before=self._attach(payment))
        approved = _instalment_approval(self.year, due)
        paid = london(london_date(approved) + 2 * DAY, 15)
        cancelled = self._cancelled_at(number)
        if cancelled is not None:
            if cancelled >= approved:
                raise ValueError(
                    f"{self.award.title}: a claw back of the last instalment comes before the "
                    "instalment is released"
                )
            return  # cancelled by the decision: never approved or paid
        if not self._past(paid):
            return
        self.timeline.fire(approved, self.cast.second_officer, payment, "approve")
        self.timeline.fire(
            paid,
            self.cast.finance,
            payment,
            "pay",
            paid_on=london_date(paid),
            payment_reference=f"OPCC-{paid:%y%m%d}-{self.award.organisation.id:03d}-{number}",
        )

    def _return(self, created: dt.datetime, number: int, flag: dict[str, CspUnderspend]) -> None:
        start, end, due = quarter_of(self.year, number)
        monitoring_return = MonitoringReturn(period_start=start, period_end=end, due_date=due)
        book = self.timeline.fire
        officer = self.cast.officer
        self.timeline.create(
            created, officer, monitoring_return, before=self._attach(monitoring_return)
        )
        opened, submitted, accepted = _return_times(self.year, number)
        if not self._past(opened):
            return
        # The scheduler opens each return the morning after its quarter ends.
        book(opened, None, monitoring_return, "open")
        if not self._past(submitted):
            return
        signatory, role = self.applicant.full_name, self.plan.responsible_officer_role
        book(
            submitted,
            self.applicant,
            monitoring_return,
            "submit",
            before=self._report(monitoring_return, number),
            signatory=signatory,
            signatory_role=role,
        )
        if not self._past(accepted):
            return
        book(accepted, officer, monitoring_return, "accept")
        if number == 4:
            return  # the year's outturn: nothing left to forecast
        forecast_at = _forecast_time(self.year, number)
        slip = self.slip if self.slip is not None and self.slip.quarter == number else None
        self.timeline.at(forecast_at, self._forecast(monitoring_return, slip, forecast_at, flag))
        if slip is not None and slip.decision is not None:
            decided = _decision_time(self.year, slip)
            if self._past(decided):
                self.timeline.at(decided, self._decide(slip, flag, decided))

    def _report(self, monitoring_return: MonitoringReturn, number: int) -> Callable[[], None]:
        per_cent = self.spent[number - 1]

        def fill() -> None:
            application = self.award.application
            monitoring_return.narrative = (
                f"Quarter {number}: the plan's actions ran as set out, reported to the "
                "partnership's board."
            )
            monitoring_return.risks = (
                self.slip.risk if self.slip else "None beyond those in the plan."
            )
            monitoring_return.spend = [
                ReturnSpend(budget_line_id=line.id, spent_pence=line.amount_pence * per_cent // 100)
                for line in application.budget_lines
            ]
            monitoring_return.outputs = [
                ReturnOutput(output_target_id=target.id, achieved=target.target * per_cent // 100)
                for target in application.output_targets
            ]

        return fill

    def _forecast(
        self,
        monitoring_return: MonitoringReturn,
        slip: Slip | None,
        at: dt.datetime,
        flag: dict[str, CspUnderspend],
    ) -> Callable[[], None]:
        unspent = slip.unspent if slip is not None else 0

        def record() -> None:
            funded = funded_in_year(self.award, self.year)
            left = funded - spent_to_date(monitoring_return) - unspent
            # Forecasts are given in whole hundreds of pounds.
            rest = max(0, left // 10_000 * 10_000)
            forecast = CspForecast(
                return_id=monitoring_return.id,
                rest_of_year_pence=rest,
                note=slip.why
                if slip is not None
                else "From the partnership's finance officer, with the return.",
                recorded_by_id=self.cast.officer.id,
                recorded_at=at,
            )
            db.session.add(forecast)
            raised = flag_if_underspending(self.cast.officer, monitoring_return, forecast, at)
            if raised is not None:
                flag["raised"] = raised

        return record

    def _decide(
        self, slip: Slip, flag: dict[str, CspUnderspend], at: dt.datetime
    ) -> Callable[[], None]:
        """The Commissioner's decision on the flag, and the money it moves, as the decision
        page makes them (grants/services/csp.py ``decide_underspend``), in the load's one
        transaction."""

        def decide() -> None:
            raised = flag["raised"]
            amount = slip.amount_pence
            if amount is None:
                # The last instalment, still scheduled: clawing it all back cancels it.
                amount = self.instalments[4].amount_pence
            decision_maker = self.cast.decision_maker
            engine.fire(
                decision_maker,
                raised,
                slip.decision,
                now=at,
                amount_pence=amount,
                reason=slip.reason,
            )
            move_underspend_money(decision_maker, raised, at)

        return decide

    def _attach(self, child: Payment | MonitoringReturn) -> Callable[[], None]:
        def attach() -> None:
            child.award = self.award

        return attach
