"""A grant as its organisation sees it: money per year, payments and claims, and changes asked
for; claiming in arrears with evidence; and asking to change the grant."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forms.claims import ClaimLineForm, StartClaimForm, SubmitClaimForm
from forms.variations import CHANGE_FORMS, BudgetChangeForm, ChooseChangeForm
from grants.filters import financial_year, pounds
from grants.policy import COMMUNITY_USER, allow
from grants.services import claims, variations
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("claims", __name__)

Page = str | Response | tuple[str, int]


def _page(template: str, form: FlaskForm | None, **context: Any) -> Page:
    if form is not None:
        # base.html shows an error summary for any ``form`` it is given.
        context["form"] = form
    page = render_template(template, **context)
    if form is not None and (form.errors or form.form_errors):
        return page, 400
    return page


def _position(award_id: int) -> claims.AwardPosition:
    try:
        return claims.award_for(g.user, award_id)
    except NotFound:
        abort(404)


def _claim(payment_id: int):  # type: ignore[no-untyped-def]
    try:
        return claims.claim_for(g.user, payment_id)
    except NotFound:
        abort(404)


def _locked(payment, message: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Pages that change a claim say so once it has been sent, rather than pretend to save."""
    return render_template("claims/locked.html", payment=payment, message=message), 409


def _editable(payment_id: int):  # type: ignore[no-untyped-def]
    """The claim draft, or the 409 page saying why it can no longer change."""
    payment = _claim(payment_id)
    try:
        return claims.draft_for(g.user, payment.id), None
    except claims.ClaimLocked as locked:
        return payment, _locked(payment, locked.message)


def _start_form(position: claims.AwardPosition) -> StartClaimForm:
    form = StartClaimForm()
    form.financial_year.choices = [
        SelectChoice(year.financial_year, f"{financial_year(year.financial_year)}: "
                     f"{pounds(year.remaining_pence)} left to claim")
        for year in position.claimable_years
    ]  # fmt: skip
    return form


def _award_page(position: claims.AwardPosition, form: StartClaimForm | None) -> Page:
    return _page(
        "claims/award.html",
        form,
        position=position,
        award=position.award,
        can_vary=variations.can_vary(position.award),
        claim_total=claims.claim_total,
    )


@bp.get("/awards/<int:award_id>")
@allow(COMMUNITY_USER)
def award(award_id: int) -> Page:
    position = _position(award_id)
    return _award_page(position, _start_form(position) if position.can_claim else None)


@bp.post("/awards/<int:award_id>/claims")
@allow(COMMUNITY_USER)
def start_claim(award_id: int) -> Page:
    position = _position(award_id)
    form = _start_form(position)
    if form.validate_on_submit():
        try:
            payment = claims.start_claim(g.user, position.award.id, form.financial_year.data)
        except ServiceError as error:
            show_error(form, error, "financial_year")
        else:
            return redirect(url_for("claims.claim", payment_id=payment.id))
    return _award_page(_position(award_id), form)


def _claim_page(payment, form: FlaskForm | None = None, status_code: int = 200) -> Page:  # type: ignore[no-untyped-def]
    context: dict[str, Any] = {}
    if form is not None:
        context["form"] = form
    page = render_template(
        "claims/claim.html",
        **context,
        payment=payment,
        award=payment.award,
        is_draft=claims.is_claim_draft(payment),
        total=claims.claim_total(payment),
        remaining=claims.remaining_for_year(payment),
        evidence=claims.evidence_documents(payment),
    )
    return (page, status_code) if status_code != 200 else page


@bp.get("/claims/<int:payment_id>")
@allow(COMMUNITY_USER)
def claim(payment_id: int) -> Page:
    return _claim_page(_claim(payment_id))


@bp.route("/claims/<int:payment_id>/lines/add", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def add_line(payment_id: int) -> Page:
    payment, locked = _editable(payment_id)
    if locked:
        return locked
    form = ClaimLineForm()
    if form.validate_on_submit():
        upload = form.evidence.data
        try:
            claims.add_line(
                g.user,
                payment.id,
                form.description.data,
                form.amount.pence,  # type: ignore[attr-defined]
                upload.stream,
                upload.filename,
            )
        except claims.ClaimLocked as error:
            return _locked(payment, error.message)
        except ServiceError as error:
            show_error(form, error, "description")
        else:
            return redirect(url_for("claims.claim", payment_id=payment.id))
    payment = _claim(payment_id)
    return _page(
        "claims/add_line.html",
        form,
        payment=payment,
        award=payment.award,
        total=claims.claim_total(payment),
        remaining=claims.remaining_for_year(payment),
    )


@bp.post("/claims/<int:payment_id>/lines/<int:line_id>/remove")
@allow(COMMUNITY_USER)
def remove_line(payment_id: int, line_id: int) -> Page:
    payment, locked = _editable(payment_id)
    if locked:
        return locked
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        claims.remove_line(g.user, payment.id, line_id)
    except NotFound:
        abort(404)
    except claims.ClaimLocked as error:
        return _locked(payment, error.message)
    except ServiceError as error:
        form.form_errors.append(error.message)
        return _claim_page(_claim(payment_id), form, 409)
    return redirect(url_for("claims.claim", payment_id=payment.id))


@bp.route("/claims/<int:payment_id>/submit", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def submit(payment_id: int) -> Page:
    payment, locked = _editable(payment_id)
    if locked:
        if request.method == "GET":
            return redirect(url_for("claims.claim", payment_id=payment.id))
        return locked
    form = SubmitClaimForm()
    if request.method == "GET":
        form.version.data = str(payment.version)
    if form.validate_on_submit():
        try:
            claims.submit_claim(g.user, payment.id, _int(form.version.data))
        except claims.ClaimLocked as error:
            return _locked(payment, error.message)
        except ServiceError as error:
            form.form_errors.append(error.message)
            form.version.data = str(_claim(payment_id).version)
        else:
            return redirect(url_for("claims.submitted", payment_id=payment.id))
    payment = _claim(payment_id)
    return _page(
        "claims/check.html",
        form,
        payment=payment,
        award=payment.award,
        total=claims.claim_total(payment),
        remaining=claims.remaining_for_year(payment),
        evidence=claims.evidence_documents(payment),
    )


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return -1  # never a real version: the move is refused as out of date


@bp.get("/claims/<int:payment_id>/submitted")
@allow(COMMUNITY_USER)
def submitted(payment_id: int) -> Page:
    payment = _claim(payment_id)
    if payment.claimed_at is None:
        return redirect(url_for("claims.claim", payment_id=payment.id))
    return render_template("claims/submitted.html", payment=payment, award=payment.award)


@bp.route("/awards/<int:award_id>/variations/new", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def new_variation(award_id: int) -> Page:
    """Two steps on one address: choose the kind of change, then (``?kind=...``) answer that
    kind's questions and give the reasons."""
    try:
        found = variations.award_to_vary(g.user, award_id)
    except NotFound:
        abort(404)
    if not variations.can_vary(found):
        return render_template("variations/cannot_vary.html", award=found), 409
    kinds = variations.kinds_for(found)
    kind = request.args.get("kind")
    if kind is None:
        return _choose_change(found, kinds)
    if kind not in kinds:
        return redirect(url_for("claims.new_variation", award_id=found.id))
    return _describe_change(found, kind, kinds[kind])


def _choose_change(award, kinds: dict[str, str]) -> Page:  # type: ignore[no-untyped-def]
    form = ChooseChangeForm()
    form.kind.choices = list(kinds.items())
    if form.validate_on_submit():
        return redirect(url_for("claims.new_variation", award_id=award.id, kind=form.kind.data))
    return _page("variations/new.html", form, award=award)


def _describe_change(award, kind: str, label: str) -> Page:  # type: ignore[no-untyped-def]
    form = CHANGE_FORMS[kind]()
    lines = variations.budget_lines(award)
    if isinstance(form, BudgetChangeForm):
        form.set_lines([(line.id, f"{line.label} ({pounds(line.amount_pence)})") for line in lines])
    if form.validate_on_submit():
        moves = []
        if isinstance(form, BudgetChangeForm):
            from_id, to_id = form.line_ids
            moves.append(variations.BudgetMove(from_id, to_id, form.amount.pence))  # type: ignore[attr-defined]
        try:
            variation = variations.request_variation(
                g.user,
                award.id,
                kind,
                form.data.get("summary"),
                form.reason.data,  # type: ignore[attr-defined]
                new_end_date=form.data.get("new_end_date"),
                moves=moves,
            )
        except ServiceError as error:
            # A refusal about the request as a whole goes to the page's first question.
            show_error(form, error)
        else:
            return redirect(url_for("claims.variation_requested", variation_id=variation.id))
    return _page("variations/details.html", form, award=award, kind=kind, label=label, lines=lines)


@bp.get("/variations/<int:variation_id>/requested")
@allow(COMMUNITY_USER)
def variation_requested(variation_id: int) -> Page:
    try:
        variation = variations.variation_for(g.user, variation_id)
    except NotFound:
        abort(404)
    return render_template(
        "variations/requested.html",
        variation=variation,
        award=variation.award,
        kinds=variations.KINDS,
    )
