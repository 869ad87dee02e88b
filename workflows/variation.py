"""Variation: requested → approved | rejected, always with reasons."""

from __future__ import annotations

from grants.models import Variation, VariationStatus
from workflows.award import award_still_open
from workflows.declaration import APPLICANT, DECISION_MAKER, OFFICER, Lifecycle, Move
from workflows.declaration import transition as t

S = VariationStatus


def record_decision(move: Move) -> None:
    move.obj.decision_reason = move.payload["reason"].strip()


LIFECYCLE = Lifecycle(
    name="variation",
    model=Variation,
    states=VariationStatus,
    initial=S.REQUESTED,
    owner_organisation=lambda variation: variation.award.organisation_id,
    creation_guards=(award_still_open,),
    creators=frozenset({APPLICANT, OFFICER}),
    transitions=[
        t("approve", S.REQUESTED, S.APPROVED, [OFFICER, DECISION_MAKER], "Approve the variation",
          effect=record_decision,
          requires={"reason": "Enter the reasons for approving the variation"}),
        t("reject", S.REQUESTED, S.REJECTED, [OFFICER, DECISION_MAKER], "Reject the variation",
          effect=record_decision,
          requires={"reason": "Enter the reasons for rejecting the variation"}),
    ],
)  # fmt: skip
