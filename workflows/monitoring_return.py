"""Monitoring return: scheduled → open → submitted → accepted | returned → submitted;
scheduled or open → waived with a reason. "Overdue" is derived from the due date, never stored."""

from __future__ import annotations

from grants.models import MonitoringReturn, ProgrammeKind, ReturnStatus
from workflows.award import award_still_open
from workflows.declaration import APPLICANT, DECISION_MAKER, OFFICER, SYSTEM, Lifecycle, Move
from workflows.declaration import transition as t

S = ReturnStatus


def has_a_narrative(move: Move) -> str | None:
    narrative = move.obj.narrative
    if narrative and narrative.strip():
        return None
    work = "plan" if move.obj.award.programme.takes_annual_plans else "project"
    return f"Tell us how the {work} is going"


def needs_sign_off(monitoring_return: MonitoringReturn) -> bool:
    """A Community Safety Partnership's return needs its responsible officer's sign-off."""
    return monitoring_return.award.programme.kind is ProgrammeKind.CSP_ALLOCATION


def signed_off_if_needed(move: Move) -> str | None:
    if not needs_sign_off(move.obj):
        return None
    name = move.payload.get("signatory")
    if not isinstance(name, str) or not name.strip():
        return "Enter the name of the partnership's responsible officer signing off the return"
    return None


def stamp_submission(move: Move) -> None:
    move.obj.submitted_at = move.now
    if needs_sign_off(move.obj):
        role = move.payload.get("signatory_role")
        move.obj.signed_off_by = move.payload["signatory"].strip()
        move.obj.signed_off_role = role.strip() if isinstance(role, str) and role.strip() else None


def keep_comments(move: Move) -> None:
    move.obj.reviewer_comments = move.payload["reason"]


LIFECYCLE = Lifecycle(
    name="monitoring_return",
    model=MonitoringReturn,
    states=ReturnStatus,
    initial=S.SCHEDULED,
    owner_organisation=lambda monitoring_return: monitoring_return.award.organisation_id,
    creation_guards=(award_still_open,),
    creators=frozenset({OFFICER, DECISION_MAKER, SYSTEM}),
    transitions=[
        t("open", S.SCHEDULED, S.OPEN, [SYSTEM, OFFICER], "Open the return"),
        t("submit", [S.OPEN, S.RETURNED], S.SUBMITTED, [APPLICANT], "Submit the return",
          guards=[has_a_narrative, signed_off_if_needed], effect=stamp_submission),
        t("accept", S.SUBMITTED, S.ACCEPTED, [OFFICER], "Accept the return"),
        t("send_back", S.SUBMITTED, S.RETURNED, [OFFICER], "Return it with comments",
          effect=keep_comments,
          requires={"reason": "Enter comments saying what needs to change"}),
        t("waive", [S.SCHEDULED, S.OPEN], S.WAIVED, [OFFICER], "Waive the return",
          requires={"reason": "Enter why the return is waived"}),
    ],
)  # fmt: skip
