"""Victim First, the victims' service commissioned from Catch22, from the public record: re-let
from August 2018 for three years, extended for two years in 2021, re-tendered in 2023 for April
2024 to March 2027 ("worth up to £1.5m over three years"), and awarded to Catch22 as a £2.5m
contract: above the estimate, so the Commissioner decided it. The public record names only the
winning bid; the tender's specification and Catch22's bid are stand-in documents.

Its KPIs are the ones reported publicly for the relaunched service's first year (16,134
referrals, 677 aged under 18, 10,459 positive contacts, 97.5% satisfaction, 64 victims engaged in
restorative justice, 53 RJ outcomes), booked as that year's four quarterly returns. The current
contract's quarterly figures, targets and co-commissioning contributions are not public: the demo
assumes them. Its review falls due nine months (``CONTRACT_REVIEW_MONTHS``) before it ends (30
June 2026): once that date has passed when the demo loads, the sweep's flag is in its history, so
the contract is in review until the officer records the options appraisal."""

from __future__ import annotations

import datetime as dt

from grants.demo.application_forms import store_pdf
from grants.demo.dates import london
from grants.demo.people import Cast
from grants.demo.timeline import Timeline
from grants.models import Contract, Organisation, Procurement, Programme
from grants.models.commissioning import (
    ContractKpi,
    ContractPartner,
    KpiRating,
    KpiReturn,
    KpiValue,
    OptionsAppraisal,
    TenderBid,
)
from grants.services.contracts import review_date
from workflows.contract import (
    months_by_year,
    value_a_year,
    years_at_value_a_year,
    years_of_term,
)

ESTIMATE_PENCE = 150_000_000  # £1.5m over three years
AWARDED_PENCE = 250_000_000  # £2.5m over three years
# The first contract's value is not public: the demo takes the re-tender's estimate a year.
FIRST_CONTRACT_A_YEAR = ESTIMATE_PENCE // 3
# The register's value a year: twelve months' worth of the £2.5m (£833,333.33). The contract's
# three financial years hold the award exactly: £833,333.34, £833,333.33 and £833,333.33.
NEW_TERM = (dt.date(2024, 4, 1), dt.date(2027, 3, 31))
NEW_CONTRACT_A_YEAR = value_a_year(AWARDED_PENCE, sum(months_by_year(*NEW_TERM).values()))
SERVICE = "Victims' services"

# (name, unit, decimals, target a quarter, the first year's four quarters: public year totals)
KPIS = (
    ("Victims referred", "referrals", 0, 4_000, (4_012, 4_105, 3_998, 4_019)),
    ("Victims aged under 18", "people", 0, 150, (170, 165, 172, 170)),
    ("Positive contacts", "contacts", 0, 2_500, (2_601, 2_640, 2_588, 2_630)),
    ("Satisfied with the service", "%", 1, 950, (975, 975, 975, 975)),
    ("Victims engaged in restorative justice", "people", 0, 15, (16, 15, 17, 16)),
    ("Restorative justice outcomes", "outcomes", 0, 12, (13, 14, 12, 14)),
)
# The current contract's quarters (assumed): per cent of the first year's quarterly average.
CURRENT_QUARTERS = (101, 98, 103, 96, 99, 104, 97, 102, 100, 95, 101, 103)
# Co-commissioners of the current contract and their contributions a year (assumed).
PARTNERS = (
    ("Leicester City Council", 4_500_000),
    ("Leicestershire County Council", 4_000_000),
    ("Rutland County Council", 500_000),
)


def rating_for(values: list[int], kpis: list[ContractKpi]) -> KpiRating:
    """The demo's officer rates by how many indicators fell short of target."""
    short = sum(1 for value, kpi in zip(values, kpis, strict=True) if value < kpi.target)
    if short == 0:
        return KpiRating.GOOD
    if short == 1:
        return KpiRating.APPROACHING_TARGET
    return KpiRating.REQUIRES_IMPROVEMENT if short <= 3 else KpiRating.INADEQUATE


def _add_kpis(contract: Contract) -> list[ContractKpi]:
    kpis = [
        ContractKpi(position=i, name=name, unit=unit, decimals=decimals, target=target)
        for i, (name, unit, decimals, target, _) in enumerate(KPIS, start=1)
    ]
    contract.kpis.extend(kpis)
    return kpis


def _book_return(
    timeline: Timeline,
    cast: Cast,
    contract: Contract,
    kpis: list[ContractKpi],
    period: tuple[dt.date, dt.date],
    values: list[int] | None,
    stage: str,
    scheduled: dt.datetime | None = None,
) -> None:
    """A quarter's return: created when ``scheduled`` (by default at the quarter's start),
    opened when it ends, then (by ``stage``) left open, submitted by Catch22, or accepted with a
    rating."""
    start, end = period
    kpi_return = KpiReturn(
        contract=contract, period_start=start, period_end=end, due_date=end + dt.timedelta(days=20)
    )
    timeline.create(scheduled or london(start, 6), None, kpi_return)
    if stage == "scheduled":
        return
    timeline.fire(london(end + dt.timedelta(days=1), 6), None, kpi_return, "open")
    if stage == "open" or values is None:
        return

    def fill() -> None:
        kpi_return.values.extend(
            KpiValue(kpi=k, value=v) for k, v in zip(kpis, values, strict=True)
        )
        kpi_return.narrative = "Referrals came in steadily from the police and self-referral."

    provider = cast.users["victim-first@catch22.example.org"]
    timeline.fire(
        london(end + dt.timedelta(days=14), 11), provider, kpi_return, "submit", before=fill
    )
    if stage == "accepted":
        rating = rating_for(values, kpis)
        timeline.fire(
            london(end + dt.timedelta(days=24), 15),
            cast.officer,
            kpi_return,
            "accept",
            rating=rating.value,
            reason=f"{rating.label}: checked against the case management system's figures.",
        )


def _appraisal(contract: Contract, cast: Cast, when: dt.datetime, **text: str) -> None:
    contract.appraisals.append(
        OptionsAppraisal(recorded_by_id=cast.officer.id, recorded_at=when, **text)
    )


def book_victim_first(
    timeline: Timeline, programme: Programme, catch22: Organisation, cast: Cast
) -> tuple[Contract, Procurement, Contract]:
    """Books the 2018 contract, the 2023 procurement and the contract it let."""
    officer, commissioner = cast.officer, cast.decision_maker
    first_term = (dt.date(2018, 8, 1), dt.date(2021, 7, 31))
    first = Contract(
        programme=programme,
        provider=catch22,
        title="Victim First: support for victims and witnesses (2018)",
        service=SERVICE,
        annual_value_pence=FIRST_CONTRACT_A_YEAR,
        starts_on=first_term[0],
        ends_on=first_term[1],
        extension_options=1,
        # The 2021 extension adds its two years at the same value a year.
        years=years_at_value_a_year(FIRST_CONTRACT_A_YEAR, *first_term),
    )
    first_kpis = _add_kpis(first)
    timeline.create(london(dt.date(2018, 6, 14), 10), officer, first)
    timeline.fire(london(dt.date(2018, 8, 1), 9), officer, first, "go_live")
    # The relaunched service's first year, in contract quarters from August 2018.
    quarter_starts = [
        dt.date(2018, 8, 1),
        dt.date(2018, 11, 1),
        dt.date(2019, 2, 1),
        dt.date(2019, 5, 1),
    ]
    quarter_ends = [
        dt.date(2018, 10, 31),
        dt.date(2019, 1, 31),
        dt.date(2019, 4, 30),
        dt.date(2019, 7, 31),
    ]
    for n, period in enumerate(zip(quarter_starts, quarter_ends, strict=True)):
        values = [k[4][n] for k in KPIS]
        _book_return(timeline, cast, first, first_kpis, period, values, "accepted")
    # The scheduler flags a contract for review six months before it ends.
    timeline.fire(london(dt.date(2021, 1, 31), 7), None, first, "flag_review")
    timeline.fire(
        london(dt.date(2021, 3, 16), 15),
        commissioner,
        first,
        "extend",
        before=lambda: _appraisal(
            first,
            cast,
            london(dt.date(2021, 3, 2), 12),
            options_considered="Extend for two years (the one option); re-tender now; let the "
            "service end.",
            costs="Extension: the current price for two more years. Re-tender: about £40,000 of "
            "procurement costs and a risk of disruption during the pandemic.",
            recommendation="Extend for two years: the service meets the Victims' Code of Practice.",
        ),
        new_end_date=dt.date(2023, 7, 31),
        reason="Two-year extension, the contract's one option: the service meets the Victims' "
        "Code of Practice.",
    )
    timeline.fire(london(dt.date(2023, 1, 31), 7), None, first, "flag_review")
    timeline.fire(
        london(dt.date(2023, 3, 8), 14),
        commissioner,
        first,
        "recommission",
        before=lambda: _appraisal(
            first,
            cast,
            london(dt.date(2023, 2, 21), 12),
            options_considered="No extension option is left: re-tender, or let the service end.",
            costs="Re-tender: up to £1.5m over three years, plus procurement costs.",
            recommendation="Re-tender a three-year service from April 2024.",
        ),
        reason="Options appraisal: the extension option is used, and the need continues; "
        "re-tender a three-year service from April 2024.",
    )
    procurement = Procurement(
        programme=programme,
        replaces=first,
        title="Victim First recommissioning, April 2024 to March 2027",
        estimated_value_pence=ESTIMATE_PENCE,
    )
    timeline.create(london(dt.date(2023, 5, 10), 10), officer, procurement)

    published = london(dt.date(2023, 6, 12), 9)

    def specification_and_dates() -> None:
        specification = store_pdf(
            "Victim First: service specification, April 2024 to March 2027",
            "Victim First specification.pdf",
            organisation_id=None,  # type: ignore[arg-type]  (the office's own document)
            uploaded_by_id=officer.id,
            at=published - dt.timedelta(days=5),
            purpose="specification",
        )
        procurement.specification_document_id = specification.id
        procurement.published_on, procurement.closes_on = dt.date(2023, 6, 12), dt.date(2023, 8, 11)

    timeline.fire(published, officer, procurement, "publish", before=specification_and_dates)
    # It ends on its extended end date. The public record has no interim arrangement before
    # April 2024, and the contract lifecycle has no move for one beyond the extension options.
    timeline.fire(london(dt.date(2023, 7, 31), 17), officer, first, "end")

    # The public record names only the winning bid: recorded the day it arrived, with its
    # documents, then scored by the panel once bidding closed (the score is the demo's).
    received = london(dt.date(2023, 8, 10), 15)
    bid = TenderBid(bidder=catch22, price_pence=AWARDED_PENCE, received_on=dt.date(2023, 8, 10))

    def record_bid() -> None:
        bid.document_id = store_pdf(
            "Catch22: tender for Victim First, April 2024 to March 2027",
            "Catch22 tender.pdf",
            organisation_id=catch22.id,
            uploaded_by_id=officer.id,
            at=received,
            purpose="tender_bid",
        ).id
        procurement.bids.append(bid)

    def score_bid() -> None:
        bid.quality_score = 82

    timeline.at(received, record_bid)
    timeline.fire(london(dt.date(2023, 8, 14), 12), officer, procurement, "close_bidding")
    timeline.at(london(dt.date(2023, 9, 26), 16), score_bid)
    timeline.fire(
        london(dt.date(2023, 10, 17), 14),
        commissioner,
        procurement,
        "award",
        awarded_value_pence=AWARDED_PENCE,
        awarded_to_id=catch22.id,
        reason="Catch22's tender scored highest on quality and price. At £2.5m the award is "
        "above the £1.5m estimate, so it is the Commissioner's decision.",
    )
    # Standstill runs 8 working days from the award (to 27 October 2023); signed after it.
    timeline.fire(london(dt.date(2023, 11, 1), 11), officer, procurement, "sign_contract")
    second = Contract(
        programme=programme,
        provider=catch22,
        title="Victim First: support for victims and witnesses (2024 to 2027)",
        service=SERVICE,
        annual_value_pence=NEW_CONTRACT_A_YEAR,
        starts_on=NEW_TERM[0],
        ends_on=NEW_TERM[1],
        # Not public: the demo assumes one extension option, as the last contract had.
        extension_options=1,
        years=years_of_term(AWARDED_PENCE, *NEW_TERM),
    )
    second_kpis = _add_kpis(second)
    second.partners.extend(ContractPartner(name=n, contribution_pence=p) for n, p in PARTNERS)

    def let() -> None:
        procurement.let_contract_id = second.id

    timeline.create(london(dt.date(2023, 11, 1), 11, 30), officer, second)
    timeline.at(london(dt.date(2023, 11, 1), 11, 31), let)
    went_live = london(dt.date(2024, 4, 1), 9)
    timeline.fire(went_live, officer, second, "go_live")
    _book_current_returns(timeline, cast, second, second_kpis, went_live)
    # The sweep flags it for review on its review date, if that has come by the time of loading.
    flagged = london(review_date(second), 7)
    if flagged <= timeline.now:
        timeline.fire(flagged, None, second, "flag_review")
    return first, procurement, second


def _book_current_returns(
    timeline: Timeline,
    cast: Cast,
    contract: Contract,
    kpis: list[ContractKpi],
    went_live: dt.datetime,
) -> None:
    """Financial quarters from April 2024, every one of the term scheduled when the service
    started (as starting it does): rated while long past, the latest two waiting on the officer
    and on Catch22, the rest still scheduled."""
    periods = [
        (dt.date(year, month, 1), _quarter_end(year, month))
        for year in (2024, 2025, 2026)
        for month in (4, 7, 10)
    ] + [(dt.date(year, 1, 1), dt.date(year, 3, 31)) for year in (2025, 2026, 2027)]
    periods.sort()
    # A quarter's return opens at 06:00 the day after it ends: loaded before then (just after
    # midnight, say), the quarter just gone still counts as running.
    ended = [p for p in periods if london(p[1] + dt.timedelta(days=1), 6) <= timeline.now]
    for n, period in enumerate(periods):
        if period not in ended:
            stage = "scheduled"
        elif period == ended[-1]:
            stage = "open"
        elif len(ended) > 1 and period == ended[-2]:
            stage = "submitted"
        else:
            stage = "accepted"
        percent = CURRENT_QUARTERS[n % len(CURRENT_QUARTERS)]
        values = [
            k[4][0] if k[2] else sum(k[4]) * percent // 400  # the year's quarter, scaled
            for k in KPIS
        ]
        scheduled = went_live + dt.timedelta(minutes=1)
        _book_return(timeline, cast, contract, kpis, period, values, stage, scheduled)


def _quarter_end(year: int, month: int) -> dt.date:
    return {4: dt.date(year, 6, 30), 7: dt.date(year, 9, 30), 10: dt.date(year, 12, 31)}[month]
