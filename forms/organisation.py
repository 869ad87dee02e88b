"""Forms for managing an organisation's members."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectChoice, StringField, SubmitField

from forms.common import email_validators, required, strip
from grants.models import MembershipRole


class InviteMemberForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=email_validators("Enter their email address"),
        filters=[strip],
        widget=GovTextInput(),
    )
    role = RadioField(
        "What can they do?",
        choices=[
            SelectChoice(MembershipRole.MEMBER.value, "Member: work on applications and returns"),
            SelectChoice(MembershipRole.OWNER.value, "Owner: also invite and manage members"),
        ],
        validators=[required("Select what they can do")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def selected_role(self) -> MembershipRole:
        return MembershipRole(self.role.data)
