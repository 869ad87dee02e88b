"""360Giving for finance: the data-quality checks and schema validation of the grants file, shown
before it is published, and the button that publishes it (a background task)."""

from __future__ import annotations

from flask import Blueprint, flash, g, get_flashed_messages, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.register import PublishThreeSixtyForm
from grants.policy import FINANCE_READERS, FINANCE_STAFF, allow
from grants.services import threesixty

bp = Blueprint("threesixty", __name__, url_prefix="/finance/360giving")

STARTED = "threesixty-started"


@bp.get("")
@allow(FINANCE_READERS)
def overview() -> str:
    return _page(PublishThreeSixtyForm(formdata=None))


@bp.post("/publish")
@allow(FINANCE_STAFF)
def publish() -> Response | tuple[str, int]:
    form = PublishThreeSixtyForm()
    if not form.validate_on_submit():
        return _page(form), 400
    threesixty.start_publish(g.user)
    flash(
        "Publishing has started. The files are checked again before they are published.",
        STARTED,
    )
    return redirect(url_for("threesixty.overview"))


def _page(form: PublishThreeSixtyForm) -> str:
    runs = threesixty.publish_runs()
    return render_template(
        "threesixty/overview.html",
        check=threesixty.check(),
        runs=runs,
        running=any(task.stage.value in ("queued", "running") for task, _ in runs),
        published=threesixty.latest_publication(),
        can_publish=FINANCE_STAFF.allows(g.user),
        publish_form=form,
        form=form if form.errors else None,
        notices=get_flashed_messages(category_filter=[STARTED]),
    )
