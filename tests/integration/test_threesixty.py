"""360Giving: the published grants validate against the official schema offline, identifiers
come from the organisation model, the data-quality checks name the grant at fault, and only
finance publishes (a background task that refuses a file with schema errors)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.jobs.outbox import dispatch_pending
from grants.models import (
    Award,
    AwardStatus,
    BackgroundTask,
    Organisation,
    OrganisationType,
    Payment,
    PaymentStatus,
    StaffRole,
    TaskStage,
)
from grants.services import threesixty
from tests.conftest import csrf_token, make_member, make_organisation, make_staff, sign_in_as

TODAY = dt.date(2026, 11, 23)


def valid_grant(**changes) -> dict:  # type: ignore[no-untyped-def, type-arg]
    grant = {
        "id": "360G-pcc-llr-PF-2627-0001-A",
        "title": "Friday night football",
        "description": "Floodlit football on Friday nights in Spinney Hill Park.",
        "currency": "GBP",
        "amountAwarded": 6400,
        "amountDisbursed": 0,
        "awardDate": "2026-11-09",
        "plannedDates": [{"startDate": "2026-04-01", "endDate": "2027-03-31", "duration": 12}],
        "recipientOrganization": [{"id": "GB-CHC-1098462", "name": "Highfields YCA"}],
        "fundingOrganization": [{"id": "360G-pcc-llr", "name": "The Commissioner"}],
    }
    grant.update(changes)
    return grant


def package(*grants) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {"version": "1.4", "grants": list(grants) or [valid_grant()]}


def messages(findings: list[threesixty.Finding]) -> list[str]:
    return [str(finding) for finding in findings]


# Validation and quality checks ---------------------------------------------------------------


def test_a_valid_grant_has_no_schema_errors_and_no_warnings():
    assert threesixty.schema_errors(package()) == []
    assert threesixty.quality_warnings(package(), TODAY) == []


def test_schema_errors_name_the_grant_and_the_field():
    bad = package(
        valid_grant(awardDate="2026-13-01"),
        {k: v for k, v in valid_grant(id="360G-pcc-llr-B").items() if k != "title"},
        valid_grant(id="360G-pcc-llr-C", amountAwarded="6400"),
        valid_grant(id="360G-pcc-llr-D", currency="GBX"),
    )
    found = messages(threesixty.schema_errors(bad))
    assert any(m.startswith("360G-pcc-llr-PF-2627-0001-A: awardDate:") for m in found)
    assert "360G-pcc-llr-B: 'title' is a required property" in found
    assert "360G-pcc-llr-C: amountAwarded: '6400' is not of type 'number'" in found
    assert any(m.startswith("360G-pcc-llr-D: currency:") for m in found)
    assert len(found) == 4


def test_plain_dates_and_date_times_both_validate_offline():
    # The schema's dates are oneOf a date pattern or format date-time: both must pass, and
    # a date-time that is not one must fail (no network, no optional format package).
    good = valid_grant(awardDate="2026-11-09T10:00:00Z")
    assert threesixty.schema_errors(package(good)) == []
    assert threesixty.schema_errors(package(valid_grant(awardDate="2026-11-09T25:00:00Z")))
    assert threesixty.schema_errors(package(valid_grant(awardDate="9 November 2026")))


def test_a_grant_repeated_exactly_is_a_schema_error_however_many_there_are():
    # The package schema's uniqueItems, checked in linear time (jsonschema's own check compares
    # every pair of objects and never finishes on 100,000 grants); 6400 and 6400.0 are equal.
    distinct = [valid_grant(id=f"360G-pcc-llr-{n}") for n in range(2_000)]
    assert threesixty.schema_errors(package(*distinct)) == []
    repeated = [*distinct, valid_grant(id="360G-pcc-llr-7", amountAwarded=6400.0)]
    assert messages(threesixty.schema_errors(package(*repeated))) == [
        "grants: item 2001 repeats an earlier item exactly"
    ]


def test_an_empty_file_is_a_schema_error():
    assert messages(threesixty.schema_errors({"grants": []})) == ["grants: [] should be non-empty"]


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        (
            valid_grant(description="Friday night football"),
            "the title and the description are the same",
        ),
        (valid_grant(awardDate="2026-11-24"), "the award date 2026-11-24 is in the future"),
        (valid_grant(amountAwarded=0), "the amount awarded (0) is not positive"),
        (valid_grant(amountAwarded=-5), "the amount awarded (-5) is not positive"),
        (valid_grant(amountDisbursed=-1), "the amount disbursed (-1) is negative"),
        (
            valid_grant(amountDisbursed=7000),
            "more has been disbursed (7000) than awarded (6400)",
        ),
        (
            valid_grant(plannedDates=[{"startDate": "2027-04-01", "endDate": "2026-04-01"}]),
            "the planned end date is before the start date",
        ),
        (
            valid_grant(recipientOrganization=[{"id": "360G-pcc-llr-org-7", "name": "Club"}]),
            "the recipient Club has no registered identifier (charity or company number)",
        ),
        (valid_grant(title="x" * 141), "the title is longer than 140 characters"),
    ],
)
def test_each_quality_check_names_the_grant(grant, expected):
    found = messages(threesixty.quality_warnings(package(grant), TODAY))
    assert found == [f"360G-pcc-llr-PF-2627-0001-A: {expected}"]


def test_two_funders_in_one_file_is_a_warning_about_the_file():
    other = valid_grant(
        id="360G-pcc-llr-2", fundingOrganization=[{"id": "GB-GOR-PB1", "name": "Home Office"}]
    )
    found = messages(threesixty.quality_warnings(package(valid_grant(), other), TODAY))
    assert found == [
        "the file has more than one funding organisation identifier: 360G-pcc-llr, GB-GOR-PB1"
    ]


def test_a_repeated_grant_identifier_is_a_warning():
    found = messages(
        threesixty.quality_warnings(
            package(valid_grant(), valid_grant(title="Another title")), TODAY
        )
    )
    assert found == ["360G-pcc-llr-PF-2627-0001-A: this identifier is used by more than one grant"]


# Identifiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"org_type": OrganisationType.REGISTERED_CHARITY, "charity_number": "1098462"},
            "GB-CHC-1098462",
        ),
        ({"org_type": OrganisationType.CIO, "charity_number": "SC012345"}, "GB-SC-SC012345"),
        (
            {"org_type": OrganisationType.REGISTERED_CHARITY, "charity_number": "NIC100002"},
            "GB-NIC-100002",
        ),
        # A charitable company: the charity number is the one 360Giving prefers.
        (
            {
                "org_type": OrganisationType.COMPANY_LIMITED_BY_GUARANTEE,
                "charity_number": "1143870",
                "company_number": "07612398",
            },
            "GB-CHC-1143870",
        ),
        ({"org_type": OrganisationType.CIC, "company_number": "13958264"}, "GB-COH-13958264"),
        (
            {"org_type": OrganisationType.PRIVATE_COMPANY, "company_number": "1234567"},
            "GB-COH-01234567",
        ),
        (
            {"org_type": OrganisationType.PRIVATE_COMPANY, "company_number": "SC123456"},
            "GB-COH-SC123456",
        ),
        (
            {"org_type": OrganisationType.LOCAL_AUTHORITY, "local_authority_code": "E06000016"},
            "GB-LAE-LCE",
        ),
        (
            {"org_type": OrganisationType.LOCAL_AUTHORITY, "local_authority_code": "E07000135"},
            "GB-LAE-OAD",
        ),
        (
            {"org_type": OrganisationType.LOCAL_AUTHORITY, "local_authority_code": "E10000018"},
            "GB-LAE-LEC",
        ),
        (
            {"org_type": OrganisationType.LOCAL_AUTHORITY, "local_authority_code": "NGM"},
            "GB-LAE-NGM",
        ),
        # A council with no register code known here, a CSP (a partnership, not a legal body)
        # and an unregistered group: the office's own identifier.
        (
            {"org_type": OrganisationType.LOCAL_AUTHORITY, "local_authority_code": "S12000033"},
            "360G-pcc-llr-org-42",
        ),
        (
            {
                "org_type": OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP,
                "local_authority_code": "E07000129",
            },
            "360G-pcc-llr-org-42",
        ),
        ({"org_type": OrganisationType.COMMUNITY_GROUP}, "360G-pcc-llr-org-42"),
    ],
)
def test_recipient_identifiers_follow_the_organisation(fields, expected):
    organisation = Organisation(id=42, name="An organisation", **fields)
    assert threesixty.recipient_identifier(organisation) == expected


# The demo -------------------------------------------------------------------------------------


def demo_grants() -> tuple[int, int]:
    """How many grants the loaded demo should publish, and their total: every award made on
    an approved application (all demo decisions are published) that was not declined or left
    to lapse."""
    rows = db.session.execute(
        select(Award.amount_pence).where(
            Award.application_id.is_not(None),
            Award.status.not_in([AwardStatus.DECLINED, AwardStatus.LAPSED]),
        )
    ).all()
    return len(rows), sum(amount for (amount,) in rows)


def test_the_demo_grants_validate_with_no_schema_errors(ctx):
    from grants.demo import load_demo

    load_demo()
    built = threesixty.build_package()
    assert threesixty.schema_errors(built) == []
    result = threesixty.check()
    assert result.errors == [] and result.publishable
    count, total = demo_grants()
    assert count >= 9  # People Zones' six and the open round's three, at least
    assert result.grants == len(built["grants"]) == count
    assert result.total_awarded_pence == total

    ids = [grant["id"] for grant in built["grants"]]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("360G-pcc-llr-") for i in ids)
    assert {g["fundingOrganization"][0]["id"] for g in built["grants"]} == {"360G-pcc-llr"}
    for grant in built["grants"]:
        assert grant["beneficiaryLocation"] and grant["classifications"]
        for location in grant["beneficiaryLocation"]:
            assert location["geoCode"].startswith(("E06", "E07"))
            assert location["geoCodeType"] in ("UA", "NMD")
        assert grant["plannedDates"][0]["startDate"] <= grant["plannedDates"][0]["endDate"]

    # The amount disbursed is what has been paid, from the payments the ledger records.
    for grant in built["grants"]:
        reference = grant["id"].removeprefix("360G-pcc-llr-")
        paid = db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount_pence), 0))
            .join(Award, Award.id == Payment.award_id)
            .where(Award.reference == reference, Payment.status == PaymentStatus.PAID)
        )
        assert round(grant["amountDisbursed"] * 100) == paid, reference
    # Approved but not yet paid payments do not count.
    assert db.session.scalar(
        select(func.count()).select_from(Payment).where(Payment.status == PaymentStatus.APPROVED)
    )

    rows = list(csv.reader(io.StringIO(_csv_text(built))))
    assert len(rows) == count + 1 and rows[0][0] == "Identifier"
    assert "Beneficiary Location:0:Geographic Code" in rows[0]


def _csv_text(built: dict) -> str:  # type: ignore[type-arg]
    out = io.BytesIO()
    threesixty.write_csv(built, out)
    return out.getvalue().decode("utf-8")


def test_csv_cells_cannot_become_formulas():
    built = package(valid_grant(title='=HYPERLINK("http://x")', description="+44 1162"))
    rows = list(csv.reader(io.StringIO(_csv_text(built))))
    assert rows[1][1] == '\'=HYPERLINK("http://x")' and rows[1][2] == "'+44 1162"
    assert rows[1][4] == "6400"  # numbers stay numbers


# Publishing -----------------------------------------------------------------------------------


def publish(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/finance/360giving")
    response = client.post("/finance/360giving/publish", data={"csrf_token": token})
    assert response.status_code == 302
    dispatch_pending()


def test_finance_publishes_and_the_public_can_download_both_files(app, ctx):
    from grants.demo import load_demo

    load_demo()
    client = app.test_client()
    finance = make_staff(StaffRole.FINANCE, "ledger@opcc.example.org")
    sign_in_as(client, finance)
    page = client.get("/finance/360giving").get_data(as_text=True)
    assert "Publish the 360Giving files" in page and "Not published yet" in page
    publish(client)
    count, total = demo_grants()
    grants_words = f"Published {count} grants totalling £{total / 100:,.2f}"

    task = db.session.scalar(
        select(BackgroundTask).where(BackgroundTask.kind == "threesixty.publish")
    )
    db.session.refresh(task)
    assert task.stage is TaskStage.DONE, task.message
    assert task.message.startswith(grants_words)

    public = app.test_client()
    json_file = public.get("/decisions/360giving.json")
    assert json_file.status_code == 200
    assert json_file.headers["Content-Disposition"] == 'attachment; filename="360giving.json"'
    assert json_file.headers["X-Content-Type-Options"] == "nosniff"
    assert len(json_file.get_json()["grants"]) == count
    csv_file = public.get("/decisions/360giving.csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["Content-Disposition"] == 'attachment; filename="360giving.csv"'
    assert csv_file.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(csv_file.get_data(as_text=True))))) == count + 1
    register = public.get("/decisions").get_data(as_text=True)
    assert "/decisions/360giving.csv" in register

    after = client.get("/finance/360giving").get_data(as_text=True)
    assert "Last published" in after and f"Published {count} grants" in after


def test_publishing_refuses_a_file_with_schema_errors(client, ctx):
    # Nothing decided yet: a 360Giving file must hold at least one grant.
    finance = make_staff(StaffRole.FINANCE)
    sign_in_as(client, finance)
    page = client.get("/finance/360giving").get_data(as_text=True)
    assert "The files cannot be published until these are corrected." in page
    publish(client)
    task = db.session.scalar(select(BackgroundTask))
    db.session.refresh(task)
    assert task.stage is TaskStage.FAILED
    assert "1 schema error, so nothing was published: grants: [] should be non-empty" in (
        task.message or ""
    )
    assert task.result_key is None
    assert client.get("/decisions/360giving.json").status_code == 404


def test_only_finance_publishes_and_finance_readers_see_the_checks(client, ctx):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    sign_in_as(client, officer)
    page = client.get("/finance/360giving")
    assert page.status_code == 200
    assert "Schema errors" in page.get_data(as_text=True)
    assert "Publish the 360Giving files" not in page.get_data(as_text=True)
    token = csrf_token(client, "/finance/360giving")
    refused = client.post("/finance/360giving/publish", data={"csrf_token": token})
    assert refused.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(BackgroundTask)) == 0

    for role in (StaffRole.ASSESSOR, StaffRole.ADMINISTRATOR):
        other = client.application.test_client()
        sign_in_as(other, make_staff(role))
        assert other.get("/finance/360giving").status_code == 403
    member = client.application.test_client()
    sign_in_as(member, make_member(make_organisation()))
    assert member.get("/finance/360giving").status_code == 403
    anonymous = client.application.test_client().get("/finance/360giving")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def test_a_publish_without_its_csrf_token_changes_nothing(client, ctx):
    sign_in_as(client, make_staff(StaffRole.FINANCE))
    response = client.post("/finance/360giving/publish", data={})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(BackgroundTask)) == 0
