"""Finance's exports: awards, payments, returns and the financial-year ledger, as CSV or XLSX.

Each export is a list of typed columns and a generator of rows read from the database as they
are written, so memory stays flat whatever the number of rows:

- streamed straight to the browser (``stream``): one statement with ``yield_per``, so rows
  arrive in batches from the cursor (a server-side cursor on PostgreSQL);
- written by a background task (``write``): in keyset pages by id, each page fetched whole,
  because the task commits its progress between pages and a commit would close an open cursor.

Exports with more rows than ``STREAM_LIMIT`` are not streamed but run as a task
(grants/jobs/export_tasks.py), so a request is never held open for minutes.

Safety. A text cell a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is given a leading quote in both formats: a formula-safe XLSX
cell can still be re-saved as CSV and opened elsewhere. Number cells are written from integers
by this module (digits, a point and perhaps a minus sign), so they cannot carry a formula and
are left as numbers. In XLSX every cell is typed explicitly: ``write_string`` for text and
``write_number`` for numbers (money in pounds with a £ format), never ``write``, which guesses
and can make a formula of a string; the workbook is in ``constant_memory`` mode, which writes
each row to a temporary file as it goes.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from sqlalchemy import Select, func, select

from grants.calendar import london_today
from grants.extensions import db
from grants.filters import LONDON, financial_year
from grants.models import (
    Award,
    AwardStatus,
    BackgroundTask,
    MonitoringReturn,
    Organisation,
    Payment,
    PaymentStatus,
    Programme,
    ReturnStatus,
    TaskStage,
    User,
)
from grants.policy import FINANCE_READERS, visible_awards, visible_payments, visible_returns
from grants.services import fy_ledger, tasks
from grants.services.errors import NotFound
from grants.spreadsheets import safe_text

# More rows than this and the export runs as a background task instead of in the request.
STREAM_LIMIT = 5_000
# Rows fetched from the database at a time, and rows written to the response at a time.
BATCH = 1_000
CHUNK_BYTES = 64 * 1024
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel reads a CSV as UTF-8 (so "£" survives) only when it starts with a byte order mark.
BOM = "\ufeff"
MONEY_FORMAT = '"£"#,##0.00;-"£"#,##0.00'

Cell = str | int | None
Row = tuple[Cell, ...]


class Kind(enum.Enum):
    TEXT = "text"
    MONEY = "money"  # whole pence in the row; pounds in the file
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    heading: str
    kind: Kind = Kind.TEXT
    width: int = 16


@dataclass(frozen=True)
class Export:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    # The rows for a user: (streamed with yield_per?) -> rows; and how many there will be.
    rows: Callable[[User, bool], Iterator[Row]]
    count: Callable[[User], int]

    def filename(self, extension: str) -> str:
        return f"{self.name}-{london_today().isoformat()}.{extension}"


def in_pounds(pence: int) -> str:
    """12345 -> '123.45', without floats."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _london(value: dt.datetime | None) -> str | None:
    # isoformat, sliced, is several times quicker than strftime over 100,000 rows.
    return value.astimezone(LONDON).isoformat(" ", "minutes")[:16] if value else None


def _labels(statuses: type[enum.Enum]) -> dict[Any, str]:
    return {status: status.label for status in statuses}  # type: ignore[attr-defined]


# Reading rows -----------------------------------------------------------------------------


def _read(
    statement: Select[Any], id_column: Any, streamed: bool, shape: Callable[[Any], Row]
) -> Iterator[Row]:
    """The statement's rows (its first column the id it is ordered by, not exported)."""
    if streamed:
        # Core rows on the session's connection: the columns need no ORM loading, which
        # would cost more than reading them.
        result = db.session.connection().execute(
            statement.order_by(id_column), execution_options={"yield_per": BATCH}
        )
        try:
            for row in result:
                yield shape(row)
        finally:
            result.close()
        return
    last = 0
    while True:
        page = db.session.execute(
            statement.where(id_column > last).order_by(id_column).limit(BATCH)
        ).all()
        for row in page:
            yield shape(row)
        if len(page) < BATCH:
            return
        last = page[-1][0]


AWARD_LABELS = _labels(AwardStatus)
PAYMENT_LABELS = _labels(PaymentStatus)
RETURN_LABELS = _labels(ReturnStatus)


def _awards_statement(user: User) -> Select[Any]:
    return (
        visible_awards(user)
        .with_only_columns(
            Award.id,
            Award.reference,
            Award.title,
            Organisation.name,
            Programme.name,
            Award.status,
            Award.amount_pence,
            Award.clawback_pence,
            Award.starts_on,
            Award.ends_on,
            Award.accepted_at,
        )
        .join(Organisation, Organisation.id == Award.organisation_id)
        .join(Programme, Programme.id == Award.programme_id)
    )


def _award_row(row: Any) -> Row:
    _, reference, title, organisation, programme, status, amount, clawback = row[:8]
    starts, ends, accepted = row[8:]
    return (
        reference,
        title,
        organisation,
        programme,
        AWARD_LABELS[status],
        amount,
        clawback,
        _date(starts),
        _date(ends),
        _london(accepted),
    )


def _on_award(visible: Select[Any], model: Any, *columns: Any) -> Select[Any]:
    """Rows of what belongs to an award (payments, returns) from those the user may see: the
    id, the award's reference, organisation and programme, the status, then ``columns``."""
    return (
        visible.with_only_columns(
            model.id, Award.reference, Organisation.name, Programme.name, model.status, *columns
        )
        .join_from(model, Award, Award.id == model.award_id)
        .join(Organisation, Organisation.id == Award.organisation_id)
        .join(Programme, Programme.id == Award.programme_id)
    )


# The columns of an export of _on_award's rows after the id: which award, whose, and the state.
ON_AWARD_COLUMNS = (
    Column("Award reference", width=18),
    Column("Organisation", width=36),
    Column("Programme", width=28),
    Column("Status", width=12),
)


def _payments_statement(user: User) -> Select[Any]:
    return _on_award(
        visible_payments(user),
        Payment,
        Payment.financial_year,
        Payment.amount_pence,
        Payment.due_date,
        Payment.paid_on,
        Payment.payment_reference,
    )


def _payment_row(row: Any) -> Row:
    payment_id, award, organisation, programme, status, year, amount, due, paid_on, ref = row
    return (
        payment_id,
        award,
        organisation,
        programme,
        PAYMENT_LABELS[status],
        financial_year(year),
        amount,
        _date(due),
        _date(paid_on),
        ref,
    )


def _returns_statement(user: User) -> Select[Any]:
    return _on_award(
        visible_returns(user),
        MonitoringReturn,
        MonitoringReturn.period_start,
        MonitoringReturn.period_end,
        MonitoringReturn.due_date,
        MonitoringReturn.submitted_at,
    )


def _return_row(row: Any) -> Row:
    return_id, award, organisation, programme, status, start, end, due, submitted = row
    return (
        return_id,
        award,
        organisation,
        programme,
        RETURN_LABELS[status],
        _date(start),
        _date(end),
        _date(due),
        _london(submitted),
    )


def _count(statement: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def _selected(
    name: str,
    title: str,
    description: str,
    columns: tuple[Column, ...],
    statement: Callable[[User], Select[Any]],
    id_column: Any,
    shape: Callable[[Any], Row],
) -> Export:
    """An export of one statement's rows, read in order of ``id_column`` (the statement's first
    column) and each made into the export's row by ``shape``."""
    return Export(
        name,
        title,
        description,
        columns,
        lambda user, streamed: _read(statement(user), id_column, streamed, shape),
        lambda user: _count(statement(user)),
    )


def _ledger_rows(user: User, streamed: bool) -> Iterator[Row]:
    # The ledger is one row per programme and year, so it is built whole and never large.
    options = fy_ledger.ledger_options(user)
    for line in fy_ledger.ledger(user, options).lines:
        figures = line.figures
        yield (
            line.programme,
            financial_year(line.year),
            figures.budget_pence,
            figures.committed_pence,
            figures.claimed_pence,
            figures.approved_pence,
            figures.paid_pence,
            figures.remaining_pence,
        )


def _ledger_count(user: User) -> int:
    options = fy_ledger.ledger_options(user)
    return sum(len(p.lines) for p in fy_ledger.ledger(user, options).programmes)


MONEY = Kind.MONEY
EXPORTS: dict[str, Export] = {
    export.name: export
    for export in (
        _selected(
            "awards",
            "Awards",
            "Every award with its organisation, programme, status, amount and dates.",
            (
                Column("Award reference", width=18),
                Column("Title", width=40),
                Column("Organisation", width=36),
                Column("Programme", width=28),
                Column("Status", width=12),
                Column("Amount (£)", MONEY, 14),
                Column("Clawback (£)", MONEY, 14),
                Column("Starts on", width=12),
                Column("Ends on", width=12),
                Column("Accepted at (London)", width=18),
            ),
            _awards_statement,
            Award.id,
            _award_row,
        ),
        _selected(
            "payments",
            "Payments",
            "Every payment and claim with its award, state, financial year and amount.",
            (
                Column("Payment id", Kind.NUMBER, 12),
                *ON_AWARD_COLUMNS,
                Column("Financial year", width=14),
                Column("Amount (£)", MONEY, 14),
                Column("Due date", width=12),
                Column("Paid on", width=12),
                Column("Payment reference", width=20),
            ),
            _payments_statement,
            Payment.id,
            _payment_row,
        ),
        _selected(
            "returns",
            "Monitoring returns",
            "Every monitoring return with its award, state, period and dates.",
            (
                Column("Return id", Kind.NUMBER, 12),
                *ON_AWARD_COLUMNS,
                Column("Period start", width=12),
                Column("Period end", width=12),
                Column("Due date", width=12),
                Column("Submitted at (London)", width=18),
            ),
            _returns_statement,
            MonitoringReturn.id,
            _return_row,
        ),
        Export(
            "ledger",
            "Financial-year ledger",
            "Per programme and financial year: budget, committed, claimed, approved, paid "
            "and remaining.",
            (
                Column("Programme", width=28),
                Column("Financial year", width=14),
                Column("Budget (£)", MONEY, 14),
                Column("Committed (£)", MONEY, 14),
                Column("Claimed (£)", MONEY, 14),
                Column("Approved (£)", MONEY, 14),
                Column("Paid (£)", MONEY, 14),
                Column("Remaining (£)", MONEY, 14),
            ),
            _ledger_rows,
            _ledger_count,
        ),
    )
}


# Which export, and whether it streams -----------------------------------------------------


@dataclass(frozen=True)
class Available:
    export: Export
    rows: int

    @property
    def streams(self) -> bool:
        return self.rows <= STREAM_LIMIT


def export_for(user: User, name: str, extension: str | None = None) -> Export:
    """The export by name (and format); NotFound for anything else or anyone not finance's."""
    if not FINANCE_READERS.allows(user):
        raise NotFound
    export = EXPORTS.get(name)
    if export is None or (extension is not None and extension not in FORMATS):
        raise NotFound
    return export


def available(user: User) -> list[Available]:
    """Every export with how many rows it has now (one count statement each)."""
    if not FINANCE_READERS.allows(user):
        raise NotFound
    return [Available(export, export.count(user)) for export in EXPORTS.values()]


def task_kind(name: str, extension: str) -> str:
    return f"export.{name}.{extension}"


TASK_KINDS = tuple(task_kind(name, ext) for name in EXPORTS for ext in FORMATS)


# Writers ----------------------------------------------------------------------------------


def _text(value: Cell) -> str:
    return "" if value is None else safe_text(str(value))


def _money(value: Cell) -> str:
    return "" if value is None else in_pounds(int(value))


def _number(value: Cell) -> str:
    return "" if value is None else str(int(value))


_CSV_CELL: dict[Kind, Callable[[Cell], str]] = {
    Kind.TEXT: _text,
    Kind.MONEY: _money,
    Kind.NUMBER: _number,
}


def csv_chunks(
    export: Export, rows: Iterable[Row], on_row: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks of about BATCH rows each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([column.heading for column in export.columns])
    cell = tuple(_CSV_CELL[column.kind] for column in export.columns)
    for written, row in enumerate(rows, start=1):
        writer.writerow([format_(value) for format_, value in zip(cell, row, strict=True)])
        if on_row is not None:
            on_row(written)
        if written % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(
    export: Export,
    rows: Iterable[Row],
    out: IO[bytes],
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write the workbook into ``out`` (a binary file); returns the number of rows written."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            # Belt and braces: write() is never called, but nothing is guessed if it were.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = workbook.add_worksheet(export.title[:31])
        heading = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": MONEY_FORMAT})
        for index, column in enumerate(export.columns):
            sheet.set_column(index, index, column.width)
        for index, column in enumerate(export.columns):
            sheet.write_string(0, index, column.heading, heading)
        sheet.freeze_panes(1, 0)
        written = 0
        for written, row in enumerate(rows, start=1):
            for index, (column, value) in enumerate(zip(export.columns, row, strict=True)):
                if value is None:
                    continue
                if column.kind is Kind.MONEY:
                    # Pence to pounds: exact to the penny for any amount a grant could be.
                    sheet.write_number(written, index, int(value) / 100, money)
                elif column.kind is Kind.NUMBER:
                    sheet.write_number(written, index, int(value))
                else:
                    sheet.write_string(written, index, safe_text(str(value)))
            if on_row is not None:
                on_row(written)
    finally:
        workbook.close()
    return written


def stream(user: User, name: str, extension: str) -> Iterator[bytes]:
    """The export as byte chunks for a response, read with ``yield_per``. An XLSX file is a zip
    written at the end, so it is built in a temporary file (constant memory) and then sent."""
    export = export_for(user, name, extension)
    rows = export.rows(user, True)
    if extension == "csv":
        yield from csv_chunks(export, rows)
        return
    with tempfile.TemporaryFile() as spool:
        write_xlsx(export, rows, spool)
        spool.seek(0)
        yield from iter(lambda: spool.read(CHUNK_BYTES), b"")


def write(
    user: User,
    name: str,
    extension: str,
    out: IO[bytes],
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write the export into ``out`` for a background task, in keyset pages (so the task may
    commit its progress as it goes); returns the number of rows."""
    export = export_for(user, name, extension)
    rows = export.rows(user, False)
    if extension == "xlsx":
        return write_xlsx(export, rows, out, on_row)
    written = 0

    def counted(n: int) -> None:
        nonlocal written
        written = n
        if on_row is not None:
            on_row(n)

    for chunk in csv_chunks(export, rows, counted):
        out.write(chunk)
    return written


# Exports run as background tasks ----------------------------------------------------------


@dataclass(frozen=True)
class ExportTask:
    """A background export as its page shows it."""

    task: BackgroundTask
    export: Export
    extension: str

    @property
    def ready(self) -> bool:
        return self.task.stage is TaskStage.DONE and self.task.result_key is not None

    @property
    def running(self) -> bool:
        return self.task.stage in (TaskStage.QUEUED, TaskStage.RUNNING)

    @property
    def failed(self) -> bool:
        return self.task.stage is TaskStage.FAILED

    @property
    def stage(self) -> str:
        return self.task.stage.value.capitalize()


def _as_export_task(task: BackgroundTask) -> ExportTask:
    _, name, extension = task.kind.split(".")
    return ExportTask(task, EXPORTS[name], extension)


def export_task(user: User, task_id: int) -> ExportTask:
    """The user's own export task; NotFound for anyone else's, or a task that is not an export."""
    if not FINANCE_READERS.allows(user):
        raise NotFound
    task = tasks.task_for(user, task_id)
    if task.kind not in TASK_KINDS:
        raise NotFound
    return _as_export_task(task)


def recent_export_tasks(user: User) -> list[ExportTask]:
    return [_as_export_task(task) for task in tasks.recent_tasks(user, TASK_KINDS)]
