"""Victim First, the victims' service commissioned from Catch22, from the public record: re-let
from August 2018 for three years, extended for two years in 2021, re-tendered in 2023 for April
2024 to March 2027 ("worth up to £1.5m over three years"), and awarded to Catch22 as a £2.5m
contract: above the estimate, so the Commissioner decided it."""

from __future__ import annotations

import datetime as dt

from grants.demo.dates import london
from grants.demo.people import Cast
from grants.demo.timeline import Timeline
from grants.models import Contract, Organisation, Procurement, Programme

ESTIMATE_PENCE = 150_000_000  # £1.5m over three years
AWARDED_PENCE = 250_000_000  # £2.5m over three years
# The first contract's value is not public: the demo takes the re-tender's estimate a year.
FIRST_CONTRACT_A_YEAR = ESTIMATE_PENCE // 3
# A third of the £2.5m, in whole pence (a penny short of the total over three years).
NEW_CONTRACT_A_YEAR = AWARDED_PENCE // 3


def book_victim_first(
    timeline: Timeline, programme: Programme, catch22: Organisation, cast: Cast
) -> tuple[Contract, Procurement, Contract]:
    """Books the 2018 contract, the 2023 procurement and the contract it let."""
    officer, commissioner = cast.officer, cast.decision_maker
    first = Contract(
        programme=programme,
        provider=catch22,
        title="Victim First: support for victims and witnesses (2018)",
        annual_value_pence=FIRST_CONTRACT_A_YEAR,
        starts_on=dt.date(2018, 8, 1),
        ends_on=dt.date(2021, 7, 31),
        extension_options=1,
    )
    timeline.create(london(dt.date(2018, 6, 14), 10), officer, first)
    timeline.fire(london(dt.date(2018, 8, 1), 9), officer, first, "go_live")
    # The scheduler flags a contract for review six months before it ends.
    timeline.fire(london(dt.date(2021, 1, 31), 7), None, first, "flag_review")
    timeline.fire(
        london(dt.date(2021, 3, 16), 15),
        commissioner,
        first,
        "extend",
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
    timeline.fire(london(dt.date(2023, 6, 12), 9), officer, procurement, "publish")
    # It ends on its extended end date. The public record has no interim arrangement before
    # April 2024, and the contract lifecycle has no move for one beyond the extension options.
    timeline.fire(london(dt.date(2023, 7, 31), 17), officer, first, "end")
    timeline.fire(london(dt.date(2023, 8, 14), 12), officer, procurement, "close_bidding")
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
        annual_value_pence=NEW_CONTRACT_A_YEAR,
        starts_on=dt.date(2024, 4, 1),
        ends_on=dt.date(2027, 3, 31),
        # Not public: the demo assumes one extension option, as the last contract had.
        extension_options=1,
    )
    timeline.create(london(dt.date(2023, 11, 1), 11, 30), officer, second)
    timeline.fire(london(dt.date(2024, 4, 1), 9), officer, second, "go_live")
    return first, procurement, second
