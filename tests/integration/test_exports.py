"""Finance's exports of awards, payments, returns and the ledger: CSV and XLSX with the right rows
and typed cells (numbers as numbers, text as text, never a formula), hostile names neutralised in
both, small exports streamed, large ones run as a background task whose page and file only the
person who started it can see, and nobody but finance, officers and decision makers let in."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from grants.extensions import db
from grants.models import (
    Award,
    AwardStatus,
    BackgroundTask,
    MonitoringReturn,
    Programme,
    ReturnStatus,
    StaffRole,
    TaskStage,
    User,
)
from grants.services import exports
from grants.spreadsheets import FORMULA_STARTS
from tests.conftest import csrf_token, make_organisation, make_staff, sign_in_as
from tests.integration.test_fy_ledger import World, build_world, new_award

HOSTILE = {
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "+SUM(1,2)": "'+SUM(1,2)",
    "-2+3": "'-2+3",
    "@cmd": "'@cmd",
    "\tTabbed": "'\tTabbed",
    "\rReturned": "'\rReturned",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(app: Flask) -> World:
    found = build_world(app)
    with app.app_context():
        programme = db.session.get(Programme, found.prevention)
        for n, name in enumerate(HOSTILE):
            organisation = make_organisation(name)
            award = new_award(
                programme, organisation, f"HX-{n}", AwardStatus.ACTIVE, {2025: 10_050 + n}
            )
            award.title = name
        award = db.session.query(Award).filter_by(reference="PF-1").one()
        db.session.add(
            MonitoringReturn(
                award=award,
                status=ReturnStatus.SUBMITTED,
                period_start=dt.date(2025, 4, 1),
                period_end=dt.date(2025, 6, 30),
                due_date=dt.date(2025, 7, 31),
                submitted_at=dt.datetime(2025, 7, 30, 23, 30, tzinfo=dt.UTC),
            )
        )
        db.session.commit()
    return found


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, user_id))
    return client


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # so Excel reads the £ as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data)).active


# CSV ----------------------------------------------------------------------------------------


def test_awards_csv_has_every_award_with_amounts_in_pounds(app, world):
    response = client_for(app, world.finance).get("/finance/exports/awards.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="awards-')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = read_csv(response.get_data())
    assert rows[0][:6] == [
        "Award reference",
        "Title",
        "Organisation",
        "Programme",
        "Status",
        "Amount (£)",
    ]
    by_reference = {row[0]: row for row in rows[1:]}
    assert len(by_reference) == 6 + len(HOSTILE)
    assert by_reference["PF-1"][2:7] == [
        "Braunstone Youth Club",
        "Prevention Fund",
        "Active",
        "5000.00",
        "0.00",
    ]
    assert by_reference["PF-2"][4] == "Terminated"


def test_hostile_text_is_neutralised_in_csv(app, world):
    rows = read_csv(client_for(app, world.finance).get("/finance/exports/awards.csv").get_data())
    hostile = {row[0]: row for row in rows if row[0].startswith("HX-")}
    for n, (raw, safe) in enumerate(HOSTILE.items()):
        row = hostile[f"HX-{n}"]
        assert row[1] == safe and row[2] == safe, raw  # title and organisation
        assert row[5] == f"{(10_050 + n) // 100}.{(10_050 + n) % 100:02d}"


def test_payments_returns_and_ledger_csv(app, world):
    client = client_for(app, world.officer)
    payments = read_csv(client.get("/finance/exports/payments.csv").get_data())
    assert payments[0][4:7] == ["Status", "Financial year", "Amount (£)"]
    assert sorted((row[1], row[4], row[5], row[6]) for row in payments[1:] if row[1] == "PF-1") == [
        ("PF-1", "Approved", "2025/26", "1000.00"),
        ("PF-1", "Claimed", "2026/27", "500.00"),
        ("PF-1", "Paid", "2025/26", "1500.00"),
        ("PF-1", "Rejected", "2025/26", "200.00"),
        ("PF-1", "Scheduled", "2026/27", "1500.00"),
    ]
    paid = next(row for row in payments[1:] if row[1] == "PF-1" and row[4] == "Paid")
    assert paid[8] == "2025-06-01"

    returns = read_csv(client.get("/finance/exports/returns.csv").get_data())
    assert returns[1][1:] == [
        "PF-1",
        "Braunstone Youth Club",
        "Prevention Fund",
        "Submitted",
        "2025-04-01",
        "2025-06-30",
        "2025-07-31",
        "2025-07-31 00:30",  # in London (BST)
    ]

    ledger = read_csv(client.get("/finance/exports/ledger.csv").get_data())
    assert ledger[0] == [
        "Programme",
        "Financial year",
        "Budget (£)",
        "Committed (£)",
        "Claimed (£)",
        "Approved (£)",
        "Paid (£)",
        "Remaining (£)",
    ]
    # The hostile awards are active in 2025/26 too, so committed includes them.
    extra = sum(10_050 + n for n in range(len(HOSTILE)))
    committed = 420_000 + extra
    assert ["Prevention Fund", "2025/26"] + [
        exports.in_pounds(v)
        for v in (1_000_000, committed, 0, 100_000, 270_000, 1_000_000 - committed)
    ] in ledger
    # A negative remainder stays a number, not text.
    assert [
        "Prevention Fund",
        "2024/25",
        "0.00",
        "700.00",
        "0.00",
        "0.00",
        "700.00",
        "-700.00",
    ] in (ledger)


# XLSX ---------------------------------------------------------------------------------------


def test_awards_xlsx_cells_are_typed_numbers_and_strings_never_formulas(app, world):
    response = client_for(app, world.finance).get("/finance/exports/awards.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = read_xlsx(response.get_data())
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]][:6] == [
        "Award reference",
        "Title",
        "Organisation",
        "Programme",
        "Status",
        "Amount (£)",
    ]
    for row in rows:
        for found in row:
            assert found.data_type in ("s", "n"), (found.coordinate, found.value)
            if found.data_type == "s" and found.value is not None:
                assert not str(found.value).startswith(FORMULA_STARTS), found.value
    by_reference = {row[0].value: row for row in rows[1:]}
    amount = by_reference["PF-1"][5]
    assert amount.data_type == "n" and amount.value == 5000
    assert "£" in amount.number_format
    for n, safe in enumerate(HOSTILE.values()):
        row = by_reference[f"HX-{n}"]
        # XlsxWriter keeps a carriage return as Excel's own escape, which openpyxl leaves as is.
        expected = safe.replace("\r", "_x000D_")
        assert (row[1].value, row[2].value) == (expected, expected)
        assert row[5].value == pytest.approx((10_050 + n) / 100)


def test_payments_xlsx_ids_and_amounts_are_numbers(app, world):
    sheet = read_xlsx(
        client_for(app, world.decision_maker).get("/finance/exports/payments.xlsx").get_data()
    )
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    assert rows and all(row[0].data_type == "n" for row in rows)
    assert sorted(row[6].value for row in rows if row[1].value == "PF-1") == [
        200,
        500,
        1000,
        1500,
        1500,
    ]
    ledger = read_xlsx(
        client_for(app, world.finance).get("/finance/exports/ledger.xlsx").get_data()
    )
    values = [[c.value for c in row] for row in ledger.iter_rows(min_row=2)]
    assert values[0] == ["Prevention Fund", "2024/25", 0, 700, 0, 0, 700, -700]
    assert all(c.data_type == "n" for c in next(ledger.iter_rows(min_row=2))[2:])


# Who may export, and what does not exist -----------------------------------------------------


def test_community_users_and_assessors_are_refused(app, world):
    for user_id in (world.member, world.assessor):
        client = client_for(app, user_id)
        for url in ("/finance/exports", "/finance/exports/awards.csv", "/finance/exports/tasks/1"):
            assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    "url", ["/finance/exports/secrets.csv", "/finance/exports/awards.pdf", "/finance/exports/x"]
)
def test_an_unknown_export_or_format_is_not_found(app, world, url):
    assert client_for(app, world.finance).get(url).status_code == 404


def test_the_exports_page_lists_each_export_with_its_rows(app, world):
    page = client_for(app, world.finance).get("/finance/exports").get_data(as_text=True)
    for name in ("awards", "payments", "returns", "ledger"):
        assert f'href="/finance/exports/{name}.csv"' in page
        assert f'href="/finance/exports/{name}.xlsx"' in page
    assert "You have not prepared any exports in the background." in page


# Large exports run as a task ----------------------------------------------------------------


@pytest.fixture
def small_limit(monkeypatch):
    # Over the limit from three rows; keyset pages of two, so paging is exercised too.
    monkeypatch.setattr(exports, "STREAM_LIMIT", 2)
    monkeypatch.setattr(exports, "BATCH", 2)


def start(client: FlaskClient, url: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/finance/exports")
    return client.post(url, data={"csrf_token": token})


def test_a_large_export_is_not_streamed_but_offered_as_a_task(app, world, small_limit):
    client = client_for(app, world.finance)
    response = client.get("/finance/exports/awards.csv")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/finance/exports#export-awards")
    page = client.get("/finance/exports").get_data(as_text=True)
    assert "Awards has more than 2 rows" in page
    assert 'action="/finance/exports/awards.csv" ' in page and "Prepare CSV" in page


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_large_export_runs_with_progress_and_downloads_for_its_requester(
    app, world, small_limit, extension
):
    client = client_for(app, world.finance)
    response = start(client, f"/finance/exports/awards.{extension}")
    assert response.status_code == 303
    task_url = response.headers["Location"]
    assert "/finance/exports/tasks/" in task_url
    # The request's after-request ran the task in-process.
    with app.app_context():
        task = db.session.query(BackgroundTask).one()
        assert task.kind == f"export.awards.{extension}"
        assert (task.stage, task.done, task.total) == (TaskStage.DONE, 12, 12)
    page = client.get(task_url).get_data(as_text=True)
    assert "Done" in page and "12 of 12 rows (100%)" in page and "12 rows written" in page
    assert 'http-equiv="refresh"' not in page
    download = client.get(f"{task_url}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith('attachment; filename="awards-')
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    if extension == "csv":
        rows = read_csv(download.get_data())
        assert len(rows) == 13 and {row[0] for row in rows[1:]} >= {"PF-1", "SS-1", "HX-0"}
        assert any(row[1] == HOSTILE_SAFE_FIRST for row in rows)
    else:
        sheet = read_xlsx(download.get_data())
        assert sheet.max_row == 13
    listing = client.get("/finance/exports").get_data(as_text=True)
    assert f'href="{task_url.split("localhost")[-1]}"' in listing


HOSTILE_SAFE_FIRST = next(iter(HOSTILE.values()))


def test_someone_elses_export_task_is_not_found(app, world, small_limit):
    client = client_for(app, world.finance)
    task_url = start(client, "/finance/exports/payments.csv").headers["Location"]
    with app.app_context():
        other_id = make_staff(StaffRole.FINANCE, "other.finance@opcc.example.org").id
    other = client_for(app, other_id)
    assert other.get(task_url).status_code == 404
    assert other.get(f"{task_url}/download").status_code == 404
    assert "You have not prepared any" in other.get("/finance/exports").get_data(as_text=True)
    officer = client_for(app, world.officer)
    assert officer.get(task_url).status_code == 404
    assert client_for(app, world.assessor).get(task_url).status_code == 403


def test_a_task_that_is_not_an_export_is_not_shown_here(app, world):
    from grants.services import tasks

    with app.test_request_context():
        finance = db.session.get(User, world.finance)
        task = tasks.start_task(finance, "audit.verify")
        task_id = task.id
    client = client_for(app, world.finance)
    assert client.get(f"/finance/exports/tasks/{task_id}").status_code == 404
    assert client.get(f"/finance/exports/tasks/{task_id}/download").status_code == 404


def test_a_running_export_shows_its_progress_and_offers_no_download_yet(app, world):
    with app.test_request_context():
        finance = db.session.get(User, world.finance)
        task = BackgroundTask(kind="export.awards.csv", requested_by_id=finance.id, total=10)
        task.stage, task.done = TaskStage.RUNNING, 4
        db.session.add(task)
        db.session.commit()
        task_id = task.id
    client = client_for(app, world.finance)
    page = client.get(f"/finance/exports/tasks/{task_id}").get_data(as_text=True)
    assert "4 of 10 rows (40%)" in page
    assert ">Refresh<" in page and 'id="download"' not in page
    assert client.get(f"/finance/exports/tasks/{task_id}/download").status_code == 404


def test_starting_an_export_needs_the_csrf_token(app, world):
    client = client_for(app, world.finance)
    assert client.post("/finance/exports/awards.csv").status_code == 400
    with app.app_context():
        assert db.session.query(BackgroundTask).count() == 0
