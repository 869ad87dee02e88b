"""Contract: mobilising → active (once the mobilisation checklist is done) → review due →
extended (active again, new end date) | recommissioning | decommissioning → ended. Each decision
at a review acts on the options appraisal recorded for it.

A contract's value is held per financial year (``ContractYear``), by its months of service in
each year, so the years add up exactly to the value of the term; an extension adds the new
months at the contract's value a year. The ledger records the value a year and the total."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from grants.calendar import financial_year_of
from grants.models.commissioning import Contract, ContractStatus, ContractYear
from workflows.declaration import DECISION_MAKER, OFFICER, SYSTEM, Lifecycle, Move, owner_id
from workflows.declaration import transition as t

S = ContractStatus
# How many extension options a contract may be let with (the register and its forms hold to it).
MAX_EXTENSION_OPTIONS = 5


# A term's value by financial year ------------------------------------------------------------


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_by_year(starts_on: dt.date, ends_on: dt.date) -> dict[int, int]:
    """The months of service from ``starts_on`` to ``ends_on`` (inclusive), counted from the
    start date's day of the month, each in the financial year it begins in. A month begun is a
    month: a term that runs whole months (1 April to 31 March, 1 August to 31 July) counts
    exactly, and a stray part month at the end counts as one."""
    counted: Counter[int] = Counter()
    month = 0
    while (begins := months_after(starts_on, month)) <= ends_on:
        counted[financial_year_of(begins)] += 1
        month += 1
    return dict(sorted(counted.items()))


def share_by_months(total_pence: int, months: dict[int, int]) -> dict[int, int]:
    """``total_pence`` shared between the years in proportion to their months, in whole pence
    by largest remainder (ties to the earlier year), so the shares add up to it exactly."""
    all_months = sum(months.values())
    if all_months == 0:
        return {}
    shares = {year: total_pence * count // all_months for year, count in months.items()}
    left = total_pence - sum(shares.values())
    remainder = {year: total_pence * count % all_months for year, count in months.items()}
    by_remainder = sorted(months, key=lambda year: (-remainder[year], year))
    for year in by_remainder[:left]:
        shares[year] += 1
    return shares


def _rounded_division(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (no floats)."""
    return (2 * numerator + denominator) // (2 * denominator)


def value_for_months(a_year_pence: int, months: int) -> int:
    """What ``months`` of service cost at ``a_year_pence`` a year, to the nearest penny."""
    return _rounded_division(a_year_pence * months, 12)


def value_a_year(total_pence: int, months: int) -> int:
    """A term's value a year (twelve months' worth), to the nearest penny: for the register."""
    return _rounded_division(total_pence * 12, months) if months else 0


def years_of_term(total_pence: int, starts_on: dt.date, ends_on: dt.date) -> list[ContractYear]:
    """The contract years of a term worth ``total_pence``, adding up to it exactly."""
    months = months_by_year(starts_on, ends_on)
    shares = share_by_months(total_pence, months)
    return [
        ContractYear(financial_year=year, months=months[year], value_pence=shares[year])
        for year in months
    ]


def years_at_value_a_year(
    a_year_pence: int, starts_on: dt.date, ends_on: dt.date
) -> list[ContractYear]:
    """The contract years of a term let at ``a_year_pence`` a year."""
    months = sum(months_by_year(starts_on, ends_on).values())
    return years_of_term(value_for_months(a_year_pence, months), starts_on, ends_on)


def add_years(contract: Contract, added: list[ContractYear]) -> None:
    """Adds the years of an extension to the contract's, merging a year both share."""
    held = {year.financial_year: year for year in contract.years}
    for year in added:
        if year.financial_year in held:
            held[year.financial_year].months += year.months
            held[year.financial_year].value_pence += year.value_pence
        else:
            contract.years.append(year)


# Guards and effects ------------------------------------------------------------------------------


def extension_option_remains(move: Move) -> str | None:
    contract = move.obj
    if contract.extensions_used >= contract.extension_options:
        return "This contract has no extension options left"
    new_end = move.payload.get("new_end_date")
    if not isinstance(new_end, dt.date) or new_end <= contract.ends_on:
        return "The new end date must be after the current end date"
    return None


def mobilised(move: Move) -> str | None:
    waiting = [item.item for item in move.obj.checklist if item.done_at is None]
    if waiting:
        return f"Tick every mobilisation item first: {waiting[0]} is not done"
    return None


def appraisal_recorded(move: Move) -> str | None:
    if move.obj.pending_appraisal is None:
        return "Record the options appraisal before deciding"
    return None


def _decide(move: Move) -> None:
    appraisal = move.obj.pending_appraisal
    if appraisal is not None:
        appraisal.decision = move.trigger


def extend(move: Move) -> None:
    """The new end date, an option used, and the added months at the value a year."""
    contract = move.obj
    new_end = move.payload["new_end_date"]
    added = years_at_value_a_year(
        contract.annual_value_pence, contract.ends_on + dt.timedelta(days=1), new_end
    )
    add_years(contract, added)
    contract.extensions_used += 1
    contract.ends_on = new_end
    _decide(move)


LIFECYCLE = Lifecycle(
    name="contract",
    model=Contract,
    states=ContractStatus,
    initial=S.MOBILISING,
    owner_organisation=lambda contract: owner_id(contract, "provider"),
    amounts=lambda contract: {
        "annual_value_pence": contract.annual_value_pence,
        "total_value_pence": contract.total_value_pence,
    },
    creators=frozenset({OFFICER, DECISION_MAKER}),
    transitions=[
        t("go_live", S.MOBILISING, S.ACTIVE, [OFFICER], "Start the service",
          guards=[mobilised]),
        t("flag_review", S.ACTIVE, S.REVIEW_DUE, [SYSTEM, OFFICER], "Flag for review"),
        t("extend", S.REVIEW_DUE, S.ACTIVE, [OFFICER, DECISION_MAKER], "Extend the contract",
          guards=[appraisal_recorded, extension_option_remains], effect=extend,
          requires={"new_end_date": "Enter the new end date"}),
        t("recommission", S.REVIEW_DUE, S.RECOMMISSIONING, [OFFICER, DECISION_MAKER],
          "Recommission", guards=[appraisal_recorded], effect=_decide,
          requires={"reason": "Record the options appraisal"}),
        t("decommission", S.REVIEW_DUE, S.DECOMMISSIONING, [DECISION_MAKER],
          "Decommission", guards=[appraisal_recorded], effect=_decide,
          requires={"reason": "Record the options appraisal"}),
        t("end", [S.RECOMMISSIONING, S.DECOMMISSIONING], S.ENDED, [OFFICER, SYSTEM],
          "End the contract"),
    ],
)  # fmt: skip
