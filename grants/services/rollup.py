"""The office's quarterly return to the funder, rolled up from its partners: spend per
intervention per quarter (the partners' approved or paid claims, by the day they claimed)
against profile (the intervention's budget for the year spread evenly over its quarters of
delivery), outputs to date (from the partners' accepted returns), their narratives and risks
gathered for the office to edit; then reviewed, signed off, exported and submitted through the
``funder_return`` lifecycle. What is claimed from the funder for an intervention starts as
what its partners spent; while the return is a draft the officer may claim less (never more,
never below nothing), e.g. when partners overspent what the funder awarded for the year."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import select

from grants.calendar import financial_year_of
from grants.extensions import db
from grants.filters import financial_year, pounds
from grants.models import MonitoringReturn, PaymentStatus, ReturnStatus, User
from grants.models.bids import (
    ExternalBid,
    FunderReturn,
    FunderReturnLine,
    FunderReturnOutput,
    FunderReturnStatus,
    Intervention,
    PartnerOutputReport,
)
from grants.services.bids import bid_for, fire_and_commit, staff_only
from grants.services.errors import NotFound, ServiceError
from grants.spreadsheets import safe_text
from workflows.engine import available_triggers, create
from workflows.errors import WorkflowError

LONDON = ZoneInfo("Europe/London")
TEXT_MAX = 10_000
SPENT = {PaymentStatus.APPROVED, PaymentStatus.PAID}


def quarter_bounds(financial_year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """Quarter 1 is April to June of ``financial_year``; quarter 4 January to March after."""
    if quarter not in (1, 2, 3, 4):
        raise ServiceError("Choose a quarter from 1 to 4", field="quarter")
    month = 4 + 3 * (quarter - 1)
    year = financial_year + (month > 12)
    month = (month - 1) % 12 + 1
    start = dt.date(year, month, 1)
    end_month = month + 3
    end = dt.date(year + (end_month > 12), (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_profile(budget_pence: int, first_quarter: int, quarter: int) -> int:
    """The year's budget spread evenly over the quarters from ``first_quarter`` to March, the
    odd pence on the earliest quarters, so the profile adds up to the budget exactly."""
    if quarter < first_quarter:
        return 0
    quarters = 5 - first_quarter
    share, odd = divmod(budget_pence, quarters)
    return share + (1 if quarter - first_quarter < odd else 0)


def profile_for(intervention: Intervention, financial_year: int, quarter: int) -> int:
    year = next((y for y in intervention.years if y.financial_year == financial_year), None)
    return 0 if year is None else quarter_profile(year.budget_pence, year.first_quarter, quarter)


@dataclass
class PartnerFigures:
    """One intervention's figures in a quarter, summed over its partner awards."""

    spent_pence: int = 0
    narratives: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    achieved: dict[int, int] = field(default_factory=dict)  # by intervention output id


def partner_figures(intervention: Intervention, start: dt.date, end: dt.date) -> PartnerFigures:
    figures = PartnerFigures()
    # A claim counts in the quarter it was made, for the year of the money it claims: a late
    # claim for last year's money is not this year's spend unless the funder allows money to
    # move between years.
    year = financial_year_of(start)
    any_year = intervention.proposal.bid.allows_transfer_between_years
    for award in intervention.awards:
        for payment in award.payments:
            claimed = payment.claimed_at
            if (
                payment.status in SPENT
                and claimed
                and start <= _london_day(claimed) <= end
                and (any_year or payment.financial_year == year)
            ):
                figures.spent_pence += payment.amount_pence
        accepted = [
            r for r in award.returns if r.status is ReturnStatus.ACCEPTED and r.period_end <= end
        ]
        for monitoring_return in accepted:
            if start <= monitoring_return.period_end:
                who = award.organisation.name
                if (monitoring_return.narrative or "").strip():
                    figures.narratives.append(f"{who}: {monitoring_return.narrative.strip()}")
                if (monitoring_return.risks or "").strip():
                    figures.risks.append(f"{who}: {monitoring_return.risks.strip()}")
        # Outputs are reported to date: the award's latest accepted return counts.
        if accepted:
            latest = max(accepted, key=lambda r: (r.period_end, r.id))
            for report in _output_reports(latest):
                figures.achieved[report.intervention_output_id] = (
                    figures.achieved.get(report.intervention_output_id, 0) + report.achieved
                )
    return figures


def _output_reports(monitoring_return: MonitoringReturn) -> list[PartnerOutputReport]:
    return list(
        db.session.scalars(
            select(PartnerOutputReport).where(PartnerOutputReport.return_id == monitoring_return.id)
        )
    )


def _london_day(moment: dt.datetime) -> dt.date:
    # Claims count in the quarter of the day they were made, as the office's calendar reads it.
    return moment.astimezone(LONDON).date()


def record_partner_outputs(user: User, return_id: int, achieved: dict[int, int]) -> None:
    """The outputs a partner's return reported, to date, against its intervention's outputs."""
    staff_only(user)
    monitoring_return = db.session.get(MonitoringReturn, return_id)
    if monitoring_return is None or monitoring_return.award.intervention is None:
        raise NotFound
    outputs = {o.id for o in monitoring_return.award.intervention.outputs}
    if set(achieved) - outputs or any(v < 0 for v in achieved.values()):
        raise ServiceError("Enter a whole number, 0 or more, for the intervention's outputs")
    existing = {r.intervention_output_id: r for r in _output_reports(monitoring_return)}
    for output_id, value in achieved.items():
        if output_id in existing:
            existing[output_id].achieved = value
        else:
            db.session.add(
                PartnerOutputReport(
                    monitoring_return=monitoring_return,
                    intervention_output_id=output_id,
                    achieved=value,
                )
            )
    db.session.commit()


def fill_from_partners(funder_return: FunderReturn, interventions: list[Intervention]) -> None:
    """The return's lines, outputs, narrative and risks, from the partners' figures."""
    start, end = funder_return.period_start, funder_return.period_end
    narratives, risks = [], []
    # The return is not saved until the engine creates it: nothing may flush it half-made.
    with db.session.no_autoflush:
        _fill(funder_return, interventions, start, end, narratives, risks)
    funder_return.narrative = "\n\n".join(narratives)
    funder_return.risks = "\n".join(risks)


def _fill(
    funder_return: FunderReturn,
    interventions: list[Intervention],
    start: dt.date,
    end: dt.date,
    narratives: list[str],
    risks: list[str],
) -> None:
    for intervention in interventions:
        figures = partner_figures(intervention, start, end)
        funder_return.lines.append(
            FunderReturnLine(
                intervention=intervention,
                profile_pence=profile_for(
                    intervention, funder_return.financial_year, funder_return.quarter
                ),
                spent_pence=figures.spent_pence,
                claimed_pence=figures.spent_pence,
                partner_narrative="\n".join(figures.narratives),
            )
        )
        for output in intervention.outputs:
            funder_return.outputs.append(
                FunderReturnOutput(output=output, achieved=figures.achieved.get(output.id, 0))
            )
        narratives += [f"{intervention.title}. {text}" for text in figures.narratives]
        risks += figures.risks


def draft_return(user: User, bid_id: int, financial_year: int, quarter: int) -> FunderReturn:
    """Drafts the quarter's return from the partners' figures, through the engine."""
    bid = bid_for(user, bid_id)
    start, end = quarter_bounds(financial_year, quarter)
    if any(r.period_start == start for r in bid.funder_returns):
        raise ServiceError("There is already a return for that quarter", field="quarter")
    interventions = [i for p in bid.proposals for i in p.interventions]
    if not interventions:
        raise ServiceError("The bid has no interventions to report on")
    funder_return = FunderReturn(
        bid=bid,
        financial_year=financial_year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        drafted_by_id=user.id,
    )
    fill_from_partners(funder_return, interventions)
    try:
        create(user, funder_return)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return funder_return


def return_for(user: User, return_id: int) -> FunderReturn:
    staff_only(user)
    funder_return = db.session.get(FunderReturn, return_id)
    if funder_return is None:
        raise NotFound
    return funder_return


def edit_return(
    user: User, return_id: int, expected_version: int | None, narrative: str, risks: str
) -> FunderReturn:
    funder_return = return_for(user, return_id)
    if funder_return.status is not FunderReturnStatus.DRAFT:
        raise ServiceError("Only a draft return can be edited: send it back to draft first")
    if expected_version is not None and expected_version != funder_return.version:
        raise ServiceError("Someone else changed this return: look at it again before editing")
    for name, text in (("narrative", narrative), ("risks", risks)):
        if len(text or "") > TEXT_MAX:
            raise ServiceError(f"The {name} must be {TEXT_MAX:,} characters or fewer", field=name)
    funder_return.narrative = (narrative or "").strip()
    funder_return.risks = (risks or "").strip()
    db.session.commit()
    return funder_return


# Moves made by a form of their own on the return's page (the claims per intervention).
OWN_FORMS = frozenset({"set_claims"})


def return_moves(user: User, funder_return: FunderReturn) -> list[tuple[str, str, bool]]:
    return [
        (t.trigger, t.label, "reason" in t.requires)
        for t in available_triggers(user, funder_return)
        if t.trigger not in OWN_FORMS
    ]


def may_set_claims(user: User, funder_return: FunderReturn) -> bool:
    return any(t.trigger == "set_claims" for t in available_triggers(user, funder_return))


def set_claims(
    user: User, return_id: int, expected_version: int | None, claims: Mapping[int, int]
) -> FunderReturn:
    """What the draft claims from the funder for each intervention (by intervention id, whole
    pence): from nothing up to what its partners spent in the quarter. Only the amounts that
    change are recorded, with the return's ``set_claims`` move (which holds the same rule)."""
    funder_return = return_for(user, return_id)
    lines = {line.intervention_id: line for line in funder_return.lines}
    if set(claims) - set(lines):
        raise ServiceError("Claim only for the interventions on the return")
    for intervention_id, pence in claims.items():
        line = lines[intervention_id]
        if pence < 0:
            raise ServiceError(
                f"{line.intervention.title}: the claim cannot be less than £0.00",
                field=f"claim_{intervention_id}",
            )
        if pence > line.spent_pence:
            raise ServiceError(
                f"{line.intervention.title}: the claim cannot be more than its partners spent "
                f"in the quarter ({pounds(line.spent_pence)})",
                field=f"claim_{intervention_id}",
            )
    changed = {
        f"intervention_{intervention_id}_claimed_pence": pence
        for intervention_id, pence in sorted(claims.items())
        if pence != lines[intervention_id].claimed_pence
    }
    if not changed:
        return funder_return
    fire_and_commit(user, funder_return, "set_claims", expected_version, **changed)
    return funder_return


def move_return(
    user: User,
    return_id: int,
    trigger: str,
    expected_version: int | None,
    reason: str | None = None,
    funder_reference: str | None = None,
) -> FunderReturn:
    funder_return = return_for(user, return_id)
    payload = {}
    if reason and reason.strip():
        payload["reason"] = reason.strip()
    if funder_reference and funder_reference.strip():
        payload["funder_reference"] = funder_reference.strip()[:100]
    fire_and_commit(user, funder_return, trigger, expected_version, **payload)
    return funder_return


def financial_year_choices(bid: ExternalBid) -> list[int]:
    """The financial years the bid covers (this year for a bid with none yet)."""
    return bid.financial_years or [financial_year_of(dt.date.today())]


# Export --------------------------------------------------------------------------------------


def return_xlsx(user: User, return_id: int) -> tuple[str, bytes]:
    funder_return = return_for(user, return_id)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    money = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True})
    bid = funder_return.bid
    label = financial_year(funder_return.financial_year)

    def text(sheet, row: int, col: int, value: str, fmt=None) -> None:  # type: ignore[no-untyped-def]
        sheet.write_string(row, col, safe_text(value or ""), *([fmt] if fmt else []))

    spend = book.add_worksheet("Spend")
    text(spend, 0, 0, f"{bid.title}: quarter {funder_return.quarter} of {label}", bold)
    headings = ("Proposal", "Intervention", "Delivery partner", "Profile (£)", "Spent (£)",
                "Variance (£)", "Claimed (£)")  # fmt: skip
    for col, heading in enumerate(headings):
        text(spend, 2, col, heading, bold)
    row = 3
    for line in funder_return.lines:
        intervention = line.intervention
        text(spend, row, 0, intervention.proposal.title)
        text(spend, row, 1, intervention.title)
        text(spend, row, 2, intervention.partner.name)
        for col, pence in enumerate(
            (line.profile_pence, line.spent_pence, line.spent_pence - line.profile_pence,
             line.claimed_pence), start=3
        ):  # fmt: skip
            spend.write_number(row, col, pence / 100, money)
        row += 1
    text(spend, row, 0, "Total", bold)
    totals = (
        sum(line.profile_pence for line in funder_return.lines),
        sum(line.spent_pence for line in funder_return.lines),
        sum(line.spent_pence - line.profile_pence for line in funder_return.lines),
        funder_return.claim_pence,
    )
    for col, pence in enumerate(totals, start=3):
        spend.write_number(row, col, pence / 100, money)

    outputs = book.add_worksheet("Outputs")
    for col, heading in enumerate(("Intervention", "Output", "Target", "Achieved to date")):
        text(outputs, 0, col, heading, bold)
    for row, item in enumerate(funder_return.outputs, start=1):
        text(outputs, row, 0, item.output.intervention.title)
        text(outputs, row, 1, item.output.description)
        outputs.write_number(row, 2, item.output.target)
        outputs.write_number(row, 3, item.achieved)

    words = book.add_worksheet("Narrative")
    text(words, 0, 0, "Narrative", bold)
    text(words, 1, 0, funder_return.narrative)
    text(words, 3, 0, "Risks", bold)
    text(words, 4, 0, funder_return.risks)
    book.close()
    filename = f"funder-return-{funder_return.financial_year}-q{funder_return.quarter}.xlsx"
    return filename, out.getvalue()
