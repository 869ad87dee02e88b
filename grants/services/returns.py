"""Monitoring returns as the funded organisation fills them in: spend to date per budget line,
what has been achieved against each output target, a narrative, a case study, risks and
evidence files; saved as a draft as often as wanted, then submitted through the workflow engine.

Only open and returned returns change. Saves are checked against the version the page showed,
so a save from a second tab (or a colleague's) cannot quietly undo a newer one. "Overdue" is never
stored: ``is_overdue`` derives it from the due date whenever a return is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import london_date
from grants.models import (
    Application,
    Award,
    BudgetLine,
    Document,
    MonitoringReturn,
    Organisation,
    OutputTarget,
    ReturnOutput,
    ReturnSpend,
    ReturnStatus,
    User,
)
from grants.models.bids import InterventionOutput, PartnerOutputReport
from grants.policy import visible_documents, visible_organisations, visible_returns
from grants.services import documents
from grants.services.errors import NotFound, ServiceError
from workflows import monitoring_return as monitoring_return_lifecycle
from workflows.engine import fire
from workflows.errors import ChangedBySomeoneElse, WorkflowError

EDITABLE = frozenset({ReturnStatus.OPEN, ReturnStatus.RETURNED})
# The form checks these too; the service checks again so no caller can get round them.
TEXT_LIMITS = {"narrative": 5000, "case_study": 3000, "risks": 2000}
TEXT_NAMES = {"narrative": "How the project is going", "case_study": "The case study",
              "risks": "Risks and issues"}  # fmt: skip
MAX_SPEND_PENCE = 1_000_000_00
MAX_ACHIEVED = 1_000_000
EVIDENCE_PURPOSE = "return_evidence"
CHANGED = ChangedBySomeoneElse().message
NOT_YOURS = "You do not have permission to change this return"
UNKNOWN_LINE = (
    "Spend was entered against a budget line that is not part of this award. "
    "Nothing was saved. Reload the page and try again"
)
UNKNOWN_TARGET = (
    "A number was entered against an output that is not part of this award. "
    "Nothing was saved. Reload the page and try again"
)


class ReturnLocked(ServiceError):
    """The return is not open for changes: not open yet, submitted, accepted or waived."""


def is_overdue(return_: MonitoringReturn, today: dt.date) -> bool:
    """The one definition of overdue: still waiting for the organisation and past its due date."""
    return return_.status in EDITABLE and return_.due_date < today


def is_editable(return_: MonitoringReturn) -> bool:
    return return_.status in EDITABLE


# Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    monitoring_return: MonitoringReturn
    is_overdue: bool


def returns_of_organisation(
    user: User, organisation_id: int, today: dt.date | None = None
) -> list[ReturnRow]:
    """Every return on the organisation's awards, soonest due first; NotFound if the user may
    not see the organisation."""
    visible = db.session.scalar(
        visible_organisations(user).where(Organisation.id == organisation_id)
    )
    if visible is None:
        raise NotFound
    today = today or london_today()
    found = db.session.scalars(
        visible_returns(user)
        .options(selectinload(MonitoringReturn.award))
        .where(
            MonitoringReturn.award_id.in_(
                select(Award.id).where(Award.organisation_id == organisation_id)
            )
        )
        .order_by(MonitoringReturn.due_date, MonitoringReturn.id)
    )
    return [ReturnRow(r, is_overdue(r, today)) for r in found]


def return_for(user: User, return_id: int) -> MonitoringReturn:
    """The return with what it reports against, if the user may see it (staff may read any)."""
    found = db.session.scalar(
        visible_returns(user)
        .options(
            selectinload(MonitoringReturn.award).selectinload(Award.organisation),
            selectinload(MonitoringReturn.award)
            .selectinload(Award.application)
            .selectinload(Application.budget_lines),
            selectinload(MonitoringReturn.award)
            .selectinload(Award.application)
            .selectinload(Application.output_targets),
            selectinload(MonitoringReturn.spend),
            selectinload(MonitoringReturn.outputs),
        )
        .where(MonitoringReturn.id == return_id)
    )
    if found is None:
        raise NotFound
    return found


@dataclass(frozen=True)
class SpendLine:
    budget_line: BudgetLine
    spent_pence: int | None  # None: not reported yet


@dataclass(frozen=True)
class OutputLine:
    # The application's output target, or for a Safer Streets partner award the output of the
    # intervention it delivers (e.g. 100 homes target-hardened): both have a description and
    # a target.
    target: OutputTarget | InterventionOutput
    achieved: int | None


@dataclass(frozen=True)
class ReturnDetails:
    monitoring_return: MonitoringReturn
    spend: list[SpendLine]
    outputs: list[OutputLine]
    evidence: list[Document]
    is_overdue: bool
    is_editable: bool

    @property
    def award(self) -> Award:
        return self.monitoring_return.award

    @property
    def spent_pence(self) -> int:
        return sum(line.spent_pence or 0 for line in self.spend)

    @property
    def budget_pence(self) -> int:
        return sum(line.budget_line.amount_pence for line in self.spend)


def return_details(user: User, return_id: int, today: dt.date | None = None) -> ReturnDetails:
    """Everything a return's pages show: each budget line and output target with what has been
    reported against it so far, the evidence, and whether it is overdue or can be changed."""
    found = return_for(user, return_id)
    spent = {row.budget_line_id: row.spent_pence for row in found.spend}
    achieved = _achieved(found)
    return ReturnDetails(
        monitoring_return=found,
        spend=[SpendLine(line, spent.get(line.id)) for line in _budget_lines(found)],
        outputs=[OutputLine(target, achieved.get(target.id)) for target in _targets(found)],
        evidence=evidence_of(user, found.id),
        is_overdue=is_overdue(found, today or london_today()),
        is_editable=is_editable(found),
    )


def evidence_of(user: User, return_id: int) -> list[Document]:
    return list(
        db.session.scalars(
            visible_documents(user)
            .where(Document.monitoring_return_id == return_id)
            .order_by(Document.created_at, Document.id)
        )
    )


def _budget_lines(return_: MonitoringReturn) -> list[BudgetLine]:
    application = return_.award.application
    if application is None:
        return []
    return sorted(application.budget_lines, key=lambda line: (line.position, line.id))


def _targets(return_: MonitoringReturn) -> list[OutputTarget] | list[InterventionOutput]:
    intervention = return_.award.intervention
    if intervention is not None:
        # A delivery partner reports against the intervention it delivers.
        return sorted(intervention.outputs, key=lambda output: (output.position, output.id))
    application = return_.award.application
    if application is None:
        return []
    return sorted(application.output_targets, key=lambda target: (target.position, target.id))


def _partner_reports(return_: MonitoringReturn) -> list[PartnerOutputReport]:
    return list(
        db.session.scalars(
            select(PartnerOutputReport).where(PartnerOutputReport.return_id == return_.id)
        )
    )


def _achieved(return_: MonitoringReturn) -> dict[int, int]:
    if return_.award.intervention is not None:
        return {r.intervention_output_id: r.achieved for r in _partner_reports(return_)}
    return {row.output_target_id: row.achieved for row in return_.outputs}


# Changing -----------------------------------------------------------------------------------


def _to_fill(user: User, return_id: int) -> MonitoringReturn:
    return_ = return_for(user, return_id)
    if user.is_staff:
        raise ServiceError(NOT_YOURS)  # staff read returns; the organisation writes them
    if not is_editable(return_):
        raise ReturnLocked(locked_message(return_))
    return return_


def locked_message(return_: MonitoringReturn) -> str:
    status = return_.status
    if status is ReturnStatus.SCHEDULED:
        return (
            "This return is not open yet. It opens after its period ends on "
            f"{london_date(return_.period_end)}"
        )
    if status is ReturnStatus.WAIVED:
        return "This return has been waived, so there is nothing to send"
    return f"This return has been {status.value}, so it can no longer be changed"


def save_draft(
    user: User,
    return_id: int,
    spend: Mapping[int, int],
    achieved: Mapping[int, int],
    narrative: str | None,
    case_study: str | None,
    risks: str | None,
    expected_version: int | None,
) -> MonitoringReturn:
    """Save the whole form as it stands: ``spend`` (pence per budget line id) and ``achieved``
    (per output target id) hold every answer given; a line or target left out has no answer.
    Nothing is required here: the narrative is needed only to submit."""
    return_ = _to_fill(user, return_id)
    if expected_version != return_.version:
        raise ServiceError(CHANGED)
    texts = {"narrative": narrative, "case_study": case_study, "risks": risks}
    _check(return_, spend, achieved, texts)
    changed = _set_spend(return_, spend)
    changed = _set_outputs(return_, achieved) or changed
    for name, value in texts.items():
        cleaned = (value or "").strip() or None
        if getattr(return_, name) != cleaned:
            setattr(return_, name, cleaned)
            changed = True
    if changed:
        # Answers live in child rows too; touching the return's own row makes every change
        # bump its version, which is what a stale page is checked against.
        flag_modified(return_, "narrative")
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ServiceError(CHANGED) from None
    return return_


def _check(
    return_: MonitoringReturn,
    spend: Mapping[int, int],
    achieved: Mapping[int, int],
    texts: Mapping[str, str | None],
) -> None:
    if set(spend) - {line.id for line in _budget_lines(return_)}:
        raise ServiceError(UNKNOWN_LINE)
    if set(achieved) - {target.id for target in _targets(return_)}:
        raise ServiceError(UNKNOWN_TARGET)
    for line_id, pence in spend.items():
        if isinstance(pence, bool) or not isinstance(pence, int):
            raise ServiceError("Spend must be whole pence", f"spend_{line_id}")
        if pence < 0:
            raise ServiceError("Spend to date cannot be negative", f"spend_{line_id}")
        if pence > MAX_SPEND_PENCE:
            raise ServiceError("Spend to date must be £1,000,000 or less", f"spend_{line_id}")
    for target_id, number in achieved.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ServiceError("The number achieved must be 0 or more", f"achieved_{target_id}")
        if number > MAX_ACHIEVED:
            raise ServiceError(
                f"The number achieved must be {MAX_ACHIEVED:,} or less", f"achieved_{target_id}"
            )
    for name, value in texts.items():
        limit = TEXT_LIMITS[name]
        if value and len(value.strip()) > limit:
            raise ServiceError(f"{TEXT_NAMES[name]} must be {limit:,} characters or fewer", name)


def _set_spend(return_: MonitoringReturn, spend: Mapping[int, int]) -> bool:
    return _sync(
        return_.spend,
        spend,
        key="budget_line_id",
        value="spent_pence",
        make=lambda line_id, pence: ReturnSpend(budget_line_id=line_id, spent_pence=pence),
    )


def _set_outputs(return_: MonitoringReturn, achieved: Mapping[int, int]) -> bool:
    if return_.award.intervention is not None:
        return _set_partner_outputs(return_, achieved)
    return _sync(
        return_.outputs,
        achieved,
        key="output_target_id",
        value="achieved",
        make=lambda target_id, number: ReturnOutput(output_target_id=target_id, achieved=number),
    )


def _set_partner_outputs(return_: MonitoringReturn, achieved: Mapping[int, int]) -> bool:
    reports = _partner_reports(return_)
    before = {r.intervention_output_id: r.achieved for r in reports}
    kept = list(reports)
    changed = _sync(
        kept,
        achieved,
        key="intervention_output_id",
        value="achieved",
        make=lambda output_id, number: PartnerOutputReport(
            return_id=return_.id, intervention_output_id=output_id, achieved=number
        ),
    )
    for report in reports:
        if report not in kept:
            db.session.delete(report)
    for report in kept:
        if report not in reports:
            db.session.add(report)
    return changed or before != {r.intervention_output_id: r.achieved for r in kept}


def _sync(
    rows: list[Any],
    wanted: Mapping[int, int],
    *,
    key: str,
    value: str,
    make: Callable[[int, int], Any],
) -> bool:
    """Make ``rows`` hold exactly ``wanted`` (key -> value); says whether anything changed."""
    changed = False
    existing = {getattr(row, key): row for row in rows}
    for row_key, row in existing.items():
        if row_key not in wanted:
            rows.remove(row)
            changed = True
    for row_key, number in wanted.items():
        row = existing.get(row_key)
        if row is None:
            rows.append(make(row_key, number))
            changed = True
        elif getattr(row, value) != number:
            setattr(row, value, number)
            changed = True
    return changed


def add_evidence(user: User, return_id: int, stream: BinaryIO, filename: str | None) -> Document:
    """Keep a file as evidence for the return (while it can still be changed)."""
    return_ = _to_fill(user, return_id)
    return documents.upload(
        user,
        stream,
        filename,
        organisation_id=return_.award.organisation_id,
        purpose=EVIDENCE_PURPOSE,
        monitoring_return_id=return_.id,
    )


def needs_sign_off(return_: MonitoringReturn) -> bool:
    return monitoring_return_lifecycle.needs_sign_off(return_)


def submit(
    user: User,
    return_id: int,
    expected_version: int | None,
    signatory: str | None = None,
    signatory_role: str | None = None,
) -> MonitoringReturn:
    """Send the return to the commissioning team through the engine, which checks the user's
    role, the version they saw, the state, that there is a narrative and, for a Community
    Safety Partnership, the responsible officer's sign-off."""
    return_ = return_for(user, return_id)
    sign_off = {}
    if signatory:
        sign_off["signatory"] = signatory.strip()
        if signatory_role:
            sign_off["signatory_role"] = signatory_role.strip()
    try:
        fire(user, return_, "submit", expected_version=expected_version, **sign_off)
        db.session.commit()
    except WorkflowError as refusal:
        db.session.rollback()
        raise ServiceError(refusal.message) from refusal
    return return_
