"""Every lifecycle, found by name or by the class of the object it governs."""

from __future__ import annotations

from typing import Any

from workflows import (
    application,
    award,
    contract,
    csp_allocation,
    external_bid,
    funder_return,
    kpi_return,
    monitoring_return,
    payment,
    procurement,
    underspend,
    variation,
)
from workflows.declaration import Lifecycle

LIFECYCLES: tuple[Lifecycle, ...] = (
    application.LIFECYCLE,
    award.LIFECYCLE,
    payment.LIFECYCLE,
    monitoring_return.LIFECYCLE,
    variation.LIFECYCLE,
    contract.LIFECYCLE,
    procurement.LIFECYCLE,
    external_bid.LIFECYCLE,
    funder_return.LIFECYCLE,
    csp_allocation.LIFECYCLE,
    underspend.LIFECYCLE,
    kpi_return.LIFECYCLE,
)
BY_NAME = {lifecycle.name: lifecycle for lifecycle in LIFECYCLES}
BY_MODEL = {lifecycle.model: lifecycle for lifecycle in LIFECYCLES}


def lifecycle_of(obj: Any) -> Lifecycle:
    try:
        return BY_MODEL[type(obj)]
    except KeyError:
        raise TypeError(f"{type(obj).__name__} has no lifecycle") from None
