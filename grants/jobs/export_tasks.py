"""Background tasks that write large exports (CSV and XLSX) of awards, payments, returns and the
financial-year ledger.

One task kind per export and format, ``export.<what>.<format>`` (e.g. ``export.awards.xlsx``),
all run by the same function: the rows are read in keyset pages and written to the task's
spooled result file, with progress committed between pages. The export is read as the person
who asked for it, so it holds exactly what they could have downloaded themselves.
"""

from __future__ import annotations

from grants.extensions import db
from grants.jobs.tasks import progress, result_file, task_kind
from grants.models import BackgroundTask, User
from grants.services import exports


def _run(task: BackgroundTask) -> str:
    _, name, extension = task.kind.split(".")
    user = db.session.get(User, task.requested_by_id)
    if user is None or not user.is_active:
        raise PermissionError("the person who asked for this export can no longer see it")
    export = exports.export_for(user, name, extension)
    total = export.count(user)
    progress(task, 0, total)
    with result_file(task, export.filename(extension), exports.FORMATS[extension]) as out:
        # A row or two may have been added since the count: the total follows what was written.
        written = exports.write(
            user, name, extension, out, lambda n: progress(task, n, max(total, n))
        )
    progress(task, written, written)
    return f"{written:,} rows written"


for _name in exports.EXPORTS:
    for _extension in exports.FORMATS:
        task_kind(exports.task_kind(_name, _extension))(_run)
