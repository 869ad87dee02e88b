"""Completes a demo application's form before it is submitted, as its applicant would have:
every question answered, an output target, each document uploaded (a small real PDF in the
document store) and every section marked complete, so the engine's submit guards pass."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

from flask import current_app

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationAnswer,
    ApplicationSection,
    Document,
    OutputTarget,
    ScanStatus,
    User,
)
from workflows import application_form as spec

ROLES = ("Treasurer", "Chair", "Secretary", "Project lead")


def complete_form(application: Application, creator: User, at: dt.datetime) -> None:
    """Answer what the demo's description left out, then mark every section complete."""
    answers = application.answer_map
    defaults = _defaults(application, creator)
    for section in spec.sections_for(application):
        for question in section.questions_for(application):
            if question.key == "project_title" or answers.get(question.key):
                continue
            application.answers.append(
                ApplicationAnswer(
                    question_key=question.key,
                    value=defaults[question.key],
                    updated_by_id=creator.id,
                    updated_at=at,
                )
            )
    if not application.output_targets:
        people = int(answers.get("beneficiaries") or defaults["beneficiaries"])
        application.output_targets.append(
            OutputTarget(position=1, description="People taking part regularly", target=people)
        )
    for slot in (d for s in spec.sections_for(application) for d in s.documents_for(application)):
        _upload(application, slot, creator, at)
    for section in spec.sections_for(application):
        application.sections.append(
            ApplicationSection(
                section_key=section.key,
                completed=True,
                revision=1,
                updated_by_id=creator.id,
                updated_at=at,
            )
        )
    db.session.flush()
    db.session.expire(application, ["documents"])


def _defaults(application: Application, creator: User) -> dict[str, str]:
    first_year = min(line.financial_year for line in application.budget_lines)
    last_year = max(line.financial_year for line in application.budget_lines)
    role = ROLES[application.organisation_id % len(ROLES)]
    return {
        "contact_name": creator.full_name,
        "contact_role": role,
        "contact_phone": f"0116 496 {application.organisation_id:04d}",
        "annual_income": str(8_000 + 3_750 * (application.organisation_id % 9)),
        "safeguarding_lead": creator.full_name,
        "project_summary": application.project_title,
        "need": "Local residents and the neighbourhood policing team have asked for it.",
        "priorities": "youth-diversion",
        "places": "E06000016",
        "who_benefits": "Young people and families in the area the group serves.",
        "beneficiaries": "40",
        "start_date": dt.date(first_year, 4, 1).isoformat(),
        "end_date": dt.date(last_year + 1, 3, 31).isoformat(),
        "outcomes": "More young people taking part in positive activities, and fewer reports "
        "of anti-social behaviour where the project runs.",
        "declare_true": "yes",
        "declare_eligible": "yes",
        "declare_data": "yes",
        "declarant_name": creator.full_name,
        "declarant_role": role,
        # A CSP's annual plan.
        "responsible_officer": creator.full_name,
        "responsible_officer_role": "Community Safety Manager",
        "local_priorities": "Anti-social behaviour in the town centres, domestic abuse, and "
        "rural crime, from the partnership's strategic assessment.",
        "declare_agreed": "yes",
    }


def _upload(
    application: Application, slot: spec.DocumentSlot, creator: User, at: dt.datetime
) -> None:
    store_pdf(
        f"{application.organisation.name}: {slot.label}",
        f"{slot.label}.pdf",
        organisation_id=application.organisation_id,
        uploaded_by_id=creator.id,
        at=at,
        purpose=slot.key,
        application_id=application.id,
    )


def store_pdf(
    text: str,
    filename: str,
    *,
    organisation_id: int,
    uploaded_by_id: int,
    at: dt.datetime,
    purpose: str,
    **links: int,
) -> Document:
    """Store a one-page PDF, object first and then its row, as uploads do."""
    data = one_page_pdf(text)
    digest = hashlib.sha256(data).hexdigest()
    key = f"documents/{secrets.token_hex(2)}/{secrets.token_hex(16)}"
    current_app.extensions["document_store"].put(
        key, io.BytesIO(data), size=len(data), sha256_hex=digest, content_type="application/pdf"
    )
    document = Document(
        storage_key=key,
        organisation_id=organisation_id,
        uploaded_by_id=uploaded_by_id,
        purpose=purpose,
        filename=filename,
        file_type="pdf",
        content_type="application/pdf",
        size_bytes=len(data),
        sha256=digest,
        scan_status=ScanStatus.NOT_SCANNED,
        created_at=at,
        **links,
    )
    db.session.add(document)
    db.session.flush()
    return document


def one_page_pdf(text: str) -> bytes:
    """A valid single-page PDF showing one line of text (with a correct cross-reference
    table, so any reader opens it)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    safe = safe.encode("latin-1", "replace").decode("latin-1")
    stream = f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)
