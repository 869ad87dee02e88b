"""The office's bid to the Home Office's Safer Streets Fund round 5: written in August 2023,
awarded in full (£960,591.34 over two financial years), delivered from 1 October 2023."""

from __future__ import annotations

import datetime as dt

from grants.demo.dates import london
from grants.demo.people import Cast
from grants.demo.programmes import safer_streets_budgets
from grants.demo.timeline import Timeline
from grants.models import ExternalBid, Programme


def book_safer_streets(timeline: Timeline, programme: Programme, cast: Cast) -> ExternalBid:
    # The three proposals' sums are the programme's budget: one figure, kept in one place.
    total = sum(safer_streets_budgets().values())
    bid = ExternalBid(
        programme=programme,
        title="Safer Streets Fund round 5: VAWG across the area, ASB in Melton, "
        "neighbourhood crime in Oadby and Wigston",
        funder_name=programme.funder_name or "Home Office",
        amount_requested_pence=total,
    )
    officer = cast.officer
    timeline.create(london(dt.date(2023, 8, 1), 10), officer, bid)
    # The Commissioner signs the bid off before it goes to the Home Office.
    timeline.fire(london(dt.date(2023, 8, 24), 16), cast.decision_maker, bid, "submit")
    timeline.fire(
        london(dt.date(2023, 9, 21), 11),
        officer,
        bid,
        "record_award",
        amount_awarded_pence=total,
        reason="The Home Office awarded the full amount over 2023/24 and 2024/25.",
    )
    timeline.fire(london(dt.date(2023, 9, 22), 9), officer, bid, "mobilise")
    timeline.fire(london(dt.date(2023, 10, 1), 9), officer, bid, "start_delivery")
    return bid
