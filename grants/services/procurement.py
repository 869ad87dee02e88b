"""Recommissioning through procurement: the specification, publication, bids received, the
evaluation on quality and price, the award (above the estimate only by the decision maker), the
standstill period, and the new contract created in mobilisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import BinaryIO

from grants.extensions import db
from grants.models import Organisation, OrganisationType, User
from grants.models.commissioning import (
    Contract,
    ContractKpi,
    ContractPartner,
    Procurement,
    ProcurementStatus,
    TenderBid,
)
from grants.services import documents
from grants.services.contracts import CHANGED, add_checklist, find_organisation
from grants.services.errors import NotFound, ServiceError
from workflows.contract import months_by_year, value_a_year, years_of_term
from workflows.engine import available_triggers, create, fire
from workflows.errors import WorkflowError

S = ProcurementStatus


def procurement_for(user: User, procurement_id: int) -> Procurement:
    """Procurements are the office's own business: staff only."""
    procurement = db.session.get(Procurement, procurement_id) if user.is_staff else None
    if procurement is None:
        raise NotFound
    return procurement


# Evaluation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidScore:
    bid: TenderBid
    quality: Fraction | None  # weighted points out of the quality weight
    price: Fraction  # weighted points out of the price weight
    total: Fraction | None

    @staticmethod
    def shown(points: Fraction | None) -> str:
        if points is None:
            return "Not scored"
        rounded = Decimal(points.numerator) / Decimal(points.denominator)
        return str(rounded.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def evaluate(procurement: Procurement) -> list[BidScore]:
    """Each bid's points: its quality score (per cent) times the quality weight, and the lowest
    price divided by its price times the price weight; best total first. Exact fractions, so
    ties and rounding are decided only when shown."""
    bids = procurement.bids
    if not bids:
        return []
    lowest = min(b.price_pence for b in bids)
    scores = []
    for bid in bids:
        price = Fraction(lowest, bid.price_pence) * procurement.price_weight
        quality = (
            None
            if bid.quality_score is None
            else Fraction(bid.quality_score, 100) * procurement.quality_weight
        )
        scores.append(BidScore(bid, quality, price, None if quality is None else quality + price))
    return sorted(scores, key=lambda s: (s.total is None, -(s.total or 0), s.bid.id))


@dataclass(frozen=True)
class ProcurementPage:
    procurement: Procurement
    scores: list[BidScore]
    moves: list[str]
    all_scored: bool
    above_estimate_bidders: set[int]


def procurement_page(user: User, procurement_id: int) -> ProcurementPage:
    procurement = procurement_for(user, procurement_id)
    scores = evaluate(procurement)
    return ProcurementPage(
        procurement=procurement,
        scores=scores,
        moves=[t.trigger for t in available_triggers(user, procurement)],
        all_scored=bool(scores) and all(s.total is not None for s in scores),
        above_estimate_bidders={
            b.bidder_id
            for b in procurement.bids
            if b.price_pence > procurement.estimated_value_pence
        },
    )


# Steps -----------------------------------------------------------------------------------------


def _fire(
    user: User, procurement: Procurement, trigger: str, version: int | None, **payload
) -> None:  # type: ignore[no-untyped-def]
    try:
        fire(user, procurement, trigger, expected_version=version, **payload)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal


def attach_specification(
    user: User, procurement_id: int, stream: BinaryIO, filename: str | None
) -> None:
    procurement = procurement_for(user, procurement_id)
    if procurement.status is not S.PLANNING:
        raise ServiceError(
            "The specification is fixed once the tender is published", field="document"
        )
    try:
        document = documents.upload(
            user, stream, filename, organisation_id=None, purpose="specification"
        )
    except ServiceError as refusal:
        raise ServiceError(refusal.message, field="document") from refusal
    procurement.specification_document_id = document.id
    db.session.commit()


def publish(
    user: User,
    procurement_id: int,
    expected_version: int | None,
    published_on: dt.date,
    closes_on: dt.date,
    quality_weight: int,
) -> None:
    procurement = procurement_for(user, procurement_id)
    if expected_version != procurement.version:
        raise ServiceError(CHANGED)
    procurement.published_on, procurement.closes_on = published_on, closes_on
    procurement.quality_weight, procurement.price_weight = quality_weight, 100 - quality_weight
    db.session.flush()
    # The engine refuses a tender without its specification or with dates the wrong way round;
    # the refusal rolls the dates back.
    _fire(user, procurement, "publish", procurement.version)


def bidder_named(name: str) -> Organisation:
    """The organisation of that name, or a new record for a bidder the office has not met."""
    found = find_organisation(name)
    if found is not None:
        return found
    bidder = Organisation(name=name.strip(), org_type=OrganisationType.PRIVATE_COMPANY)
    db.session.add(bidder)
    db.session.flush()
    return bidder


def add_bid(
    user: User,
    procurement_id: int,
    bidder_name: str,
    price_pence: int,
    received_on: dt.date,
    stream: BinaryIO | None = None,
    filename: str | None = None,
) -> TenderBid:
    procurement = procurement_for(user, procurement_id)
    if procurement.status is not S.PUBLISHED:
        raise ServiceError("Bids are recorded while the tender is published", field="bidder")
    if procurement.published_on and received_on < procurement.published_on:
        raise ServiceError(
            "A bid cannot arrive before the tender was published", field="received_on"
        )
    if procurement.closes_on and received_on > procurement.closes_on:
        raise ServiceError("This bid arrived after the closing date", field="received_on")
    bidder = bidder_named(bidder_name)
    if any(b.bidder_id == bidder.id for b in procurement.bids):
        db.session.rollback()
        raise ServiceError(f"{bidder.name} has already bid", field="bidder")
    document_id = None
    if stream is not None:
        db.session.commit()  # the upload commits on its own; the bidder must exist first
        try:
            document = documents.upload(
                user, stream, filename, organisation_id=bidder.id, purpose="tender_bid"
            )
        except ServiceError as refusal:
            raise ServiceError(refusal.message, field="document") from refusal
        document_id = document.id
    bid = TenderBid(
        procurement=procurement,
        bidder=bidder,
        price_pence=price_pence,
        received_on=received_on,
        document_id=document_id,
    )
    db.session.add(bid)
    db.session.commit()
    return bid


def close_bidding(user: User, procurement_id: int, expected_version: int | None) -> None:
    procurement = procurement_for(user, procurement_id)
    _fire(user, procurement, "close_bidding", expected_version)  # the engine wants a bid


def score_bid(user: User, procurement_id: int, bid_id: int, quality_score: int) -> None:
    procurement = procurement_for(user, procurement_id)
    bid = next((b for b in procurement.bids if b.id == bid_id), None)
    if bid is None:
        raise NotFound
    if procurement.status is not S.EVALUATING:
        raise ServiceError("Bids are scored while the tender is being evaluated", field="quality")
    bid.quality_score = quality_score
    db.session.commit()


def award(
    user: User, procurement_id: int, expected_version: int | None, bid_id: int, reason: str | None
) -> None:
    """Award to a bid at its price. The engine refuses an award before every bid is scored,
    and an officer's award above the estimate."""
    procurement = procurement_for(user, procurement_id)
    bid = next((b for b in procurement.bids if b.id == bid_id), None)
    if bid is None:
        raise ServiceError("Choose the winning bidder", field="bid")
    payload = {"awarded_to_id": bid.bidder_id, "awarded_value_pence": bid.price_pence}
    if reason and reason.strip():
        payload["reason"] = reason.strip()  # type: ignore[assignment]
    _fire(user, procurement, "award", expected_version, **payload)


def sign_contract(
    user: User,
    procurement_id: int,
    expected_version: int | None,
    starts_on: dt.date,
    ends_on: dt.date,
    extension_options: int,
) -> Contract:
    """Sign once the standstill period is over, creating the new contract in mobilisation with
    its checklist; it carries over the old contract's service, partners and KPIs. The award (a
    price over the whole term) is held per financial year by the term's months, adding up to
    it exactly; the register's value a year is twelve months' worth."""
    procurement = procurement_for(user, procurement_id)
    if ends_on <= starts_on:
        raise ServiceError("The end date must be after the start date", field="ends_on")
    old = procurement.replaces
    awarded = procurement.awarded_value_pence or 0  # none before the award: the engine refuses
    months = sum(months_by_year(starts_on, ends_on).values())
    contract = Contract(
        programme=procurement.programme,
        provider_id=procurement.awarded_to_id,
        title=procurement.title.removeprefix("Recommissioning: "),
        service=old.service if old is not None else None,
        annual_value_pence=value_a_year(awarded, months),
        starts_on=starts_on,
        ends_on=ends_on,
        extension_options=extension_options,
        years=years_of_term(awarded, starts_on, ends_on),
    )
    try:
        fire(user, procurement, "sign_contract", expected_version=expected_version)
        create(user, contract)
        add_checklist(contract)
        if old is not None:
            for partner in old.partners:
                contract.partners.append(
                    ContractPartner(
                        name=partner.name, contribution_pence=partner.contribution_pence
                    )
                )
            for kpi in old.kpis:
                contract.kpis.append(
                    ContractKpi(
                        position=kpi.position,
                        name=kpi.name,
                        unit=kpi.unit,
                        decimals=kpi.decimals,
                        target=kpi.target,
                    )
                )
        db.session.flush()
        procurement.let_contract_id = contract.id
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return contract
