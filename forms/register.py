"""The public decisions register's search (a GET form: a search has its own URL and works
without JavaScript), and finance's button that publishes the 360Giving files."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from forms.common import strip

SEARCH_MAX = 100


class RegisterSearchForm(FlaskForm):
    """Read from the query string; an empty search lists every decision."""

    class Meta:
        csrf = False  # a GET form changes nothing

    q = StringField(
        "Search decisions",
        description="Reference, project title or organisation, for example PF-2627-0001",
        filters=[strip],
        validators=[
            Length(max=SEARCH_MAX, message=f"Search must be {SEARCH_MAX} characters or fewer")
        ],
        widget=GovTextInput(),
    )
    # No submit field: the page's button has no name, so it adds nothing to the URL.


class PublishThreeSixtyForm(FlaskForm):
    submit = SubmitField("Publish the 360Giving files", widget=GovSubmitInput())
