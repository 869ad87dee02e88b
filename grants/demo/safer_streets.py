"""The office's bid to the Home Office's Safer Streets Fund round 5: written in August 2023,
awarded in full (£960,591.34 over two financial years), delivered from 1 October 2023 with
councils' community safety partnerships. Each intervention's partner award was offered and
accepted in October 2023; the partners reported on October to December and January to March
and claimed their first quarter; the office's return for October to December went to the Home
Office in January 2024, and the one for January to March is still a draft."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from grants.demo.application_forms import store_pdf
from grants.demo.dates import london
from grants.demo.organisations import CSPS
from grants.demo.people import Cast
from grants.demo.programmes import SAFER_STREETS, safer_streets_budgets
from grants.demo.timeline import Timeline
from grants.extensions import db
from grants.models import (
    Award,
    AwardCondition,
    AwardYear,
    ClaimLine,
    ExternalBid,
    MonitoringReturn,
    Organisation,
    Payment,
    Programme,
)
from grants.models.bids import (
    BidProposal,
    FunderReturn,
    Intervention,
    InterventionOutput,
    InterventionYear,
    PartnerOutputReport,
    ProposalYear,
)
from grants.services.awarding import STANDARD_CONDITIONS
from grants.services.rollup import fill_from_partners, quarter_bounds, quarter_profile

# By proposal (as in SAFER_STREETS): its interventions as (title, partner CSP, 2023/24 budget,
# 2024/25 budget, match funding, outputs). Each proposal's interventions add up to its award.
INTERVENTIONS = {
    "Proposal 1: violence against women and girls": (
        ("Bystander programme and age-appropriate resources co-produced with young people",
         "csp-leicester", 5_000_000, 10_000_000, 1_500_000,
         (("Young people trained as active bystanders", 1200),
          ("Schools using the resources", 40))),
        ("Community partnership scheme and behaviour change campaign", "csp-charnwood",
         5_518_900, 11_037_900, 0, (("Businesses signed up to the partnership scheme", 60),)),
    ),
    "Proposal 2: anti-social behaviour in Melton": (
        ("Target hardening of homes, CCTV, fly-tipping cameras and a redeployable drone camera",
         "csp-melton", 10_000_000, 8_000_000, 2_000_000,
         (("Homes target-hardened", 100), ("CCTV cameras installed", 12))),
        ("Weekly ASB sessions, youth outreach, practitioner training and lighting in hotspots",
         "csp-melton", 5_698_395, 7_698_394, 0,
         (("Young people reached by outreach", 300), ("Practitioners trained", 50))),
    ),
    "Proposal 3: neighbourhood crime in Oadby and Wigston": (
        ("Target hardening and anti-burglary cocooning packs", "csp-oadby-wigston",
         11_000_000, 9_000_000, 1_000_000,
         (("Properties target-hardened", 400), ("Cocooning packs delivered", 250))),
        ("Neighbourhood crime campaign with redeployable and fixed CCTV", "csp-oadby-wigston",
         5_552_773, 7_552_772, 0, (("CCTV cameras installed", 8),)),
    ),
}  # fmt: skip
FIRST_YEAR, SECOND_YEAR = 2023, 2024
DELIVERY_STARTS_QUARTER = 3  # 1 October 2023


def book_safer_streets(timeline: Timeline, programme: Programme, cast: Cast) -> ExternalBid:
    # The three proposals' sums are the programme's budget: one figure, kept in one place.
    total = sum(safer_streets_budgets().values())
    bid = ExternalBid(
        programme=programme,
        title="Safer Streets Fund round 5: VAWG across the area, ASB in Melton, "
        "neighbourhood crime in Oadby and Wigston",
        funder_name=programme.funder_name or "Home Office",
        amount_requested_pence=total,
        first_financial_year=FIRST_YEAR,
        last_financial_year=SECOND_YEAR,
        proposals=[_proposal(position, title) for position, title in enumerate(SAFER_STREETS, 1)],
    )
    officer = cast.officer
    timeline.create(london(dt.date(2023, 8, 1), 10), officer, bid)
    # The Commissioner signs the bid off before it goes to the Home Office.
    timeline.fire(london(dt.date(2023, 8, 24), 16), cast.decision_maker, bid, "submit")

    def awarded_in_full() -> None:
        for proposal in bid.proposals:
            for year in proposal.years:
                year.awarded_pence = year.requested_pence

    timeline.fire(
        london(dt.date(2023, 9, 21), 11),
        officer,
        bid,
        "record_award",
        before=awarded_in_full,
        amount_awarded_pence=total,
        reason="The Home Office awarded the full amount over 2023/24 and 2024/25.",
    )
    timeline.fire(london(dt.date(2023, 9, 22), 9), officer, bid, "mobilise")
    timeline.fire(london(dt.date(2023, 10, 1), 9), officer, bid, "start_delivery")
    interventions = [i for p in bid.proposals for i in p.interventions]
    for number, intervention in enumerate(interventions, start=1):
        _partner_award(timeline, cast, bid, intervention, number)
    _rollups(timeline, cast, bid, interventions)
    return bid


def _proposal(position: int, title: str) -> BidProposal:
    award, first = SAFER_STREETS[title]
    proposal = BidProposal(
        position=position,
        title=title,
        years=[
            ProposalYear(financial_year=FIRST_YEAR, requested_pence=first),
            ProposalYear(financial_year=SECOND_YEAR, requested_pence=award - first),
        ],
    )
    for number, (name, partner, first_pence, second_pence, match, outputs) in enumerate(
        INTERVENTIONS[title], start=1
    ):
        proposal.interventions.append(
            Intervention(
                position=number,
                title=name,
                partner_id=_organisation_id(partner),
                match_funding_pence=match,
                match_funding_source="The council's community safety budget" if match else None,
                years=[
                    InterventionYear(
                        financial_year=FIRST_YEAR,
                        budget_pence=first_pence,
                        first_quarter=DELIVERY_STARTS_QUARTER,
                    ),
                    InterventionYear(financial_year=SECOND_YEAR, budget_pence=second_pence),
                ],
                outputs=[
                    InterventionOutput(position=n, description=text, target=target)
                    for n, (text, target) in enumerate(outputs, start=1)
                ],
            )
        )
    return proposal


def _organisation_id(key: str) -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.name == CSPS[key][0]))


def _partner_award(
    timeline: Timeline, cast: Cast, bid: ExternalBid, intervention: Intervention, number: int
) -> Award:
    offered = london(dt.date(2023, 10, 2), 10, number)
    award = Award(
        programme=bid.programme,
        title=intervention.title,
        amount_pence=0,
        approved_by_id=cast.decision_maker.id,
        recommended_by_id=cast.officer.id,
        offer_expires_at=london(dt.date(2023, 11, 1), 17),
        starts_on=dt.date(2023, 10, 1),
        ends_on=dt.date(2025, 3, 31),
        conditions=[
            AwardCondition(position=n, text=text, before_first_payment=True)
            for n, text in enumerate(STANDARD_CONDITIONS, start=1)
        ],
    )

    def issue() -> None:
        # Known once the bid's interventions are saved: the whole budget, year by year.
        award.intervention = intervention
        award.organisation_id = intervention.partner_id
        award.reference = f"SSF5-I{intervention.id}-1"
        award.years = [
            AwardYear(financial_year=y.financial_year, amount_pence=y.budget_pence)
            for y in intervention.years
        ]
        award.amount_pence = sum(y.budget_pence for y in intervention.years)

    timeline.create(offered, cast.officer, award, before=issue)
    partner = cast.owner(_partner_key_by_id(intervention))
    timeline.fire(
        offered + dt.timedelta(days=3), partner, award, "accept", signatory="Partnership manager"
    )

    def conditions_met() -> None:
        for condition in award.conditions:
            condition.met_at, condition.met_by_id = offered + dt.timedelta(days=4), cast.officer.id

    timeline.fire(
        offered + dt.timedelta(days=4), cast.officer, award, "activate", before=conditions_met
    )
    _partner_delivery(timeline, cast, award, intervention, partner)
    return award


def _partner_key_by_id(intervention: Intervention) -> str:
    # The intervention's partner is set by id before anything is saved.
    for key in CSPS:
        if _organisation_id(key) == intervention.partner_id:
            return key
    raise LookupError(intervention.title)


def _partner_delivery(timeline, cast, award, intervention, partner) -> None:  # type: ignore[no-untyped-def]
    """The partner's returns for October to December and January to March, accepted, with outputs to
    date; and its claim for the first quarter's spend (its profile), approved and paid."""
    book = timeline.fire
    for quarter, share in ((3, 40), (4, 80)):
        start, end = quarter_bounds(FIRST_YEAR, quarter)
        monitoring_return = MonitoringReturn(
            period_start=start, period_end=end, due_date=end + dt.timedelta(days=15)
        )

        def attach(child=monitoring_return) -> None:  # type: ignore[no-untyped-def]
            child.award = award

        timeline.create(
            london(dt.date(2023, 10, 9), 9), cast.officer, monitoring_return, before=attach
        )
        book(london(end + dt.timedelta(days=1), 7), None, monitoring_return, "open")

        def fill(child=monitoring_return, share=share) -> None:  # type: ignore[no-untyped-def]
            child.narrative = f"{intervention.title}: delivery on track with the plan agreed."
            child.risks = "Contractor lead times for equipment; orders placed early."
            for output in intervention.outputs:
                db.session.add(
                    PartnerOutputReport(
                        monitoring_return=child,
                        intervention_output_id=output.id,
                        achieved=output.target * share // 100,
                    )
                )

        book(
            london(end + dt.timedelta(days=8), 11),
            partner,
            monitoring_return,
            "submit",
            before=fill,
        )
        book(london(end + dt.timedelta(days=12), 10), cast.officer, monitoring_return, "accept")
    first = next(y for y in intervention.years if y.financial_year == FIRST_YEAR)
    claim = Payment(
        financial_year=FIRST_YEAR, amount_pence=quarter_profile(first.budget_pence, 3, 3)
    )
    claimed = london(dt.date(2023, 12, 15), 11)

    def attach_claim() -> None:
        claim.award = award

    timeline.create(claimed - dt.timedelta(hours=1), partner, claim, before=attach_claim)

    def evidence() -> None:
        document = store_pdf(
            f"{award.organisation.name}: invoices for {award.reference}, October to December",
            "Invoices.pdf",
            organisation_id=award.organisation_id,
            uploaded_by_id=partner.id,
            at=claimed,
            purpose="claim_evidence",
            payment_id=claim.id,
        )
        claim.claim_lines.append(
            ClaimLine(
                description="Delivery October to December 2023, as invoiced",
                amount_pence=claim.amount_pence,
                document_id=document.id,
            )
        )

    book(claimed, partner, claim, "claim", before=evidence)
    book(london(dt.date(2023, 12, 18), 11), cast.second_officer, claim, "approve")
    book(
        london(dt.date(2023, 12, 20), 15),
        cast.finance,
        claim,
        "pay",
        paid_on=dt.date(2023, 12, 20),
        payment_reference=f"OPCC-231220-{intervention.partner_id:03d}-{intervention.position}",
    )


def _rollups(timeline: Timeline, cast: Cast, bid: ExternalBid, interventions) -> None:  # type: ignore[no-untyped-def]
    """October to December 2023 went to the Home Office; January to March 2024 is being drafted."""
    for quarter, drafted in ((3, dt.date(2024, 1, 22)), (4, dt.date(2024, 4, 22))):
        start, end = quarter_bounds(FIRST_YEAR, quarter)
        funder_return = FunderReturn(
            financial_year=FIRST_YEAR,
            quarter=quarter,
            period_start=start,
            period_end=end,
            drafted_by_id=cast.officer.id,
        )

        def fill(child=funder_return) -> None:  # type: ignore[no-untyped-def]
            child.bid = bid
            fill_from_partners(child, interventions)

        timeline.create(london(drafted, 10), cast.officer, funder_return, before=fill)
        if quarter == 4:
            continue
        timeline.fire(london(drafted, 15), cast.officer, funder_return, "review")
        timeline.fire(
            london(drafted + dt.timedelta(days=1), 11),
            cast.decision_maker,
            funder_return,
            "sign_off",
        )
        timeline.fire(
            london(drafted + dt.timedelta(days=2), 10),
            cast.officer,
            funder_return,
            "submit",
            funder_reference="SSF5-LLR-Q3-2023",
        )
