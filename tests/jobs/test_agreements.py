"""The grant agreement job: offering an award records it; it draws the agreement up as a real PDF
from the award's own data, stores it object first, does nothing more for the same version of
the award, and draws a new version of the document once the award has changed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from grants.extensions import db
from grants.filters import london_datetime
from grants.jobs.agreements import AGREEMENT_PURPOSE, drawn_from_version, render_agreement
from grants.jobs.outbox import dispatch_pending
from grants.models import Award, Document, OutboxJob, User
from grants.services import offers
from tests.integration.test_offers import BANK, ORGANISATION, PHOTOS, REFERENCE, Offer, make_offer
from workflows.engine import fire


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler lays it out (a table row stays on one line)."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (make test does this)")
    result = subprocess.run(
        [pdftotext, "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=30
    )
    return result.stdout.decode()


def agreements(award_id: int) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document).where(Document.award_id == award_id).order_by(Document.id)
        )
    )


def stored(app: Flask, document: Document) -> bytes:
    with app.extensions["document_store"].open(document.storage_key) as stream:
        return stream.read()


def stored_keys(app: Flask) -> list[str]:
    return [item.key for item in app.extensions["document_store"].list("documents/")]


@pytest.fixture
def offer(app: Flask) -> Offer:
    with app.test_request_context():
        return make_offer()


def test_offering_an_award_records_the_job(app, offer):
    with app.app_context():
        [job] = db.session.scalars(select(OutboxJob)).all()
        assert job.job == "agreement.render"
        assert job.payload == f'{{"object_type": "award", "object_id": {offer.award_id}}}'


def test_the_agreement_is_a_pdf_drawn_from_the_award(app, offer):
    with app.test_request_context():
        assert dispatch_pending() == 1
        [document] = agreements(offer.award_id)
        award = db.session.get(Award, offer.award_id)
        assert document.purpose == AGREEMENT_PURPOSE
        assert document.organisation_id == award.organisation_id
        assert document.application_id is None
        assert document.filename == f"Grant agreement {REFERENCE}.pdf"
        assert document.uploaded_by_id == award.recommended_by_id == offer.officer_id
        assert (document.file_type, document.content_type) == ("pdf", "application/pdf")
        assert (document.version, document.lineage_id) == (1, None)
        assert drawn_from_version(document) == award.version
        data = stored(app, document)

    assert data.startswith(b"%PDF")
    assert len(data) == document.size_bytes
    text = pdf_text(data)
    assert REFERENCE in text and "Boxing after school" in text
    assert "Office of the Police and Crime Commissioner for Leicester, Leicestershire and" in text
    assert ORGANISATION in text and "GB-CHC-1190001" in text
    assert re.search(r"2026/27\s+£7,000\.00", text)
    assert re.search(r"2027/28\s+£5,000\.00", text)
    assert re.search(r"Total\s+£12,000\.00", text)
    assert re.search(r"15 April 2026\s+2026/27\s+Payment\s+£7,000\.00", text)
    assert re.search(r"15 May 2027\s+2027/28\s+Final payment\s+£5,000\.00", text)
    assert re.search(r"1 April 2026 to 31 March 2027\s+30 April 2027", text)
    assert f"{BANK} (before the first payment)" in text
    assert PHOTOS in text and f"{PHOTOS} (before" not in text
    for term in ("Use of the grant", "Publicity", "Safeguarding", "Repayment and clawback"):
        assert term in text
    assert "Data protection" in text and "Monitoring and records" in text
    assert "Not yet accepted" in text


def test_running_the_job_again_for_the_same_award_version_stores_nothing(app, offer):
    with app.test_request_context():
        dispatch_pending()
        render_agreement({"object_type": "award", "object_id": offer.award_id})
        render_agreement({"object_type": "award", "object_id": offer.award_id})
        assert len(agreements(offer.award_id)) == 1
    assert len(stored_keys(app)) == 1


def test_once_the_award_changes_a_new_version_of_the_agreement_shows_the_signatory(app, offer):
    with app.test_request_context():
        dispatch_pending()
        award = db.session.get(Award, offer.award_id)
        fire(
            db.session.get(User, offer.member_id),
            award,
            "accept",
            signatory="Amira Khan",
            signatory_role="Treasurer",
        )
        db.session.commit()
        render_agreement({"object_type": "award", "object_id": offer.award_id})
        first, second = agreements(offer.award_id)
        assert (second.version, second.lineage_id) == (2, first.id)
        assert drawn_from_version(second) == award.version
        assert offers.agreement_for(award) == second
        accepted_at = award.accepted_at
        text = pdf_text(stored(app, second))
        assert "Not yet accepted" in pdf_text(stored(app, first))  # earlier versions stay
    assert re.search(r"Name\s+Amira Khan", text)
    assert re.search(r"Role\s+Treasurer", text)
    assert london_datetime(accepted_at) in text
    assert "Not yet accepted" not in text


def test_without_an_approver_or_recommender_it_is_recorded_against_who_made_the_offer(app, offer):
    with app.test_request_context():
        db.session.execute(
            update(Award).where(Award.id == offer.award_id).values(recommended_by_id=None)
        )
        db.session.commit()
        dispatch_pending()
        [document] = agreements(offer.award_id)
        assert document.uploaded_by_id == offer.officer_id


def test_if_the_row_cannot_be_saved_the_stored_pdf_is_removed(app, offer, monkeypatch):
    with app.test_request_context():

        def refuse() -> None:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(db.session, "commit", refuse)
        with pytest.raises(RuntimeError, match="the database went away"):
            render_agreement({"object_type": "award", "object_id": offer.award_id})
        monkeypatch.undo()
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_keys(app) == []


def test_an_award_that_no_longer_exists_fails_the_job_so_it_is_seen(app):
    with app.test_request_context(), pytest.raises(LookupError):
        render_agreement({"object_type": "award", "object_id": 999_999})
