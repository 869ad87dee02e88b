"""Background task that builds an award's dossier for the audit panel: one zip holding the
application, its scores, the interests declared, the decision record, the grant agreement(s),
payments, returns and variations, each with the ledger events behind it and their hashes, and an
index listing everything in it (with each file's SHA-256) and every document left out and why.

It lives with the jobs rather than the services: the job registry is reachable from the
workflow engine, which must not depend on the services layer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from flask import current_app, render_template
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import selectinload

from grants.extensions import db
from grants.jobs.tasks import parameters, progress, result_file, task_kind
from grants.models import (
    Application,
    AuditEvent,
    Award,
    BackgroundTask,
    Document,
    MonitoringReturn,
    Payment,
    ScanStatus,
    User,
    Variation,
    utcnow,
)
from grants.spreadsheets import safe_text
from workflows import application_form
from workflows.ledger import row_to_event

KIND = "dossier.award"
AGREEMENT_PURPOSE = "grant_agreement"
# As documents.DOWNLOADABLE: what may leave the system.
INCLUDED_SCANS = frozenset({ScanStatus.CLEAN, ScanStatus.NOT_SCANNED})
EXCLUDED_BECAUSE = {
    ScanStatus.PENDING: "Waiting for its virus scan",
    ScanStatus.INFECTED: "A virus was found in it",
    ScanStatus.ERROR: "Its virus scan did not finish, so it is not known to be safe",
}
EVENT_FIELDS = (
    "seq", "occurred_at", "award_reference", "object_type", "object_id", "object_version",
    "action", "from_state", "to_state", "actor_id", "actor_role", "amounts", "changes",
    "reason", "prev_hash", "hash",
)  # fmt: skip
CHUNK = 1 << 20


@task_kind(KIND)
def build_award_dossier(task: BackgroundTask) -> str:
    award_id = int(parameters(task)["award_id"])
    with result_file(task, filename_for(award_id), "application/zip") as out:
        return write_dossier(award_id, out, lambda done, total: progress(task, done, total))


def filename_for(award_id: int) -> str:
    award = db.session.get(Award, award_id)
    if award is None:
        raise LookupError(f"award {award_id} no longer exists")
    return f"dossier-{_safe(award.reference)}.zip"


@dataclass
class _Listed:
    path: str
    description: str
    sha256: str
    size: int
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class _Excluded:
    filename: str
    purpose: str
    reason: str


class _Zip:
    """Writes files into the zip and remembers each one for the index."""

    def __init__(self, out: IO[bytes]) -> None:
        self.archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.listed: list[_Listed] = []

    def text(self, path: str, content: str, description: str, events: list[Any]) -> None:
        data = content.encode("utf-8")
        self.archive.writestr(path, data)
        self.listed.append(
            _Listed(path, description, hashlib.sha256(data).hexdigest(), len(data), events)
        )

    def stream(self, path: str, source: IO[bytes], description: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with self.archive.open(path, "w") as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        self.listed.append(_Listed(path, description, digest.hexdigest(), size, []))
        return digest.hexdigest(), size


def write_dossier(
    award_id: int, out: IO[bytes], on_progress: Callable[[int, int], None] | None = None
) -> str:
    """Write the award's dossier as a zip into ``out``; returns what it holds, in words."""
    award = db.session.scalar(
        select(Award)
        .where(Award.id == award_id)
        .options(
            selectinload(Award.years),
            selectinload(Award.conditions),
            selectinload(Award.payments),
            selectinload(Award.returns),
        )
    )
    if award is None:
        raise LookupError(f"award {award_id} no longer exists")
    application = _application(award.application_id)
    variations = list(
        db.session.scalars(
            select(Variation).where(Variation.award_id == award.id).order_by(Variation.id)
        )
    )
    events = _events(award, application, variations)
    by_object: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for event in events:
        by_object.setdefault((event["object_type"], event["object_id"]), []).append(event)
    documents = _documents(award, application)
    people = _people(award, application, variations)
    total = 8 + len(documents)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    if on_progress is not None:
        on_progress(0, total)
    archive = _Zip(out)
    common = {"award": award, "people": people, "by_object": by_object}
    archive.text("events.json", json.dumps(events, indent=2, sort_keys=True),
                 "Every ledger event of the award and what belongs to it, exactly as hashed",
                 [])  # fmt: skip
    step()
    archive.text("events.csv", _events_csv(events),
                 "The same events as a spreadsheet", [])  # fmt: skip
    step()
    award_events_of = by_object.get(("award", award.id), [])
    archive.text("award.html", _part("award", **common), "The award, its years and conditions",
                 award_events_of)  # fmt: skip
    step()
    application_events = by_object.get(("application", application.id), []) if application else []
    if application is not None:
        archive.text(
            "application.html",
            _part("application", application=application,
                  sections=_answers(application), **common),
            "The application: every answer, the budget and the outputs promised",
            application_events,
        )  # fmt: skip
        step()
        scored = [e for e in application_events if e["action"] in ("score", "recommend")]
        archive.text(
            "assessment.html",
            _part("assessment", application=application, **common),
            "Interests declared, due-diligence checks, scores with their justifications and "
            "the recommendation",
            scored,
        )
        step()
        decided = [e for e in application_events if e["action"] in ("approve", "reject")]
        archive.text(
            "decision.html",
            _part("decision", application=application, record=application.decision_record,
                  **common),
            "The decision record",
            decided,
        )  # fmt: skip
        step()
    else:
        done += 3
    for name, objects, object_type, description in (
        ("payments", award.payments, "payment", "Payments: scheduled, claimed, approved and paid"),
        ("returns", award.returns, "monitoring_return", "Monitoring returns"),
    ):
        archive.text(
            f"{name}.html",
            _part(name, items=objects, **common),
            description,
            [e for o in objects for e in by_object.get((object_type, o.id), [])],
        )
    step()
    archive.text(
        "variations.html",
        _part("variations", items=variations, **common),
        "Variations requested and decided",
        [e for v in variations for e in by_object.get(("variation", v.id), [])],
    )
    step()
    excluded = _write_documents(archive, documents, step)
    archive.text(
        "README.html",
        _part("index", listed=archive.listed, excluded=excluded, events=events,
              generated_at=utcnow(), **common),
        "This index",
        [],
    )  # fmt: skip
    archive.archive.close()
    if on_progress is not None:
        on_progress(total, total)
    included = sum(1 for item in archive.listed if item.path.startswith("documents/"))
    return f"Dossier of {award.reference}: {len(events)} ledger events, {included} documents" + (
        f", {len(excluded)} documents left out" if excluded else ""
    )


def _events(
    award: Award, application: Application | None, variations: list[Variation]
) -> list[dict[str, Any]]:
    """The events of the award and everything belonging to it, exactly as hashed, oldest
    first."""
    owned = {
        "award": [award.id],
        "application": [application.id] if application is not None else [],
        "payment": [p.id for p in award.payments],
        "monitoring_return": [r.id for r in award.returns],
        "variation": [v.id for v in variations],
    }
    belongs = [
        and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
        for kind, ids in owned.items()
        if ids
    ]
    rows = db.session.scalars(
        select(AuditEvent).where(or_(false(), *belongs)).order_by(AuditEvent.seq)
    )
    return [{**row_to_event(row), "award_reference": award.reference} for row in rows]


def _application(application_id: int | None) -> Application | None:
    if application_id is None:
        return None
    return db.session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(
            selectinload(Application.answers),
            selectinload(Application.budget_lines),
            selectinload(Application.output_targets),
            selectinload(Application.interest_declarations),
            selectinload(Application.scores),
            selectinload(Application.checks),
        )
    )


def _documents(award: Award, application: Application | None) -> list[Document]:
    """Every document of the award: its agreements, the application's documents, and the
    evidence of its payments and returns."""
    belongs = [
        Document.award_id == award.id,
        Document.payment_id.in_(select(Payment.id).where(Payment.award_id == award.id)),
        Document.monitoring_return_id.in_(
            select(MonitoringReturn.id).where(MonitoringReturn.award_id == award.id)
        ),
    ]
    if application is not None:
        belongs.append(Document.application_id == application.id)
    return list(db.session.scalars(select(Document).where(or_(*belongs)).order_by(Document.id)))


def _people(
    award: Award, application: Application | None, variations: list[Variation]
) -> dict[int, str]:
    ids = {award.approved_by_id, award.recommended_by_id}
    ids |= {p.approved_by_id for p in award.payments} | {p.paid_by_id for p in award.payments}
    ids |= {v.requested_by_id for v in variations}
    if application is not None:
        ids |= {application.recommended_by_id}
        ids |= {d.user_id for d in application.interest_declarations}
        ids |= {s.assessor_id for s in application.scores}
        ids |= {c.checked_by_id for c in application.checks}
        if application.decision_record is not None:
            ids.add(application.decision_record.decision_maker_id)
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return dict(rows.all())


def _answers(application: Application) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers in form order, under each section's title; answers to questions the form no
    longer asks come last, so nothing given is left out."""
    given = application.answer_map
    shown: set[str] = set()
    sections = []
    for section in application_form.sections_for(application):
        rows = []
        for question in section.questions:
            if question.key in given:
                rows.append((question.label, given[question.key]))
                shown.add(question.key)
        if rows:
            sections.append((section.title, rows))
    others = [(key, value) for key, value in sorted(given.items()) if key not in shown]
    if others:
        sections.append(("Other answers", others))
    return sections


def _write_documents(
    archive: _Zip, documents: list[Document], step: Callable[[], None]
) -> list[_Excluded]:
    excluded: list[_Excluded] = []
    store = current_app.extensions["document_store"]
    for document in documents:
        purpose = document.purpose.replace("_", " ")
        name = document.filename
        if document.scan_status not in INCLUDED_SCANS:
            reason = EXCLUDED_BECAUSE.get(document.scan_status, "Not known to be safe")
            excluded.append(_Excluded(name, purpose, reason))
            step()
            continue
        folder = "agreements" if document.purpose == AGREEMENT_PURPOSE else "documents"
        path = f"{folder}/{document.id}-v{document.version}-{_safe(name)}"
        try:
            source = store.open(document.storage_key)
        except Exception:
            excluded.append(_Excluded(name, purpose, "The file could not be read from the store"))
            step()
            continue
        try:
            digest, _size = archive.stream(
                path, source, f"{purpose.capitalize()}: {name} (version {document.version})"
            )
        finally:
            source.close()
        if digest != document.sha256:
            archive.listed[
                -1
            ].description += " — WARNING: its SHA-256 does not match the one recorded at upload"
        step()
    return excluded


def _events_csv(events: list[dict[str, Any]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(EVENT_FIELDS)
    for event in events:
        row = []
        for name in EVENT_FIELDS:
            value = event.get(name)
            if isinstance(value, dict):
                value = json.dumps(value, sort_keys=True)
            row.append(safe_text("" if value is None else str(value)))
        writer.writerow(row)
    return text.getvalue()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "file"


def _part(part: str, **context: Any) -> str:
    return render_template(f"history/dossier_{part}.html", **context)
