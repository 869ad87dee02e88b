"""Forms of the staff monitoring pages: the programme filter (a GET form) and the review moves
on a return, each carrying the version of the return the reviewer saw."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from forms.common import strip
from forms.queue import FilterChoice

REASON_MAX = 2000


class ProgrammeFilterForm(FlaskForm):
    """Read from the query string; leaving the programme empty shows every programme."""

    class Meta:
        csrf = False  # a GET form changes nothing

    programme = FilterChoice("Programme", "a programme", "All programmes", default="")

    def offer(self, programmes: Sequence[tuple[str, str]]) -> None:
        self.programme.offer(programmes)

    def programme_id(self) -> int | None:
        return int(self.programme.data) if self.programme.data else None


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def _reason(label: str, missing: str, hint: str) -> TextAreaField:
    return TextAreaField(
        label,
        description=hint,
        filters=[strip],
        validators=[
            DataRequired(message=missing),
            Length(max=REASON_MAX, message=f"{label} must be {REASON_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )


class AcceptForm(VersionedForm):
    pass


class SendBackForm(VersionedForm):
    reason = _reason(
        "Comments for the organisation",
        "Enter comments saying what needs to change",
        "Say what the organisation needs to change or add before it sends the return again",
    )


class WaiveForm(VersionedForm):
    reason = _reason(
        "Why is the return waived?",
        "Enter why the return is waived",
        "This is kept on the award's record",
    )


REVIEW_FORMS: dict[str, type[VersionedForm]] = {
    "accept": AcceptForm,
    "send_back": SendBackForm,
    "waive": WaiveForm,
}
