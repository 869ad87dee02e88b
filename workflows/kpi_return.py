"""KPI return: scheduled → open → submitted → accepted (with a rating) | returned → submitted.
The provider reports a value for every KPI of its contract each quarter; the officer rates the
quarter Good, Approaching target, Requires improvement or Inadequate."""

from __future__ import annotations

from grants.models.commissioning import KpiRating, KpiReturn, KpiReturnStatus
from workflows.declaration import APPLICANT, DECISION_MAKER, OFFICER, SYSTEM, Lifecycle, Move
from workflows.declaration import transition as t

S = KpiReturnStatus


def every_kpi_reported(move: Move) -> str | None:
    missing = [k.name for k in move.obj.contract.kpis if move.obj.value_of(k) is None]
    if missing:
        return f"Enter a value for {missing[0]}"
    return None


def stamp_submission(move: Move) -> None:
    move.obj.submitted_at = move.now


def a_rating(move: Move) -> str | None:
    rating = move.payload.get("rating")
    if rating not in {r.value for r in KpiRating}:
        return "Choose a rating for the quarter"
    return None


def record_rating(move: Move) -> None:
    move.obj.rating = KpiRating(move.payload["rating"])
    move.obj.reviewer_comments = move.payload.get("reason")


def keep_comments(move: Move) -> None:
    move.obj.reviewer_comments = move.payload["reason"]


LIFECYCLE = Lifecycle(
    name="kpi_return",
    model=KpiReturn,
    states=KpiReturnStatus,
    initial=S.SCHEDULED,
    owner_organisation=lambda kpi_return: kpi_return.contract.provider_id,
    creators=frozenset({OFFICER, DECISION_MAKER, SYSTEM}),
    transitions=[
        t("open", S.SCHEDULED, S.OPEN, [SYSTEM, OFFICER], "Open the return"),
        t("submit", [S.OPEN, S.RETURNED], S.SUBMITTED, [APPLICANT], "Submit the KPI return",
          guards=[every_kpi_reported], effect=stamp_submission),
        t("accept", S.SUBMITTED, S.ACCEPTED, [OFFICER], "Accept and rate the return",
          guards=[a_rating], effect=record_rating,
          requires={"rating": "Choose a rating for the quarter"}),
        t("send_back", S.SUBMITTED, S.RETURNED, [OFFICER], "Return it with comments",
          effect=keep_comments,
          requires={"reason": "Enter comments saying what needs to change"}),
    ],
)  # fmt: skip
