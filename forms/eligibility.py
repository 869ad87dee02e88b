"""One eligibility question: a yes or no answer, asked on its own page."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import AnyOf

from forms.common import required

YES, NO = "yes", "no"
FALLBACK_MESSAGE = "Select yes or no"

# "Is your organisation based in Leicester?" -> "your organisation is based in Leicester".
# Staff write the questions, so only shapes whose subject is unmistakable are turned round;
# anything else gets the plain fallback rather than a garbled sentence.
_SUBJECT = r"(you|your (?:organisation|group|club|charity|project)|the (?:organisation|project))"
_INVERTED = re.compile(rf"(Is|Are|Was|Were|Will|Can|Has|Have) {_SUBJECT} (.+?)\??", re.IGNORECASE)
_DOES_HAVE = re.compile(rf"(Does|Do) {_SUBJECT} have (.+?)\??", re.IGNORECASE)


def missing_answer_message(question: str) -> str:
    """The GOV.UK message for an unanswered yes/no question: 'Select yes if [it is true]'."""
    question = " ".join(question.split())
    if match := _INVERTED.fullmatch(question):
        verb, subject, rest = match.groups()
        return f"Select yes if {subject.lower()} {verb.lower()} {rest}"
    if match := _DOES_HAVE.fullmatch(question):
        verb, subject, rest = match.groups()
        has = "have" if subject.lower() == "you" else "has"
        return f"Select yes if {subject.lower()} {has} {rest}"
    return FALLBACK_MESSAGE


class EligibilityForm(FlaskForm):
    # Declared per question by eligibility_form, whose wording it carries.
    answer: RadioField
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def said_yes(self) -> bool:
        return self.answer.data == YES


def eligibility_form(question: str, hint: str = "") -> EligibilityForm:
    """The form for one question; its wording, hint and error message come from the round."""
    message = missing_answer_message(question)

    class QuestionForm(EligibilityForm):
        answer = RadioField(
            question,
            description=hint,
            choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
            # A tampered value gets the same message as no answer, not WTForms' own wording.
            validate_choice=False,
            validators=[required(message), AnyOf([YES, NO], message=message)],
            widget=GovRadioInput(),
        )

    return QuestionForm()
