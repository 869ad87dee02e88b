"""Objects of every lifecycle, with their parents, arranged so every guard can pass.

The table test sets each object to each state directly (tests may; the application may not)
and fires every trigger as every role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    Award,
    AwardStatus,
    AwardYear,
    ClaimLine,
    Contract,
    Criterion,
    ExternalBid,
    InformationRequest,
    InterestDeclaration,
    MembershipRole,
    MonitoringReturn,
    OrganisationType,
    Payment,
    PaymentStatus,
    Procurement,
    Score,
    StaffRole,
    User,
    Variation,
    utcnow,
)
from grants.models.bids import FunderReturn
from grants.models.commissioning import (
    ContractKpi,
    KpiReturn,
    KpiValue,
    MobilisationItem,
    OptionsAppraisal,
    TenderBid,
)
from grants.models.csp import AllocationMethod, CspAllocation, CspUnderspend
from tests.conftest import (
    complete_application,
    make_document,
    make_member,
    make_organisation,
    make_staff,
    open_round,
)
from workflows.declaration import APPLICANT, OFFICER, SYSTEM
from workflows.ledger import append_event
from workflows.registry import lifecycle_of

TODAY = dt.date.today()


@dataclass
class World:
    actors: dict[str, User | None]
    outsider: User
    objects: dict[str, Any]


def build_world() -> World:
    now = utcnow()
    owner_org = make_organisation("Saffron Lane Boxing Club")
    other_org = make_organisation("Somewhere Else Trust")
    member = make_member(owner_org, "member@saffron.example.org")
    outsider = make_member(other_org, "outsider@else.example.org", MembershipRole.OWNER)
    staff = {role.value: make_staff(role) for role in StaffRole}
    # Approvers distinct from every actor, so segregation-of-duty guards pass in the table test.
    award_approver = make_staff(StaffRole.DECISION_MAKER, "approver@opcc.example.org")
    payment_approver = make_staff(StaffRole.COMMISSIONING_OFFICER, "pay.approver@opcc.example.org")

    round_ = open_round()
    programme = round_.programme
    application = Application(
        round=round_,
        organisation=owner_org,
        created_by_id=member.id,
        project_title="Boxing after school",
        amount_requested_pence=900_000,
        status=ApplicationStatus.DRAFT,
    )
    award = Award(
        reference="PF-AWD-1",
        programme=programme,
        organisation_id=owner_org.id,
        title="Boxing after school",
        amount_pence=10_000_000,
        approved_by_id=award_approver.id,
        offer_expires_at=now + dt.timedelta(days=30),
        status=AwardStatus.ACTIVE,
        years=[AwardYear(financial_year=2026, amount_pence=10_000_000)],
    )
    final_payment = Payment(
        award=award, financial_year=2026, amount_pence=100_000, is_final=True,
        status=PaymentStatus.PAID,
    )  # fmt: skip
    payment = Payment(
        award=award, financial_year=2026, amount_pence=100_000, approved_by_id=payment_approver.id
    )
    monitoring_return = MonitoringReturn(
        award=award,
        period_start=TODAY - dt.timedelta(days=90),
        period_end=TODAY,
        due_date=TODAY + dt.timedelta(days=20),
        narrative="Sessions are full every week.",
    )
    variation = Variation(award=award, summary="Move £500 to equipment", reason="Prices rose")
    contract = Contract(
        programme=programme,
        provider_id=owner_org.id,
        title="Victim First",
        annual_value_pence=138_688_500,
        starts_on=TODAY - dt.timedelta(days=700),
        ends_on=TODAY + dt.timedelta(days=30),
        extension_options=2,
    )
    procurement = Procurement(
        programme=programme,
        title="Victim First recommissioning",
        estimated_value_pence=150_000_000,
        standstill_ends_on=TODAY - dt.timedelta(days=1),
    )
    procurement.published_on = TODAY - dt.timedelta(days=60)
    procurement.closes_on = TODAY - dt.timedelta(days=30)
    # A pending options appraisal, a ticked mobilisation checklist and a reported KPI let the
    # contract's decisions, its go-live and a KPI return's submission pass.
    contract.appraisals.append(
        OptionsAppraisal(
            options_considered="Extend, recommission or decommission",
            costs="Within the budget",
            recommendation="Extend for a year",
            recorded_by_id=staff[OFFICER].id,
            recorded_at=now,
        )
    )
    contract.checklist.append(MobilisationItem(position=1, item="Staff transferred", done_at=now))
    referrals = ContractKpi(position=1, name="Referrals", unit="referrals", target=4_000)
    contract.kpis.append(referrals)
    kpi_return = KpiReturn(
        contract=contract,
        period_start=TODAY - dt.timedelta(days=90),
        period_end=TODAY,
        due_date=TODAY + dt.timedelta(days=20),
        values=[KpiValue(kpi=referrals, value=4_100)],
    )
    bid = ExternalBid(
        programme=programme,
        title="Safer Streets round 5",
        funder_name="Home Office",
        amount_requested_pence=96_059_134,
    )
    funder_return = FunderReturn(
        bid=bid,
        financial_year=2024,
        quarter=1,
        period_start=dt.date(2024, 4, 1),
        period_end=dt.date(2024, 6, 30),
        narrative="Target hardening is ahead of profile.",
    )
    csp = make_organisation("Melton CSP", org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP)
    csp_allocation = CspAllocation(
        programme=programme, organisation_id=csp.id, financial_year=2026,
        method=AllocationMethod.FLAT, amount_pence=3_500_000,
    )  # fmt: skip
    underspend = CspUnderspend(
        programme=programme, organisation_id=csp.id, financial_year=2026,
        funded_pence=3_500_000, spent_to_date_pence=500_000, forecast_rest_pence=0,
        forecast_unspent_pence=3_000_000, threshold_pence=1_500_000, decision_pence=0,
    )  # fmt: skip
    objects = {
        "csp_allocation": csp_allocation,
        "underspend": underspend,
        "application": application,
        "award": award,
        "payment": payment,
        "monitoring_return": monitoring_return,
        "variation": variation,
        "contract": contract,
        "procurement": procurement,
        "external_bid": bid,
        "funder_return": funder_return,
        "kpi_return": kpi_return,
    }
    db.session.add_all([programme, round_, final_payment, *objects.values()])
    db.session.commit()
    complete_application(application, member.id)  # so submit's guards can pass
    # Assessment: one criterion, every staff member has declared no interest and scored it,
    # and someone outside the table has recommended approval, so each role's moves can pass.
    criterion = Criterion(round_id=round_.id, position=1, name="Need", weight=100, max_score=5)
    db.session.add(criterion)
    db.session.flush()
    for user in staff.values():
        application.interest_declarations.append(
            InterestDeclaration(user_id=user.id, conflicted=False, declared_at=now)
        )
        application.scores.append(
            Score(
                assessor_id=user.id,
                criterion_id=criterion.id,
                score=4,
                justification="Clear need in the ward's figures",
                scored_at=now,
            )
        )
    application.recommendation = "approve"
    application.recommended_by_id = award_approver.id
    application.recommended_amount_pence = 800_000
    receipt = make_document(owner_org.id, member.id, "receipt.pdf")
    payment.claim_lines.append(
        ClaimLine(description="Coaching, May", amount_pence=100_000, document_id=receipt.id)
    )  # so a claim is evidenced
    # The tender has its specification (to publish) and one scored bid at the price the award
    # payload names (to close bidding and award).
    procurement.specification_document_id = make_document(
        None, staff[OFFICER].id, "specification.pdf", purpose="specification"
    ).id
    procurement.bids.append(
        TenderBid(
            bidder_id=owner_org.id,
            price_pence=140_000_000,
            received_on=TODAY - dt.timedelta(days=40),
            quality_score=80,
        )
    )
    db.session.commit()
    actors: dict[str, User | None] = {APPLICANT: member, SYSTEM: None, **staff}
    return World(actors=actors, outsider=outsider, objects=objects)


def payload_for(trigger: str, world: World) -> dict[str, Any]:
    """Inputs that satisfy every trigger's requirements."""
    return {
        "reason": "Because the panel said so",
        "answer": "Here is the information you asked for",
        "recommendation": "approve",
        "weighted_percent": 80,
        "amount_pence": 800_000,
        "signatory": "Amara Okafor, treasurer",
        "clawback_pence": 0,
        "paid_on": TODAY,
        "payment_reference": "BACS-000123",
        "new_end_date": TODAY + dt.timedelta(days=365),
        "awarded_value_pence": 140_000_000,
        "awarded_to_id": world.objects["contract"].provider_id,
        "rating": "good",
        "amount_awarded_pence": 96_059_134,
        "delivery": "green",
        "spend": "amber",
        "risk": "red",
        "financial_year": 2026,
        "reduction_pence": 1_000,
    }


def arrange(lifecycle: str, trigger: str, obj: Any) -> None:
    """Make time-dependent guards pass for the one trigger that needs the opposite world."""
    now = utcnow()
    if (lifecycle, trigger) == ("award", "lapse"):
        obj.offer_expires_at = now - dt.timedelta(minutes=1)
    if (lifecycle, trigger) == ("application", "provide_information") and (
        obj.open_information_request is None
    ):
        obj.information_requests.append(
            InformationRequest(question="How many coaches?", asked_at=now)
        )
    if (lifecycle, trigger) == ("application", "lapse"):
        obj.round.closes_at = now - dt.timedelta(minutes=1)
    if (lifecycle, trigger) == ("award", "close"):
        for monitoring_return in obj.returns:
            monitoring_return.status = monitoring_return.status.__class__("accepted")


def start_history(world: World) -> None:
    """Put every object at its initial state with a creation event, as if made by the engine."""
    officer = world.actors[OFFICER]
    award = world.objects["award"]
    for obj in world.objects.values():
        obj.status = lifecycle_of(obj).initial
    db.session.flush()
    for obj in [*world.objects.values(), *(p for p in award.payments if p.is_final)]:
        lifecycle = lifecycle_of(obj)
        append_event(
            db.session,
            occurred_at=obj.created_at,
            actor_id=officer.id if officer else None,
            actor_role=OFFICER,
            object_type=lifecycle.name,
            object_id=obj.id,
            object_version=obj.version,
            action="create",
            from_state=None,
            to_state=obj.status.value,
            amounts=lifecycle.amounts(obj),
            changes={},
            reason=None,
        )
    db.session.commit()
