"""Uploading a document."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SelectChoice, SubmitField

from forms.common import required

ORGANISATION_DOCUMENTS = {
    "constitution": "Constitution or governing document",
    "accounts": "Latest annual accounts",
    "safeguarding_policy": "Safeguarding policy",
    "bank_statement": "Bank statement",
    "other": "Something else",
}


class OrganisationDocumentForm(FlaskForm):
    purpose = RadioField(
        "What is the document?",
        choices=[SelectChoice(code, label) for code, label in ORGANISATION_DOCUMENTS.items()],
        validators=[required("Select what the document is")],
        widget=GovRadioInput(),
    )
    document = FileField(
        "Upload a file",
        description="PDF, Word, Excel, OpenDocument, PNG, JPEG or CSV, smaller than 25 MB",
        validators=[FileRequired(message="Select a file")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())
