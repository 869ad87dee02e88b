"""Writing a bid to an outside funder: the bid itself (its programme, funder, title and the
financial years it covers), its proposals, and each proposal's interventions (budget per
financial year, delivery partner, outputs with targets, match funding).

The bid is a workflow object: it is made with the engine's ``create``, and every change to its
draft is then recorded with its ``amend`` move, which the engine allows only while the bid is
drafting and which records what the bid now asks for. Proposals and interventions are parts of
the bid, not lifecycles of their own. What a proposal asks for in a year is what its
interventions' budgets add up to that year, so the figures cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.calendar import financial_year_of, london_today
from grants.extensions import db
from grants.filters import financial_year as year_label
from grants.models import (
    ExternalBid,
    ExternalBidStatus,
    Organisation,
    Programme,
    ProgrammeKind,
    User,
)
from grants.models.bids import (
    BidProposal,
    Intervention,
    InterventionOutput,
    InterventionYear,
    ProposalYear,
)
from grants.policy import visible_organisations
from grants.services.bids import bid_for, fire_and_commit, staff_only
from grants.services.errors import NotFound, ServiceError
from workflows.engine import available_triggers, create
from workflows.errors import WorkflowError
from workflows.registry import BY_NAME

TITLE_MAX = 200
SUMMARY_MAX = 2000
SOURCE_MAX = 200
OUTPUT_MAX = 300
# A bid covers up to this many financial years (Safer Streets rounds cover two).
MOST_YEARS = 5
# Financial years offered around today's: bids are written a year or two ahead, and recorded
# afterwards for the years they covered.
YEARS_BEFORE, YEARS_AFTER = 3, 5
TARGET_MOST = 10_000_000


@dataclass(frozen=True)
class BidDetails:
    title: str
    funder_name: str
    first_year: int
    last_year: int


@dataclass(frozen=True)
class InterventionDetails:
    title: str
    partner_id: int | None
    # Budget per financial year, whole pence (0 or missing: nothing that year).
    budgets: Mapping[int, int]
    # The quarter of its first year with a budget that delivery starts in (1 = April to June).
    first_quarter: int = 1
    match_funding_pence: int = 0
    match_funding_source: str = ""
    # (description, target) for each row of outputs, in order; empty rows ("", 0) are skipped.
    outputs: Sequence[tuple[str, int]] = field(default_factory=tuple)


# Who may write bids ----------------------------------------------------------------------------


def may_create_bids(user: User) -> bool:
    role = user.staff_role.value if user.staff_role else None
    return role in BY_NAME["external_bid"].creators


def may_amend(user: User, bid: ExternalBid) -> bool:
    """The user may change the bid's draft now (its details, proposals and interventions)."""
    return any(t.trigger == "amend" for t in available_triggers(user, bid))


# Choices the pages offer -------------------------------------------------------------------


def programme_choices(user: User) -> list[tuple[int, str]]:
    """The office's programmes of outside funding a new bid may belong to."""
    staff_only(user)
    return [
        (programme.id, programme.name)
        for programme in db.session.scalars(
            select(Programme)
            .where(Programme.kind == ProgrammeKind.EXTERNAL_BID)
            .order_by(Programme.name)
        )
    ]


def year_choices(bid: ExternalBid | None = None) -> list[int]:
    """Financial years a bid may cover: around this one, and any the bid already covers."""
    this_year = financial_year_of(london_today())
    years = set(range(this_year - YEARS_BEFORE, this_year + YEARS_AFTER + 1))
    if bid is not None:
        years.update(bid.financial_years)
    return sorted(years)


def partner_choices(user: User) -> list[tuple[int, str]]:
    """Organisations that may deliver an intervention (staff see every organisation)."""
    staff_only(user)
    organisations = db.session.execute(
        visible_organisations(user)
        .with_only_columns(Organisation.id, Organisation.name)
        .order_by(Organisation.name, Organisation.id)
    )
    return [(row.id, row.name) for row in organisations]


# The bid ---------------------------------------------------------------------------------------


def create_bid(user: User, programme_id: int | None, details: BidDetails) -> ExternalBid:
    """A new draft bid, in an existing programme of outside funding or (``programme_id``
    None) in a new programme named after it."""
    staff_only(user)
    details = _checked_details(details)
    if programme_id is None:
        programme = Programme(
            name=details.title,
            slug=_new_slug(details.title),
            kind=ProgrammeKind.EXTERNAL_BID,
            funder_name=details.funder_name,
        )
    else:
        programme = db.session.get(Programme, programme_id)
        if programme is None or programme.kind is not ProgrammeKind.EXTERNAL_BID:
            raise ServiceError("Choose a programme of outside funding", field="programme")
    bid = ExternalBid(
        programme=programme,
        title=details.title,
        funder_name=details.funder_name,
        first_financial_year=details.first_year,
        last_financial_year=details.last_year,
        amount_requested_pence=0,
    )
    try:
        create(user, bid)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return bid


def change_details(
    user: User, bid_id: int, expected_version: int | None, details: BidDetails
) -> ExternalBid:
    bid = _draft(user, bid_id)
    details = _checked_details(details)
    kept = set(range(details.first_year, details.last_year + 1))
    budgeted = [
        (intervention, year.financial_year)
        for proposal in bid.proposals
        for intervention in proposal.interventions
        for year in intervention.years
    ]
    for intervention, year in budgeted:
        if year not in kept:
            raise ServiceError(
                f"{intervention.title} has a budget in {year_label(year)}: change its budget "
                "before the bid stops covering that year",
                field="first_year" if year < details.first_year else "last_year",
            )
    bid.title = details.title
    bid.funder_name = details.funder_name
    bid.first_financial_year = details.first_year
    bid.last_financial_year = details.last_year
    _amend(user, bid, expected_version, "details")
    return bid


def _checked_details(details: BidDetails) -> BidDetails:
    title = (details.title or "").strip()
    funder = (details.funder_name or "").strip()
    if not funder:
        raise ServiceError("Enter the name of the funder", field="funder_name")
    if len(funder) > TITLE_MAX:
        raise ServiceError(
            f"The funder's name must be {TITLE_MAX} characters or fewer", field="funder_name"
        )
    if not title:
        raise ServiceError("Enter the name of the bid", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The name must be {TITLE_MAX} characters or fewer", field="title")
    if details.last_year < details.first_year:
        raise ServiceError(
            "The last financial year must be the same as or after the first", field="last_year"
        )
    if details.last_year - details.first_year + 1 > MOST_YEARS:
        raise ServiceError(f"A bid covers {MOST_YEARS} financial years at most", field="last_year")
    return BidDetails(title, funder, details.first_year, details.last_year)


def _new_slug(title: str) -> str:
    base = "bid-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "programme")
    slug, number = base, 1
    while db.session.scalar(select(Programme.id).where(Programme.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


# Proposals -------------------------------------------------------------------------------------


def proposal_for(user: User, proposal_id: int) -> BidProposal:
    staff_only(user)
    proposal = db.session.scalar(
        select(BidProposal)
        .options(
            selectinload(BidProposal.interventions).selectinload(Intervention.years),
            selectinload(BidProposal.years),
        )
        .where(BidProposal.id == proposal_id)
    )
    if proposal is None:
        raise NotFound
    return proposal


def add_proposal(
    user: User, bid_id: int, expected_version: int | None, title: str, summary: str
) -> BidProposal:
    bid = _draft(user, bid_id)
    title, summary = _checked_proposal(bid, None, title, summary)
    position = max((p.position for p in bid.proposals), default=0) + 1
    proposal = BidProposal(position=position, title=title, summary=summary)
    bid.proposals.append(proposal)
    _amend(user, bid, expected_version, f"proposal added: {title}")
    return proposal


def change_proposal(
    user: User, proposal_id: int, expected_version: int | None, title: str, summary: str
) -> BidProposal:
    proposal = proposal_for(user, proposal_id)
    bid = _draft(user, proposal.bid_id)
    title, summary = _checked_proposal(bid, proposal, title, summary)
    proposal.title, proposal.summary = title, summary
    _amend(user, bid, expected_version, f"proposal changed: {title}")
    return proposal


def remove_proposal(user: User, proposal_id: int, expected_version: int | None) -> ExternalBid:
    proposal = proposal_for(user, proposal_id)
    bid = _draft(user, proposal.bid_id)
    _no_partner_awards(proposal.interventions)
    bid.proposals.remove(proposal)
    _amend(user, bid, expected_version, f"proposal removed: {proposal.title}")
    return bid


def _checked_proposal(
    bid: ExternalBid, proposal: BidProposal | None, title: str, summary: str
) -> tuple[str, str]:
    title, summary = (title or "").strip(), (summary or "").strip()
    if not title:
        raise ServiceError("Enter the proposal's title", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title must be {TITLE_MAX} characters or fewer", field="title")
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(
            f"The summary must be {SUMMARY_MAX:,} characters or fewer", field="summary"
        )
    if any(p.title.lower() == title.lower() for p in bid.proposals if p is not proposal):
        raise ServiceError("The bid already has a proposal with that title", field="title")
    return title, summary


# Interventions ---------------------------------------------------------------------------------


def add_intervention(
    user: User, proposal_id: int, expected_version: int | None, details: InterventionDetails
) -> Intervention:
    proposal = proposal_for(user, proposal_id)
    bid = _draft(user, proposal.bid_id)
    details = _checked_intervention(bid, proposal, None, details)
    position = max((i.position for i in proposal.interventions), default=0) + 1
    intervention = Intervention(position=position, title=details.title)
    _apply(intervention, details)
    proposal.interventions.append(intervention)
    _sync_asked_for(proposal)
    _amend(user, bid, expected_version, f"intervention added: {details.title}")
    return intervention


def change_intervention(
    user: User, intervention_id: int, expected_version: int | None, details: InterventionDetails
) -> Intervention:
    intervention = _intervention(user, intervention_id)
    proposal = intervention.proposal
    bid = _draft(user, proposal.bid_id)
    details = _checked_intervention(bid, proposal, intervention, details)
    _no_partner_awards([intervention])
    _apply(intervention, details)
    _sync_asked_for(proposal)
    _amend(user, bid, expected_version, f"intervention changed: {details.title}")
    return intervention


def remove_intervention(
    user: User, intervention_id: int, expected_version: int | None
) -> ExternalBid:
    intervention = _intervention(user, intervention_id)
    proposal = intervention.proposal
    bid = _draft(user, proposal.bid_id)
    _no_partner_awards([intervention])
    proposal.interventions.remove(intervention)
    _sync_asked_for(proposal)
    _amend(user, bid, expected_version, f"intervention removed: {intervention.title}")
    return bid


def _intervention(user: User, intervention_id: int) -> Intervention:
    staff_only(user)
    intervention = db.session.get(Intervention, intervention_id)
    if intervention is None:
        raise NotFound
    return intervention


def _checked_intervention(
    bid: ExternalBid,
    proposal: BidProposal,
    intervention: Intervention | None,
    details: InterventionDetails,
) -> InterventionDetails:
    title = (details.title or "").strip()
    if not title:
        raise ServiceError("Enter the intervention's title", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title must be {TITLE_MAX} characters or fewer", field="title")
    if any(
        i.title.lower() == title.lower() for i in proposal.interventions if i is not intervention
    ):
        raise ServiceError("The proposal already has an intervention with that title", "title")
    if details.partner_id is None or db.session.get(Organisation, details.partner_id) is None:
        raise ServiceError("Choose the delivery partner", field="partner")
    years = bid.financial_years
    budgets = {year: pence for year, pence in details.budgets.items() if pence}
    for year, pence in budgets.items():
        if year not in years:
            raise ServiceError(f"The bid does not cover {year_label(year)}")
        if pence < 0:
            raise ServiceError("A budget cannot be negative", field=f"budget_{year}")
    if not budgets:
        first = f"budget_{years[0]}" if years else None
        raise ServiceError(
            "Enter the intervention's budget for at least one financial year", field=first
        )
    if details.first_quarter not in (1, 2, 3, 4):
        raise ServiceError("Choose the quarter delivery starts in", field="first_quarter")
    source = (details.match_funding_source or "").strip()
    if details.match_funding_pence < 0:
        raise ServiceError("Match funding cannot be negative", field="match_funding")
    if details.match_funding_pence and not source:
        raise ServiceError("Enter where the match funding comes from", field="match_source")
    if len(source) > SOURCE_MAX:
        raise ServiceError(
            f"The source must be {SOURCE_MAX} characters or fewer", field="match_source"
        )
    outputs = []
    # Rows are numbered as the page shows them; a row left empty is skipped.
    for number, (description, target) in enumerate(details.outputs, start=1):
        description = (description or "").strip()
        if not description and not target:
            continue
        if not description:
            raise ServiceError("Describe the output", field=f"output_{number}_description")
        if len(description) > OUTPUT_MAX:
            raise ServiceError(
                f"The output must be {OUTPUT_MAX} characters or fewer",
                field=f"output_{number}_description",
            )
        if not 1 <= target <= TARGET_MOST:
            raise ServiceError(
                f"Enter a target from 1 to {TARGET_MOST:,}", field=f"output_{number}_target"
            )
        outputs.append((description, target))
    if not outputs:
        raise ServiceError(
            "Enter at least one output with its target, like 400 homes target-hardened",
            field="output_1_description",
        )
    return InterventionDetails(
        title=title,
        partner_id=details.partner_id,
        budgets=budgets,
        first_quarter=details.first_quarter,
        match_funding_pence=details.match_funding_pence,
        match_funding_source=source,
        outputs=tuple(outputs),
    )


def _apply(intervention: Intervention, details: InterventionDetails) -> None:
    intervention.title = details.title
    intervention.partner_id = details.partner_id  # type: ignore[assignment]
    intervention.match_funding_pence = details.match_funding_pence
    intervention.match_funding_source = details.match_funding_source or None
    first = min(details.budgets)
    existing = {year.financial_year: year for year in intervention.years}
    intervention.years = [
        _year(existing.get(year), year, pence, details.first_quarter if year == first else 1)
        for year, pence in sorted(details.budgets.items())
    ]
    outputs = list(intervention.outputs)
    kept = []
    for position, (description, target) in enumerate(details.outputs, start=1):
        output = outputs[position - 1] if position <= len(outputs) else InterventionOutput()
        output.position, output.description, output.target = position, description, target
        kept.append(output)
    intervention.outputs = kept


def _year(
    year: InterventionYear | None, financial_year: int, pence: int, first_quarter: int
) -> InterventionYear:
    year = year or InterventionYear(financial_year=financial_year)
    year.budget_pence, year.first_quarter = pence, first_quarter
    return year


def _sync_asked_for(proposal: BidProposal) -> None:
    """The proposal asks, each year, for what its interventions' budgets add up to."""
    totals: dict[int, int] = {}
    for intervention in proposal.interventions:
        for year in intervention.years:
            totals[year.financial_year] = totals.get(year.financial_year, 0) + year.budget_pence
    existing = {year.financial_year: year for year in proposal.years}
    proposal.years = [
        _asked(existing.get(year), year, pence)
        for year, pence in sorted(totals.items())
        if pence > 0
    ]


def _asked(year: ProposalYear | None, financial_year: int, pence: int) -> ProposalYear:
    year = year or ProposalYear(financial_year=financial_year)
    year.requested_pence = pence
    return year


def _no_partner_awards(interventions: Sequence[Intervention]) -> None:
    for intervention in interventions:
        if intervention.awards:
            raise ServiceError(
                f"{intervention.title} has partner awards: it can no longer be changed"
            )


# Shared ----------------------------------------------------------------------------------------


def _draft(user: User, bid_id: int) -> ExternalBid:
    bid = bid_for(user, bid_id)
    if bid.status is not ExternalBidStatus.DRAFTING:
        raise ServiceError(
            f"Only a draft bid can be changed: this one is {bid.status.label.lower()}"
        )
    return bid


def _amend(user: User, bid: ExternalBid, expected_version: int | None, change: str) -> None:
    """Record the change to the draft through the engine (which refuses it unless the bid is
    drafting and the page showed its latest version), then commit it."""
    fire_and_commit(user, bid, "amend", expected_version, change=change[:300])
