"""Monitoring return: scheduled → open → submitted → accepted | returned → submitted;
scheduled or open → waived with a reason. "Overdue" is derived from the due date, never stored."""

from __future__ import annotations

from grants.models import MonitoringReturn, ReturnStatus
from workflows.award import award_still_open
from workflows.declaration import APPLICANT, OFFICER, SYSTEM, Lifecycle, Move
from workflows.declaration import transition as t

S = ReturnStatus


def has_a_narrative(move: Move) -> str | None:
    narrative = move.obj.narrative
    return None if narrative and narrative.strip() else "Tell us how the project is going"


def stamp_submission(move: Move) -> None:
    move.obj.submitted_at = move.now


def keep_comments(move: Move) -> None:
    move.obj.reviewer_comments = move.payload["reason"]


LIFECYCLE = Lifecycle(
    name="monitoring_return",
    model=MonitoringReturn,
    states=ReturnStatus,
    initial=S.SCHEDULED,
    owner_organisation=lambda monitoring_return: monitoring_return.award.organisation_id,
    creation_guards=(award_still_open,),
    creators=frozenset({OFFICER, SYSTEM}),
    transitions=[
        t("open", S.SCHEDULED, S.OPEN, [SYSTEM, OFFICER], "Open the return"),
        t("submit", [S.OPEN, S.RETURNED], S.SUBMITTED, [APPLICANT], "Submit the return",
          guards=[has_a_narrative], effect=stamp_submission),
        t("accept", S.SUBMITTED, S.ACCEPTED, [OFFICER], "Accept the return"),
        t("send_back", S.SUBMITTED, S.RETURNED, [OFFICER], "Return it with comments",
          effect=keep_comments,
          requires={"reason": "Enter comments saying what needs to change"}),
        t("waive", [S.SCHEDULED, S.OPEN], S.WAIVED, [OFFICER], "Waive the return",
          requires={"reason": "Enter why the return is waived"}),
    ],
)  # fmt: skip
