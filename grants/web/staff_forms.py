"""What several staff pages do alike with their forms: read the programme filter from the query
string (and draw a page narrowed by it), carry out the change a posted form asks for, and give
each move on a page its form."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import abort, g, render_template, request
from flask_wtf import FlaskForm

from forms.monitoring import ProgrammeFilterForm, VersionedForm
from grants.services import monitoring
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error


def programme_filters() -> ProgrammeFilterForm:
    """The programme filter as the query string sets it, offering every programme."""
    filters = ProgrammeFilterForm(formdata=request.args)
    filters.offer(monitoring.programme_choices())
    return filters


def filtered_page(template: str, load: Callable[[Any, int | None], object]) -> tuple[str, int]:
    """A page of what ``load`` finds for the user in the programme the filter names (every
    programme when it names none), as ``result``. A programme not offered is a 400 with the
    error summary and no result."""
    filters = programme_filters()
    if not filters.validate():
        return render_template(template, filters=filters, result=None, form=filters), 400
    result = load(g.user, filters.programme_id())
    return render_template(template, filters=filters, result=result), 200


def carried_out(form: FlaskForm, change: Callable[[], object], anchor: str | None = None) -> bool:
    """Make the change a valid posted form asks for; True when it was made. A refusal goes on
    the form for the page's error summary, which takes the reader to ``anchor`` when the refusal
    is not about one of the form's fields. An object that is gone, or not the user's to see, is
    a 404."""
    try:
        change()
    except NotFound:
        abort(404)
    except ServiceError as error:
        show_error(form, error)
        if anchor is not None:
            form.error_anchor = anchor  # type: ignore[attr-defined]
        return False
    return True


def move_made(form: FlaskForm, trigger: str, move: Callable[[str | None], object]) -> bool:
    """Make the move a valid posted form (prefixed with its trigger) asks for, passing the
    reason typed when the move takes one; as ``carried_out``, a refusal points at that reason
    box, or at the move's button when it has none."""
    takes_reason = hasattr(form, "reason")
    reason = form.reason.data if takes_reason else None  # type: ignore[attr-defined]
    shown = "reason" if takes_reason else "button"
    return carried_out(form, lambda: move(reason), f"#{trigger}-{shown}")


def move_forms(
    triggers: Iterable[str],
    form_classes: Mapping[str, type[VersionedForm]],
    failed: FlaskForm | None,
    version: int,
) -> dict[str, VersionedForm]:
    """A form for each move, by trigger. After a refused move, that move's form is the one
    posted, keeping what was typed. Each carries the version on screen now, so a retry is
    judged against what the user sees."""
    forms: dict[str, VersionedForm] = {}
    for trigger in triggers:
        form_class = form_classes[trigger]
        form = (
            failed if isinstance(failed, form_class) else form_class(prefix=trigger, formdata=None)
        )
        form.version.data = str(version)
        forms[trigger] = form
    return forms
