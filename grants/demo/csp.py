"""Community Safety Partnership funding in the demo, replayed through the engine.

Each February the office shares the next financial year's £500,000 between the eight CSPs by
formula (half on each area's share of the population, half on its share of recorded crime),
and the Commissioner confirms the allocations; the officer then invites every partnership to
the year's plan round. Last year all eight had their annual plans approved within their
allocations: the money was released quarterly in advance and each
sent quarterly returns signed off by its responsible officer. The officer recorded a forecast
of spend with each in-year return: Charnwood's third quarter showed more than £15,000 forecast
unspent and the Commissioner rolled £18,000 over; North West Leicestershire's is flagged and
still waiting for a decision. This year's allocations are confirmed too, so the plans in the
current round can be approved within them.

Years are relative to loading: "last year" is the financial year before the current one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from grants.demo import places as gss
from grants.demo.applications import Assessment, Booked, DemoApplication, Line, book_applications
from grants.demo.awards import AwardPlan, book_award
from grants.demo.dates import financial_year_label, london, london_date
from grants.demo.people import Cast
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


@dataclass(frozen=True)
class Plan:
    """A partnership's annual plan for last year and how its year went."""

    organisation: str
    title: str
    # (category, description, per cent of the allocation); the last line takes what is left.
    lines: tuple[tuple[str, str, int], ...]
    outputs: tuple[tuple[str, int], ...]
    priorities: tuple[str, ...]
    place: str
    responsible_officer_role: str
    # Spend to date in each quarter's return, in per cent of each budget line.
    spent: tuple[int, int, int, int]
    # What the third quarter's forecast leaves unspent (about), in pence: 0 spends it all.
    unspent_at_q3: int = 0
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
        unspent_at_q3=1_840_000,
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
        unspent_at_q3=1_675_000,
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
        (24, 49, 74, 99),
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
) -> dict[str, Award]:
    """Books the allocations for last year and this one, and last year's plans, awards,
    payments, returns, forecasts and underspend flags; gives last year's awards by
    organisation. Ids must be flushed already."""
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
    if this_year in allocations:
        _book_invitations(timeline, current_round, organisations, allocations[this_year], cast)
    if last_year not in allocations:
        return {}
    round_ = _last_years_round(programme, last_year)
    _book_invitations(timeline, round_, organisations, allocations[last_year], cast)
    specs = [
        _application(plan, last_year, allocations[last_year][plan.organisation]) for plan in PLANS
    ]
    decided_at = london(dt.date(last_year, 3, 25), 14)
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
    for plan, one in zip(PLANS, booked, strict=True):
        one.application.output_targets.extend(
            OutputTarget(position=number, description=description, target=target)
            for number, (description, target) in enumerate(plan.outputs, start=1)
        )
        applicant = cast.owner(plan.organisation)
        signatory = f"{applicant.full_name}, {plan.responsible_officer_role}"
        award = book_award(timeline, one, AwardPlan(AwardStatus.ACCEPTED, signatory), cast)
        _Year(timeline, cast, award, applicant, plan, last_year).book(one)
        awards[plan.organisation] = award
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
    opens_at = london(dt.date(year, 2, 17), 9)
    round_ = Round(
        programme=programme,
        name=f"Community Safety Partnership annual plans {financial_year_label(year)}",
        reference_prefix="CSP",
        financial_year=year,
        opens_at=opens_at,
        published_at=opens_at - 7 * DAY,
        closes_at=london(dt.date(year, 3, 14), 17),
        budget_pence=next(b.amount_pence for b in programme.budgets if b.financial_year == year),
        min_award_pence=1_000_000,
        # The city's allocation is about £200,000.
        max_award_pence=25_000_000,
        short_form_threshold_pence=0,
        who_can_apply="The eight Community Safety Partnerships, by invitation.",
        invitation_only=True,
    )
    db.session.add(round_)
    return round_


def _application(plan: Plan, year: int, allocation_pence: int) -> DemoApplication:
    """The plan asks for the whole allocation, shared between its budget lines."""
    lines = []
    left = allocation_pence
    for number, (category, description, per_cent) in enumerate(plan.lines, start=1):
        pence = left if number == len(plan.lines) else allocation_pence * per_cent // 100
        lines.append(Line(category, description, pence))
        left -= pence
    return DemoApplication(
        plan.organisation,
        f"{plan.title} {financial_year_label(year)}",
        ApplicationStatus.APPROVED,
        tuple(lines),
        {
            "project_summary": "Our annual plan, from the partnership's strategic assessment.",
            "need": "The priorities the partnership's strategic assessment found for the area.",
            "outcomes": "Quarterly returns against the plan's actions and measures.",
            "places": plan.place,
            "priorities": ",".join(plan.priorities),
        },
        plan.submitted_after,
        decision="Approved within the partnership's allocation: the actions match the "
        "priorities in its strategic assessment.",
    )


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

    def book(self, booked: Booked) -> None:
        started = london(dt.date(self.year, 4, 1), 9, 30)

        def conditions_checked() -> None:
            for condition in self.award.conditions:
                condition.met_at, condition.met_by_id = started, self.cast.officer.id

        self.timeline.fire(
            started, self.cast.officer, self.award, "activate", before=conditions_checked
        )
        scheduled = started + dt.timedelta(minutes=5)
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

    def _payment(self, scheduled: dt.datetime, number: int, due: dt.date, pence: int) -> None:
        payment = Payment(
            financial_year=self.year, amount_pence=pence, due_date=due, is_final=number == 4
        )
        self.timeline.create(scheduled, self.cast.officer, payment, before=self._attach(payment))
        # Released a week before each quarter; the first on the day after the award started.
        approved = london(max(due - 7 * DAY, dt.date(self.year, 4, 2)), 11)
        paid = london(london_date(approved) + 2 * DAY, 15)
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
        opened = london(end + DAY, 7)
        submitted = london(due - 5 * DAY, 11)
        accepted = london(london_date(submitted) + 6 * DAY, 10)
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
        forecast_at = accepted + dt.timedelta(hours=1)
        unspent = self.plan.unspent_at_q3 if number == 3 else 0
        self.timeline.at(forecast_at, self._forecast(monitoring_return, unspent, forecast_at, flag))
        if unspent and self.plan.organisation == "csp-charnwood":
            decided = london(london_date(forecast_at) + 16 * DAY, 15)
            if self._past(decided):
                self.timeline.at(decided, self._roll_over(flag, decided))

    def _report(self, monitoring_return: MonitoringReturn, number: int) -> Callable[[], None]:
        per_cent = self.plan.spent[number - 1]

        def fill() -> None:
            application = self.award.application
            monitoring_return.narrative = (
                f"Quarter {number}: the plan's actions ran as set out, reported to the "
                "partnership's board."
            )
            monitoring_return.risks = (
                "Recruitment to one post is slow; the board reviews spend each quarter."
                if self.plan.unspent_at_q3
                else "None beyond those in the plan."
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
        unspent: int,
        at: dt.datetime,
        flag: dict[str, CspUnderspend],
    ) -> Callable[[], None]:
        def record() -> None:
            funded = funded_in_year(self.award, self.year)
            left = funded - spent_to_date(monitoring_return) - unspent
            # Forecasts are given in whole hundreds of pounds.
            rest = max(0, left // 10_000 * 10_000)
            forecast = CspForecast(
                return_id=monitoring_return.id,
                rest_of_year_pence=rest,
                note="From the partnership's finance officer, with the return."
                if not unspent
                else "A post vacant since the summer: its budget will not be spent this year.",
                recorded_by_id=self.cast.officer.id,
                recorded_at=at,
            )
            db.session.add(forecast)
            raised = flag_if_underspending(self.cast.officer, monitoring_return, forecast, at)
            if raised is not None:
                flag["raised"] = raised

        return record

    def _roll_over(self, flag: dict[str, CspUnderspend], at: dt.datetime) -> Callable[[], None]:
        def decide() -> None:
            engine.fire(
                self.cast.decision_maker,
                flag["raised"],
                "roll_over",
                now=at,
                amount_pence=ROLL_OVER_PENCE,
                reason="Rolled over to next year for the rural crime post, filled from April.",
            )

        return decide

    def _attach(self, child: Payment | MonitoringReturn) -> Callable[[], None]:
        def attach() -> None:
            child.award = self.award

        return attach
