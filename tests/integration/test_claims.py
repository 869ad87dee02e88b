"""Claiming in arrears: a claim is started on an active grant, filled with items of spend each
evidenced by a file, and sent through the workflow engine; a file can be claimed only once, a
claim never goes past what remains for its year, and a sent claim cannot be changed."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import func, select

from grants.audit.reconcile import reconcile
from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardStatus,
    AwardYear,
    BudgetLine,
    ClaimLine,
    Document,
    MembershipRole,
    Organisation,
    OutputTarget,
    Payment,
    PaymentStatus,
    Round,
    StaffRole,
    User,
    utcnow,
)
from tests.conftest import csrf_token, make_member, make_organisation, make_staff, open_round
from tests.conftest import sign_in_as as _sign_in_as
from workflows.engine import create, fire

TODAY = dt.date.today()


def pdf(label: str) -> bytes:
    """A small, real PDF; the comment line makes each label's file (and SHA-256) its own."""
    return f"%PDF-1.7\n% {label}\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n".encode()


def make_award(
    organisation: Organisation,
    user: User,
    round_: Round,
    reference: str = "PF-2627-0001",
    status: AwardStatus = AwardStatus.ACTIVE,
    with_application: bool = True,
) -> Award:
    """A grant of £10,000: £6,000 in 2026/27 and £4,000 in 2027/28, from an approved
    application with three budget lines and one output. Added directly, as an officer's
    journey would have left it."""
    application = None
    if with_application:
        application = Application(
            round=round_,
            organisation=organisation,
            created_by_id=user.id,
            project_title="Friday night boxing",
            amount_requested_pence=1_000_000,
            status=ApplicationStatus.APPROVED,
            reference=reference,
            submitted_at=utcnow(),
            budget_lines=[
                BudgetLine(
                    position=0, financial_year=2026, category="Venue hire", amount_pence=400_000
                ),
                BudgetLine(
                    position=1, financial_year=2026, category="Equipment", amount_pence=200_000
                ),
                BudgetLine(
                    position=2, financial_year=2027, category="Coaches", amount_pence=400_000
                ),
            ],
            output_targets=[OutputTarget(description="Young people attend 10 sessions", target=40)],
        )
    award = Award(
        reference=reference,
        programme=round_.programme,
        organisation=organisation,
        application=application,
        title="Friday night boxing",
        amount_pence=1_000_000,
        status=status,
        starts_on=TODAY - dt.timedelta(days=30),
        ends_on=TODAY + dt.timedelta(days=400),
        years=[
            AwardYear(financial_year=2026, amount_pence=600_000),
            AwardYear(financial_year=2027, amount_pence=400_000),
        ],
    )
    db.session.add_all([round_, award])
    db.session.commit()
    return award


@pytest.fixture
def world(app):
    """Organisation A with an active grant and a suspended one; organisation B with its own."""
    with app.app_context():
        org_a = make_organisation("Saffron Lane Boxing Club")
        org_b = make_organisation("Organisation B Youth Trust")
        owner_a = make_member(org_a, "coach@saffron.example.org")
        member_a = make_member(org_a, "helper@saffron.example.org", MembershipRole.MEMBER)
        owner_b = make_member(org_b, "owner@orgb.example.org")
        round_ = open_round()
        award = make_award(org_a, owner_a, round_)
        suspended = make_award(org_a, owner_a, round_, "PF-2627-0002", AwardStatus.SUSPENDED)
        award_b = make_award(org_b, owner_b, round_, "PF-2627-0003")
        return {
            "award_id": award.id,
            "suspended_id": suspended.id,
            "award_b_id": award_b.id,
            "organisation_id": org_a.id,
            "owner": owner_a.id,
            "member": member_a.id,
            "outsider": owner_b.id,
        }


def signed_in(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        _sign_in_as(client, db.session.get(User, user_id))
    return client


def start(client, award_id: int, year: int = 2026):
    token = csrf_token(client, f"/awards/{award_id}")
    return client.post(
        f"/awards/{award_id}/claims", data={"csrf_token": token, "financial_year": str(year)}
    )


def started(client, award_id: int, year: int = 2026) -> int:
    response = start(client, award_id, year)
    assert response.status_code == 302, response.text
    return int(re.fullmatch(r"/claims/(\d+)", response.headers["Location"]).group(1))


def add(client, payment_id: int, description="Hall hire", amount="250", data=None, name="r.pdf"):
    url = f"/claims/{payment_id}/lines/add"
    token = csrf_token(client, f"/claims/{payment_id}")
    fields = {"csrf_token": token, "description": description, "amount": amount}
    if data is not None:
        fields["evidence"] = (io.BytesIO(data), name)
    return client.post(url, data=fields, content_type="multipart/form-data")


def added(client, payment_id: int, label: str, amount: str = "250", description="Hall hire"):
    response = add(client, payment_id, description, amount, pdf(label), f"{label}.pdf")
    assert response.status_code == 302, response.text
    return response


def version_on_check_page(client, payment_id: int) -> str:
    page = client.get(f"/claims/{payment_id}/submit").text
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def submit(client, payment_id: int, version: str | None = None):
    seen = version or version_on_check_page(client, payment_id)
    token = csrf_token(client, f"/claims/{payment_id}")
    return client.post(f"/claims/{payment_id}/submit", data={"csrf_token": token, "version": seen})


def payment(app, payment_id: int) -> Payment:
    with app.app_context():
        found = db.session.get(Payment, payment_id)
        found.claim_lines  # noqa: B018 - loaded while the session is open
        db.session.expunge(found)
        return found


def documents(app) -> list[Document]:
    with app.app_context():
        return list(db.session.scalars(select(Document).order_by(Document.id)))


def stored_objects(app) -> list[str]:
    return list(app.extensions["document_store"].list("documents/"))


def payment_events(app, payment_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "payment", AuditEvent.object_id == payment_id)
            .order_by(AuditEvent.seq)
        )
        return [(e.action, e.actor_role, json.loads(e.amounts), e.to_state) for e in events]


def message_in(response) -> str:
    return response.get_data(as_text=True)


# The journey --------------------------------------------------------------------------------


def test_a_claim_with_two_evidenced_items_is_sent_and_recorded_in_the_ledger(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250", "Hall hire, May")
    added(client, payment_id, "gloves", "1,234.56", "Boxing gloves")
    page = client.get(f"/claims/{payment_id}").text
    assert "Hall hire, May" in page and "Boxing gloves" in page
    assert re.search(r'id="claim-total">£1,484.56<', page)

    check = client.get(f"/claims/{payment_id}/submit")
    assert check.status_code == 200 and "£1,484.56" in check.text
    response = submit(client, payment_id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/claims/{payment_id}/submitted"

    sent = payment(app, payment_id)
    assert sent.status is PaymentStatus.CLAIMED
    assert sent.amount_pence == 148_456
    assert sent.claimed_at is not None
    assert [(line.description, line.amount_pence) for line in sent.claim_lines] == [
        ("Hall hire, May", 25_000),
        ("Boxing gloves", 123_456),
    ]
    assert payment_events(app, payment_id) == [
        ("create", "applicant", {"amount_pence": "0"}, "scheduled"),
        ("claim", "applicant", {"amount_pence": "148456"}, "claimed"),
    ]
    evidence = documents(app)
    assert [d.filename for d in evidence] == ["hall.pdf", "gloves.pdf"]
    assert all(d.payment_id == payment_id and d.purpose == "claim_evidence" for d in evidence)
    assert all(d.organisation_id == world["organisation_id"] for d in evidence)

    with app.app_context():
        # Drafts kept their £0 while items came and went, so the ledger agrees with them.
        assert [f for f in reconcile() if f.object_type == "payment"] == []

    confirmation = client.get(f"/claims/{payment_id}/submitted").text
    assert "Claim sent" in confirmation and "£1,484.56" in confirmation
    award_page = client.get(f"/awards/{world['award_id']}").text
    assert "Sent" in award_page and "£1,484.56" in award_page


def test_any_member_of_the_organisation_can_work_on_the_claim(app, world):
    owner = signed_in(app, world["owner"])
    payment_id = started(owner, world["award_id"])
    added(owner, payment_id, "hall")
    member = signed_in(app, world["member"])
    added(member, payment_id, "kit", "10")
    assert submit(member, payment_id).status_code == 302


def test_starting_a_claim_twice_for_a_year_returns_the_same_draft(app, world):
    client = signed_in(app, world["owner"])
    first = started(client, world["award_id"])
    assert started(client, world["award_id"]) == first
    assert started(client, world["award_id"], 2027) != first


def test_a_year_that_is_not_the_grants_is_refused(app, world):
    client = signed_in(app, world["owner"])
    response = start(client, world["award_id"], 2031)
    assert response.status_code == 400
    assert "Select a financial year of this grant" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_year_with_nothing_left_to_claim_is_refused(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"], 2027)
    added(client, payment_id, "coaches", "4,000")
    assert submit(client, payment_id).status_code == 302
    page = client.get(f"/awards/{world['award_id']}").text
    assert 'value="2027"' not in page and 'value="2026"' in page
    response = start(client, world["award_id"], 2027)
    assert response.status_code == 400
    assert "Nothing remains to claim for 2027/28" in response.text


def test_the_award_page_shows_the_money_by_year_and_the_agreed_budget(app, world):
    client = signed_in(app, world["owner"])
    page = client.get(f"/awards/{world['award_id']}").text
    assert "Friday night boxing" in page and "PF-2627-0001" in page
    assert "£10,000.00" in page and "£6,000.00" in page and "£4,000.00" in page
    assert "Venue hire" in page and "Make a claim" in page and "Ask to change your grant" in page
    assert "There are no claims or payments on this grant yet" in page


def test_the_award_page_shows_what_has_been_paid(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250")
    assert submit(client, payment_id).status_code == 302
    with app.test_request_context():
        claim = db.session.get(Payment, payment_id)
        fire(make_staff(StaffRole.COMMISSIONING_OFFICER), claim, "approve")
        fire(
            make_staff(StaffRole.FINANCE),
            claim,
            "pay",
            paid_on=TODAY,
            payment_reference="BACS-0042",
        )
        db.session.commit()
    page = client.get(f"/awards/{world['award_id']}").text
    paid = re.search(r"Paid so far\s*</dt>\s*<dd[^>]*>\s*(£[\d,.]+)", page)
    assert paid and paid.group(1) == "£250.00"
    assert "Paid" in page and "£5,750.00" in page  # left to claim for 2026/27


def test_removing_an_item_removes_its_file_too(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250")
    added(client, payment_id, "kit", "100")
    line_id = payment(app, payment_id).claim_lines[0].id
    token = csrf_token(client, f"/claims/{payment_id}")
    response = client.post(
        f"/claims/{payment_id}/lines/{line_id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert [line.amount_pence for line in payment(app, payment_id).claim_lines] == [10_000]
    assert [d.filename for d in documents(app)] == ["kit.pdf"]
    assert len(stored_objects(app)) == 1
    assert re.search(r'id="claim-total">£100.00<', client.get(f"/claims/{payment_id}").text)


def test_removing_an_item_of_another_claim_is_not_found(app, world):
    client = signed_in(app, world["owner"])
    first = started(client, world["award_id"])
    added(client, first, "hall")
    other = started(client, world["award_id"], 2027)
    line_id = payment(app, first).claim_lines[0].id
    token = csrf_token(client, f"/claims/{other}")
    response = client.post(f"/claims/{other}/lines/{line_id}/remove", data={"csrf_token": token})
    assert response.status_code == 404
    assert len(payment(app, first).claim_lines) == 1


# A file can be claimed once -----------------------------------------------------------------


def test_the_same_file_twice_in_one_claim_is_refused_and_not_kept(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall")
    response = add(client, payment_id, "Hall hire again", "250", pdf("hall"), "copy.pdf")
    assert response.status_code == 400
    assert "You have already added this file to this claim" in message_in(response)
    assert [d.filename for d in documents(app)] == ["hall.pdf"]
    assert len(stored_objects(app)) == 1
    assert len(payment(app, payment_id).claim_lines) == 1


def test_a_file_already_claimed_is_refused_until_that_claim_is_rejected(app, world):
    client = signed_in(app, world["owner"])
    first = started(client, world["award_id"])
    added(client, first, "hall")
    assert submit(client, first).status_code == 302

    second = started(client, world["award_id"], 2027)
    response = add(client, second, "Hall hire", "250", pdf("hall"), "renamed.pdf")
    assert response.status_code == 400
    assert "This file has already been claimed (as &#39;hall.pdf&#39;" in message_in(response)
    assert [d.filename for d in documents(app)] == ["hall.pdf"]
    assert len(stored_objects(app)) == 1

    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        fire(officer, db.session.get(Payment, first), "reject", reason="Receipt is illegible")
        db.session.commit()
    added(client, second, "hall")
    assert submit(client, second).status_code == 302
    assert payment(app, second).status is PaymentStatus.CLAIMED


def test_a_file_that_reached_two_drafts_at_once_is_still_caught_when_sending(app, world):
    """Each upload is checked as it arrives; two arriving at the same moment could both pass.
    The ``claim`` move checks again, so neither draft can be sent while the other holds it."""
    client = signed_in(app, world["owner"])
    first = started(client, world["award_id"])
    second = started(client, world["award_id"], 2027)
    added(client, first, "hall")
    with app.app_context():
        hall = db.session.scalar(select(Document))
        twin = Document(
            storage_key="documents/test/twin", organisation_id=hall.organisation_id,
            uploaded_by_id=hall.uploaded_by_id, purpose="claim_evidence", filename="twin.pdf",
            file_type="pdf", content_type="application/pdf", size_bytes=hall.size_bytes,
            sha256=hall.sha256, scan_status=hall.scan_status, payment_id=second,
        )  # fmt: skip
        db.session.add(twin)
        db.session.flush()
        draft = db.session.get(Payment, second)
        draft.claim_lines.append(
            ClaimLine(description="Hall", amount_pence=100, document_id=twin.id)
        )
        db.session.commit()
    response = submit(client, first)
    assert response.status_code == 400
    assert "A file like &#39;twin.pdf&#39; has already been claimed" in response.text
    assert payment(app, first).status is PaymentStatus.SCHEDULED


# Money -------------------------------------------------------------------------------------


def test_an_item_over_what_remains_for_the_year_is_refused_when_added(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "5,000")
    response = add(client, payment_id, "Kit", "1,000.01", pdf("kit"), "kit.pdf")
    assert response.status_code == 400
    assert "This would claim more than remains for 2026/27: £1,000.00 is left to claim" in (
        response.text
    )
    assert len(documents(app)) == 1 and len(stored_objects(app)) == 1


def test_claiming_more_than_remains_for_the_year_is_refused_with_the_engines_message(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "5,000")
    # Meanwhile the commissioning team approves a payment in advance for the same year.
    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        award = db.session.get(Award, world["award_id"])
        advance = Payment(award=award, financial_year=2026, amount_pence=200_000, due_date=TODAY)
        create(officer, advance)
        fire(officer, advance, "approve")
        db.session.commit()
    response = submit(client, payment_id)
    assert response.status_code == 400
    assert "This would pay more than the award for that financial year" in response.text
    refused = payment(app, payment_id)
    assert refused.status is PaymentStatus.SCHEDULED and refused.amount_pence == 0
    assert [event[0] for event in payment_events(app, payment_id)] == ["create"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter an amount in pounds, like 1250 or 1,250.50"),
        ("-5", "Enter an amount in pounds and pence, like 1250 or 1,250.50"),
        ("0", "Enter an amount between £0.01 and £1,000,000.00"),
        ("20,000,000", "Enter an amount between £0.01 and £1,000,000.00"),
        ("12.345", "Enter an amount in pounds and pence, like 1250 or 1,250.50"),
        ("ten pounds", "Enter an amount in pounds and pence, like 1250 or 1,250.50"),
    ],
)
def test_amounts_that_are_not_money_are_refused_and_nothing_is_kept(app, world, amount, message):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    response = add(client, payment_id, "Hall hire", amount, pdf("hall"), "hall.pdf")
    assert response.status_code == 400
    assert message in response.text
    assert documents(app) == [] and stored_objects(app) == []


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Enter what the money was spent on"),
        ("x" * 301, "What the money was spent on must be 300 characters or fewer"),
    ],
)
def test_an_item_must_say_what_it_was_for(app, world, description, message):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    response = add(client, payment_id, description, "10", pdf("hall"), "hall.pdf")
    assert response.status_code == 400 and message in response.text
    assert documents(app) == []


def test_an_item_needs_its_evidence(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    response = add(client, payment_id, "Hall hire", "10", None)
    assert response.status_code == 400
    assert "Select a file that shows the spend" in response.text
    assert payment(app, payment_id).claim_lines == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"GIF89a" + b"\x00" * 20 + b";", "receipt.gif", "The selected file must be a PDF"),
        (b"MZ\x90\x00" + b"\x00" * 64, "receipt.pdf", "not a type we accept"),
        (b"", "empty.pdf", "The selected file is empty"),
        (b"a,b\n1,2\n", "spend.csv", "The selected file must be a PDF"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused(app, world, data, name, message):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    response = add(client, payment_id, "Hall hire", "10", data, name)
    assert response.status_code == 400 and message in response.text
    assert documents(app) == [] and stored_objects(app) == []


def test_an_empty_claim_cannot_be_sent(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    check = client.get(f"/claims/{payment_id}/submit").text
    assert "Send claim" not in check and "has no items of spend yet" in check
    response = submit(client, payment_id, version="1")
    assert response.status_code == 400
    assert "Add at least one item of spend to the claim" in response.text
    assert payment(app, payment_id).status is PaymentStatus.SCHEDULED


# State --------------------------------------------------------------------------------------


def test_claims_are_only_made_on_an_active_grant(app, world):
    client = signed_in(app, world["owner"])
    page = client.get(f"/awards/{world['suspended_id']}").text
    assert "Make a claim" not in page and "Suspended" in page
    response = start(client, world["suspended_id"])
    assert response.status_code == 400
    assert "You can only claim on a grant that is active" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_draft_on_a_grant_that_is_suspended_cannot_be_added_to_or_sent(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall")
    with app.app_context():
        db.session.get(Award, world["award_id"]).status = AwardStatus.SUSPENDED
        db.session.commit()
    page = client.get(f"/claims/{payment_id}").text
    assert "This grant is suspended" in page and "Check and send claim" not in page
    response = add(client, payment_id, "Kit", "10", pdf("kit"), "kit.pdf")
    assert response.status_code == 400
    assert "You can only claim on a grant that is active" in response.text
    response = submit(client, payment_id)
    assert response.status_code == 400
    assert "Payments can only be made on an active award" in response.text
    assert payment(app, payment_id).status is PaymentStatus.SCHEDULED


def test_a_stale_check_page_is_refused_and_nothing_is_sent(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250")
    seen = version_on_check_page(client, payment_id)
    # A colleague adds an item in another tab after this check page was drawn.
    added(signed_in(app, world["member"]), payment_id, "kit", "100")
    response = submit(client, payment_id, version=seen)
    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    assert payment(app, payment_id).status is PaymentStatus.SCHEDULED
    # The page now carries the latest version, so sending again sends both items.
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', response.text).group(1)
    assert submit(client, payment_id, version=fresh).status_code == 302
    assert payment(app, payment_id).amount_pence == 35_000


def test_a_sent_claim_cannot_be_changed(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250")
    assert submit(client, payment_id).status_code == 302
    line_id = payment(app, payment_id).claim_lines[0].id
    events_before = payment_events(app, payment_id)

    assert client.get(f"/claims/{payment_id}/lines/add").status_code == 409
    response = add(client, payment_id, "Kit", "10", pdf("kit"), "kit.pdf")
    assert response.status_code == 409
    assert "This claim has been sent, so it can no longer be changed" in response.text
    token = csrf_token(client, f"/claims/{payment_id}")
    removal = client.post(
        f"/claims/{payment_id}/lines/{line_id}/remove", data={"csrf_token": token}
    )
    assert removal.status_code == 409
    assert submit(client, payment_id, version="99").status_code == 409
    assert client.get(f"/claims/{payment_id}/submit").status_code == 302

    sent = payment(app, payment_id)
    assert sent.amount_pence == 25_000 and len(sent.claim_lines) == 1
    assert [d.filename for d in documents(app)] == ["hall.pdf"]
    assert payment_events(app, payment_id) == events_before
    page = client.get(f"/claims/{payment_id}").text
    assert "Remove" not in page and "It can no longer be changed" in page


def test_a_payment_the_team_scheduled_is_not_offered_as_a_claim(app, world):
    with app.test_request_context():
        officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
        award = db.session.get(Award, world["award_id"])
        scheduled = Payment(award=award, financial_year=2026, amount_pence=300_000, due_date=TODAY)
        create(officer, scheduled)
        db.session.commit()
        scheduled_id = scheduled.id
    client = signed_in(app, world["owner"])
    page = client.get(f"/awards/{world['award_id']}").text
    assert "Claims you have not sent yet" not in page
    assert "Scheduled payment, due" in page
    response = client.get(f"/claims/{scheduled_id}/lines/add")
    assert response.status_code == 409
    assert "a payment the commissioning team has scheduled, not a claim" in response.text
    assert started(client, world["award_id"]) != scheduled_id


def test_the_submitted_page_of_a_draft_goes_back_to_the_claim(app, world):
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    response = client.get(f"/claims/{payment_id}/submitted")
    assert response.status_code == 302 and response.headers["Location"] == f"/claims/{payment_id}"


# Who may --------------------------------------------------------------------------------------


def every_route(ids: dict[str, int]) -> list[tuple[str, str]]:
    award, claim, line, variation = ids["award"], ids["claim"], ids["line"], ids["variation"]
    return [
        ("GET", f"/awards/{award}"),
        ("POST", f"/awards/{award}/claims"),
        ("GET", f"/claims/{claim}"),
        ("GET", f"/claims/{claim}/lines/add"),
        ("POST", f"/claims/{claim}/lines/add"),
        ("POST", f"/claims/{claim}/lines/{line}/remove"),
        ("GET", f"/claims/{claim}/submit"),
        ("POST", f"/claims/{claim}/submit"),
        ("GET", f"/claims/{claim}/submitted"),
        ("GET", f"/awards/{award}/variations/new"),
        ("POST", f"/awards/{award}/variations/new"),
        ("GET", f"/awards/{award}/variations/new?kind=outputs"),
        ("POST", f"/awards/{award}/variations/new?kind=outputs"),
        ("GET", f"/variations/{variation}/requested"),
    ]


@pytest.fixture
def claim_of_a(app, world):
    """Organisation A's sent claim with one item, and a variation it asked for."""
    client = signed_in(app, world["owner"])
    payment_id = started(client, world["award_id"])
    added(client, payment_id, "hall", "250", "SECRET-A hall hire")
    draft_id = started(client, world["award_id"], 2027)
    added(client, draft_id, "kit", "10", "SECRET-A kit")
    assert submit(client, payment_id).status_code == 302
    token = csrf_token(client, f"/awards/{world['award_id']}/variations/new")
    response = client.post(
        f"/awards/{world['award_id']}/variations/new?kind=outputs",
        data={"csrf_token": token, "kind": "outputs", "summary": "SECRET-A fewer sessions",
              "reason": "SECRET-A the hall closed"},
    )  # fmt: skip
    assert response.status_code == 302
    variation_id = int(response.headers["Location"].split("/")[2])
    return {
        "award": world["award_id"],
        "claim": draft_id,
        "sent": payment_id,
        "line": payment(app, draft_id).claim_lines[0].id,
        "variation": variation_id,
    }


def test_another_organisations_member_gets_404_on_every_route(app, world, claim_of_a):
    client = signed_in(app, world["outsider"])
    token = csrf_token(client, f"/awards/{world['award_b_id']}")
    for ids in (claim_of_a, {**claim_of_a, "claim": claim_of_a["sent"]}):
        for method, url in every_route(ids):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(
                    url,
                    data={"csrf_token": token, "financial_year": "2026", "kind": "outputs",
                          "summary": "x", "reason": "x", "description": "x", "amount": "1",
                          "version": "1", "evidence": (io.BytesIO(pdf("b")), "b.pdf")},
                    content_type="multipart/form-data",
                )  # fmt: skip
            assert response.status_code == 404, (method, url)
            assert "SECRET-A" not in response.text, (method, url)
    assert len(documents(app)) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2


@pytest.mark.parametrize("role", list(StaffRole))
def test_staff_cannot_use_the_organisations_claim_pages(app, world, claim_of_a, role):
    with app.app_context():
        staff_id = make_staff(role).id
    client = signed_in(app, staff_id)
    token = csrf_token(client, "/")
    for method, url in every_route(claim_of_a):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 403, (method, url)
        assert "SECRET-A" not in response.text


def test_signed_out_visitors_are_sent_to_sign_in(app, world, claim_of_a):
    client = app.test_client()
    for method, url in every_route(claim_of_a):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/sign-in"), url
