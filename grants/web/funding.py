"""Find funding: open rounds, a round's page, and the eligibility check before any account.

The check is stateless: each question page posts one answer, and the first ineligible answer
ends it, so nothing needs remembering between pages and no one needs to sign in.

A closed round's pages stay up saying it has closed, rather than answering 404: people follow
links from newsletters and partners' sites long after a round closes, and "this round closed on
…" with a way to other funding is kinder than "page not found". They never offer a way to apply.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.eligibility import eligibility_form
from grants.policy import PUBLIC, allow
from grants.services import funding
from grants.services.errors import NotFound

bp = Blueprint("funding", __name__)


def _round_or_404(round_id: int):  # type: ignore[no-untyped-def]
    try:
        return funding.round_for_public(round_id)
    except NotFound:
        abort(404)


def _question_or_404(round_, position: int):  # type: ignore[no-untyped-def]
    try:
        return funding.question_at(round_, position)
    except NotFound:
        abort(404)


def _closed(round_) -> Response | None:  # type: ignore[no-untyped-def]
    """Past the closing time every step of the check leads back to the round's page, which
    says the round has closed (303, so a posted answer is not posted again)."""
    if funding.is_accepting(round_):
        return None
    return redirect(url_for("funding.round_page", round_id=round_.id), code=303)


@bp.get("/funding")
@allow(PUBLIC)
def rounds() -> str:
    return render_template("funding/rounds.html", rounds=funding.open_rounds())


@bp.get("/funding/<int:round_id>")
@allow(PUBLIC)
def round_page(round_id: int) -> str:
    round_ = _round_or_404(round_id)
    first = funding.first_position(round_)
    if first is None:
        start_url = url_for("funding.eligible", round_id=round_.id)
    else:
        start_url = url_for("funding.question", round_id=round_.id, position=first)
    return render_template(
        "funding/round.html",
        round=round_,
        accepting=funding.is_accepting(round_),
        start_url=start_url,
        question_count=len(round_.eligibility_questions),
    )


@bp.route("/funding/<int:round_id>/eligibility/<int:position>", methods=["GET", "POST"])
@allow(PUBLIC)
def question(round_id: int, position: int) -> str | Response | tuple[str, int]:
    round_ = _round_or_404(round_id)
    asked = _question_or_404(round_, position)
    if closed := _closed(round_):
        return closed
    form = eligibility_form(asked.question, asked.hint)
    if form.validate_on_submit():
        outcome = funding.answer(round_, position, form.said_yes())
        if not outcome.eligible:
            return redirect(url_for("funding.not_eligible", round_id=round_.id, position=position))
        if outcome.next_position is not None:
            return redirect(
                url_for("funding.question", round_id=round_.id, position=outcome.next_position)
            )
        return redirect(url_for("funding.eligible", round_id=round_.id))
    previous = funding.previous_position(round_, position)
    if previous is None:
        back_url = url_for("funding.round_page", round_id=round_.id)
    else:
        back_url = url_for("funding.question", round_id=round_.id, position=previous)
    page = render_template(
        "funding/question.html", form=form, round=round_, question=asked, back_url=back_url
    )
    return (page, 400) if form.errors else page


@bp.get("/funding/<int:round_id>/not-eligible/<int:position>")
@allow(PUBLIC)
def not_eligible(round_id: int, position: int) -> str | Response:
    round_ = _round_or_404(round_id)
    asked = _question_or_404(round_, position)
    if closed := _closed(round_):
        return closed
    return render_template("funding/not_eligible.html", round=round_, question=asked)


@bp.get("/funding/<int:round_id>/eligible")
@allow(PUBLIC)
def eligible(round_id: int) -> str | Response:
    round_ = _round_or_404(round_id)
    if closed := _closed(round_):
        return closed
    last = funding.last_position(round_)
    if last is None:
        back_url = url_for("funding.round_page", round_id=round_.id)
    else:
        back_url = url_for("funding.question", round_id=round_.id, position=last)
    return render_template(
        "funding/eligible.html",
        round=round_,
        accounts=funding.needs_accounts(round_),
        back_url=back_url,
    )
