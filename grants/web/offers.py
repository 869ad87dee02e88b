"""The organisation's offer: read it and its grant agreement, then accept it with a named
signatory's declaration or decline it with a reason."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from forms.offers import REASON_MAX, AcceptForm, DeclineForm
from grants.policy import COMMUNITY_USER, allow
from grants.services import offers
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("offers", __name__)

Page = str | Response | tuple[str, int]


def _offer_or_404(award_id: int):  # type: ignore[no-untyped-def]
    try:
        return offers.offer_for(g.user, award_id)
    except NotFound:
        abort(404)


@bp.get("/awards/<int:award_id>/offer")
@allow(COMMUNITY_USER)
def offer(award_id: int) -> Page:
    award = _offer_or_404(award_id)
    return render_template(
        "offers/offer.html",
        award=award,
        agreement=offers.agreement_for(award),
        closed=offers.closed_message(award),
        expired=offers.is_expired(award),
        pre_payment=offers.pre_payment_conditions(award),
        declined=offers.declined(award),
    )


@bp.route("/awards/<int:award_id>/offer/accept", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def accept(award_id: int) -> Page:
    award = _offer_or_404(award_id)
    form = AcceptForm(declaration_text=offers.declaration_text(award))
    changed = False
    if form.validate_on_submit():
        try:
            offers.accept(
                g.user, award.id, form.signatory.data, form.role.data, form.expected_version()
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            changed = isinstance(error, offers.ChangedMeanwhile)
            show_error(form, error)
            award = _offer_or_404(award_id)
        else:
            return redirect(url_for("offers.accepted", award_id=award.id))
    if not offers.can_respond(award):
        return _closed(award, changed, "accepted")
    # The form carries the version now on screen, so a retry is judged against what it shows.
    form.version.data = str(award.version)
    page = render_template(
        "offers/accept.html",
        award=award,
        form=form,
        agreement=offers.agreement_for(award),
    )
    return (page, 400) if form.errors else page


@bp.get("/awards/<int:award_id>/offer/accepted")
@allow(COMMUNITY_USER)
def accepted(award_id: int) -> Page:
    award = _offer_or_404(award_id)
    if award.accepted_at is None:
        return redirect(url_for("offers.offer", award_id=award.id))
    return render_template(
        "offers/accepted.html",
        award=award,
        unmet=[c for c in offers.pre_payment_conditions(award) if c.met_at is None],
    )


@bp.route("/awards/<int:award_id>/offer/decline", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def decline(award_id: int) -> Page:
    award = _offer_or_404(award_id)
    form = DeclineForm()
    changed = False
    if form.validate_on_submit():
        try:
            offers.decline(g.user, award.id, form.reason.data, form.expected_version())
        except NotFound:
            abort(404)
        except ServiceError as error:
            changed = isinstance(error, offers.ChangedMeanwhile)
            show_error(form, error)
            award = _offer_or_404(award_id)
        else:
            return redirect(url_for("offers.declined", award_id=award.id))
    if not offers.can_respond(award):
        return _closed(award, changed, "declined")
    form.version.data = str(award.version)
    page = render_template("offers/decline.html", award=award, form=form, max_length=REASON_MAX)
    return (page, 400) if form.errors else page


@bp.get("/awards/<int:award_id>/offer/declined")
@allow(COMMUNITY_USER)
def declined(award_id: int) -> Page:
    award = _offer_or_404(award_id)
    answer = offers.declined(award)
    if answer is None:
        return redirect(url_for("offers.offer", award_id=award.id))
    return render_template("offers/declined.html", award=award, declined=answer)


def _closed(award, changed: bool, attempted: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """The offer can no longer be answered (expired, or answered already): say why, 409."""
    page = render_template(
        "offers/closed.html",
        award=award,
        message=offers.closed_message(award),
        changed=changed,
        attempted=attempted,
    )
    return page, 409
