"""Bids to outside funders (Safer Streets): writing the bid (details, proposals and
interventions, while it is a draft), outcome, funder variations, partner awards issued from
interventions, and the roll-up return to the funder with what it claims.

Staff only: any staff member reads, commissioning officers and decision makers act (the engine
checks each move's own roles). Partners use the community award, return and claim pages, which
work for any award. A refused action shows the page again with the error summary and a 400."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    url_for,
)

from forms.bids import (
    OUTPUT_ROWS,
    BidDetailsForm,
    BidMoveForm,
    DecisionForm,
    DraftReturnForm,
    FunderVariationForm,
    InterventionForm,
    NewBidForm,
    ProposalForm,
    RemoveForm,
    ReturnEditForm,
    ReturnMoveForm,
    claims_form,
    intervention_form,
    outcome_form,
    partner_award_form,
    pounds_input,
)
from grants.policy import ANY_STAFF, MANAGING_STAFF, allow
from grants.services import bid_setup, bids, rollup
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("bids", __name__, url_prefix="/staff/bids")

DONE = "bid-done"
Page = tuple[str, int]


def _or_404(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(*args, **kwargs)
    except NotFound:
        abort(404)


@bp.get("")
@allow(ANY_STAFF)
def bid_list() -> str:
    return render_template(
        "bids/list.html",
        bids=bids.bids(g.user),
        may_create=bid_setup.may_create_bids(g.user),
        notices=_notices(),
    )


@bp.get("/<int:bid_id>")
@allow(ANY_STAFF)
def bid(bid_id: int) -> str:
    return _bid_page(bid_id)[0]


def _bid_page(
    bid_id: int, failed: object | None = None, failed_key: str | None = None, draft=None
) -> Page:  # type: ignore[no-untyped-def]
    found = _or_404(bids.bid_for, g.user, bid_id)
    moves = bids.bid_moves(g.user, found)
    move_forms = {m.trigger: BidMoveForm(prefix=m.trigger, formdata=None) for m in moves}
    for form in move_forms.values():
        form.version.data = str(found.version)
    if failed is not None and failed_key in move_forms:
        move_forms[failed_key] = failed
    draft_form = draft or DraftReturnForm(prefix="draft", formdata=None)
    draft_form.offer(rollup.financial_year_choices(found))
    page = render_template(
        "bids/bid.html",
        bid=found,
        moves=moves,
        move_forms=move_forms,
        may_record_outcome=bids.may_record_outcome(g.user, found),
        may_amend=bid_setup.may_amend(g.user, found),
        may_issue_awards=bids.may_issue_partner_awards(g.user, found),
        draft_form=draft_form,
        form=failed or draft,
        notices=_notices(),
    )
    return page, 400 if failed is not None or draft is not None else 200


def _notices() -> list[str]:
    return list(get_flashed_messages(category_filter=[DONE]))


@bp.post("/<int:bid_id>/moves/<trigger>")
@allow(MANAGING_STAFF)
def bid_move(bid_id: int, trigger: str) -> Response | Page:
    form = BidMoveForm(prefix=trigger)
    if form.validate_on_submit():
        try:
            moved = bids.move_bid(
                g.user, bid_id, trigger, form.expected_version(), form.reason.data
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            shown = "reason" if form.reason.raw_data else "button"
            form.error_anchor = f"#{trigger}-{shown}"  # type: ignore[attr-defined]
        else:
            flash(f"The bid is now {moved.status.value}", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    return _bid_page(bid_id, failed=form, failed_key=trigger)


@bp.route("/<int:bid_id>/outcome", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def outcome(bid_id: int) -> Response | Page:
    found = _or_404(bids.bid_for, g.user, bid_id)
    labelled = bids.outcome_fields(found)
    form = outcome_form(labelled)
    if not form.is_submitted():
        form.version.data = str(found.version)
    if form.validate_on_submit():
        awarded = {int(key): pence for key, pence in form.amounts().items()}
        try:
            bids.record_award(g.user, bid_id, form.expected_version(), awarded)
        except ServiceError as error:
            show_error(form, error, f"amount_{labelled[0][0]}" if labelled else None)
        else:
            flash("The funder's award is recorded", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/outcome.html", bid=found, form=form), status


@bp.route("/interventions/<int:intervention_id>/awards/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_partner_award(intervention_id: int) -> Response | Page:
    intervention = _or_404(bids.intervention_for, g.user, intervention_id)
    form = partner_award_form([year.financial_year for year in intervention.years])
    if not form.is_submitted():
        form.version.data = "0"
        form.title.data = intervention.title
    if form.validate_on_submit():
        amounts = {int(year): pence for year, pence in form.amounts().items()}
        try:
            award = bids.issue_partner_award(g.user, intervention_id, form.title.data, amounts)
        except ServiceError as error:
            # Refusals about the money point at the first year's amount.
            show_error(
                form,
                error,
                f"amount_{intervention.years[0].financial_year}" if intervention.years else None,
            )
        else:
            flash(f"Partner award {award.reference} offered to {intervention.partner.name}", DONE)
            return redirect(url_for("bids.bid", bid_id=intervention.proposal.bid_id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/partner_award.html", intervention=intervention, form=form), status


@bp.route("/<int:bid_id>/funder-variations/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_funder_variation(bid_id: int) -> Response | Page:
    found = _or_404(bids.bid_for, g.user, bid_id)
    form = FunderVariationForm()
    form.offer(
        [(str(p.id), p.title) for p in found.proposals],
        rollup.financial_year_choices(found),
    )
    if form.validate_on_submit():
        try:
            bids.record_funder_variation(
                g.user, bid_id, int(form.proposal.data), int(form.year.data),
                form.cap.pence, form.reason.data,
            )  # fmt: skip
        except ServiceError as error:
            show_error(form, error)
        else:
            flash("The funder variation is recorded; its reductions wait for approval", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/funder_variation.html", bid=found, form=form), status


@bp.route("/funder-variations/<int:funder_variation_id>", methods=["GET", "POST"])
@allow(ANY_STAFF)
def funder_variation(funder_variation_id: int) -> Response | Page:
    variation = _or_404(bids.funder_variation_for, g.user, funder_variation_id)
    form = DecisionForm()
    if form.is_submitted() and not MANAGING_STAFF.allows(g.user):
        abort(403)
    if form.validate_on_submit():
        try:
            bids.decide_funder_variation(
                g.user, funder_variation_id, form.decision.data == "approve", form.reason.data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(f"The reductions are {variation.decision.label.lower()}", DONE)
            return redirect(url_for("bids.bid", bid_id=variation.bid_id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/decide_variation.html", variation=variation, form=form), status


# The roll-up return to the funder -------------------------------------------------------------


@bp.post("/<int:bid_id>/returns")
@allow(MANAGING_STAFF)
def draft_return(bid_id: int) -> Response | Page:
    form = DraftReturnForm(prefix="draft")
    form.offer(rollup.financial_year_choices(_or_404(bids.bid_for, g.user, bid_id)))
    if form.validate_on_submit():
        try:
            drafted = rollup.draft_return(
                g.user, bid_id, int(form.financial_year.data), int(form.quarter.data)
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
        else:
            flash("The return is drafted from the partners' figures", DONE)
            return redirect(url_for("bids.funder_return", funder_return_id=drafted.id))
    return _bid_page(bid_id, draft=form)


@bp.get("/returns/<int:funder_return_id>")
@allow(ANY_STAFF)
def funder_return(funder_return_id: int) -> str:
    return _return_page(funder_return_id)[0]


def _return_page(funder_return_id: int, failed=None, failed_key: str | None = None) -> Page:  # type: ignore[no-untyped-def]
    found = _or_404(rollup.return_for, g.user, funder_return_id)
    moves = rollup.return_moves(g.user, found)
    move_forms = {trigger: ReturnMoveForm(prefix=trigger, formdata=None) for trigger, _, _ in moves}
    edit = ReturnEditForm(prefix="edit", formdata=None)
    edit.narrative.data, edit.risks.data = found.narrative, found.risks
    claims = _claims_form(found, formdata=None)
    for line in found.lines:
        claims[f"claim_{line.intervention_id}"].data = pounds_input(line.claimed_pence)
    for form in [*move_forms.values(), edit, claims]:
        form.version.data = str(found.version)
    if failed is not None:
        if failed_key == "edit":
            edit = failed
        elif failed_key == "claims":
            claims = failed
        else:
            move_forms[failed_key] = failed
    page = render_template(
        "bids/funder_return.html",
        funder_return=found,
        moves=moves,
        move_forms=move_forms,
        edit_form=edit,
        claims_form=claims,
        may_set_claims=rollup.may_set_claims(g.user, found),
        may_act=MANAGING_STAFF.allows(g.user),
        form=failed,
        notices=_notices(),
    )
    return page, 400 if failed is not None else 200


@bp.post("/returns/<int:funder_return_id>")
@allow(MANAGING_STAFF)
def edit_return(funder_return_id: int) -> Response | Page:
    form = ReturnEditForm(prefix="edit")
    if form.validate_on_submit():
        try:
            rollup.edit_return(
                g.user,
                funder_return_id,
                form.expected_version(),
                form.narrative.data,
                form.risks.data,
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error, "narrative")
        else:
            flash("The return is saved", DONE)
            return redirect(url_for("bids.funder_return", funder_return_id=funder_return_id))
    return _return_page(funder_return_id, failed=form, failed_key="edit")


def _claims_form(funder_return, **kwargs):  # type: ignore[no-untyped-def]
    lines = [(line.intervention_id, line.intervention.title) for line in funder_return.lines]
    return claims_form(lines, prefix="claims", **kwargs)


@bp.post("/returns/<int:funder_return_id>/claims")
@allow(MANAGING_STAFF)
def set_claims(funder_return_id: int) -> Response | Page:
    found = _or_404(rollup.return_for, g.user, funder_return_id)
    form = _claims_form(found)
    if form.validate_on_submit():
        try:
            rollup.set_claims(g.user, funder_return_id, form.expected_version(), form.claims())
        except ServiceError as error:
            show_error(form, error)
        else:
            flash("What is claimed from the funder is saved", DONE)
            return redirect(url_for("bids.funder_return", funder_return_id=funder_return_id))
    return _return_page(funder_return_id, failed=form, failed_key="claims")


@bp.post("/returns/<int:funder_return_id>/moves/<trigger>")
@allow(MANAGING_STAFF)
def return_move(funder_return_id: int, trigger: str) -> Response | Page:
    form = ReturnMoveForm(prefix=trigger)
    if form.validate_on_submit():
        try:
            moved = rollup.move_return(
                g.user, funder_return_id, trigger, form.expected_version(), form.reason.data,
                form.funder_reference.data,
            )  # fmt: skip
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            # The move's form shows a reason only for sending back; a missing narrative is
            # written in the draft's own form.
            anchor = "reason" if form.reason.raw_data and trigger == "send_back" else "button"
            if trigger == "review" and "narrative" in error.message:
                form.error_anchor = "#edit-narrative"  # type: ignore[attr-defined]
            else:
                form.error_anchor = f"#{trigger}-{anchor}"  # type: ignore[attr-defined]
        else:
            flash(f"The return is now {moved.status.label.lower()}", DONE)
            return redirect(url_for("bids.funder_return", funder_return_id=funder_return_id))
    return _return_page(funder_return_id, failed=form, failed_key=trigger)


@bp.get("/returns/<int:funder_return_id>/spreadsheet")
@allow(ANY_STAFF)
def return_spreadsheet(funder_return_id: int) -> Response:
    filename, data = _or_404(rollup.return_xlsx, g.user, funder_return_id)
    response = Response(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Writing the bid ----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_bid() -> Response | Page:
    form = NewBidForm()
    form.offer_programmes(bid_setup.programme_choices(g.user))
    form.offer_years(bid_setup.year_choices())
    if not form.is_submitted():
        form.version.data = "0"
    if form.validate_on_submit():
        try:
            made = bid_setup.create_bid(g.user, form.programme_id(), _details(form))
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash("The bid is drafted: add its proposals and their interventions", DONE)
            return redirect(url_for("bids.bid", bid_id=made.id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/new.html", form=form), status


@bp.route("/<int:bid_id>/details", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def bid_details(bid_id: int) -> Response | Page:
    found = _or_404(bids.bid_for, g.user, bid_id)
    form = BidDetailsForm()
    form.offer_years(bid_setup.year_choices(found))
    if not form.is_submitted():
        form.version.data = str(found.version)
        form.title.data, form.funder_name.data = found.title, found.funder_name
        years = found.financial_years
        form.first_year.data = str(found.first_financial_year or (years[0] if years else ""))
        form.last_year.data = str(found.last_financial_year or (years[-1] if years else ""))
    if form.validate_on_submit():
        try:
            bid_setup.change_details(g.user, bid_id, form.expected_version(), _details(form))
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash("The bid's details are saved", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    status = 400 if form.is_submitted() else 200
    return render_template("bids/details.html", bid=found, form=form), status


def _details(form: BidDetailsForm) -> bid_setup.BidDetails:
    return bid_setup.BidDetails(
        title=form.title.data or "",
        funder_name=form.funder_name.data or "",
        first_year=int(form.first_year.data),
        last_year=int(form.last_year.data),
    )


@bp.route("/<int:bid_id>/proposals/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_proposal(bid_id: int) -> Response | Page:
    found = _or_404(bids.bid_for, g.user, bid_id)
    form = ProposalForm()
    if not form.is_submitted():
        form.version.data = str(found.version)
    if form.validate_on_submit():
        try:
            bid_setup.add_proposal(
                g.user, bid_id, form.expected_version(), form.title.data, form.summary.data
            )
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash(f"Proposal {form.title.data} added: now add its interventions", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "bids/proposal.html", bid=found, proposal=None, form=form, edit_form=form
    )
    return page, status


@bp.route("/proposals/<int:proposal_id>", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def proposal(proposal_id: int) -> Response | Page:
    found = _or_404(bid_setup.proposal_for, g.user, proposal_id)
    bid = found.bid
    form = ProposalForm()
    if not form.is_submitted():
        form.version.data = str(bid.version)
        form.title.data, form.summary.data = found.title, found.summary
    if form.validate_on_submit():
        try:
            bid_setup.change_proposal(
                g.user, proposal_id, form.expected_version(), form.title.data, form.summary.data
            )
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash(f"Proposal {form.title.data} saved", DONE)
            return redirect(url_for("bids.bid", bid_id=bid.id))
    return _proposal_page(found, form, 400 if form.is_submitted() else 200)


def _proposal_page(found, form, status: int, remove=None) -> Page:  # type: ignore[no-untyped-def]
    remove_form = remove or RemoveForm(prefix="remove", formdata=None)
    if remove is None:
        remove_form.version.data = str(found.bid.version)
    page = render_template(
        "bids/proposal.html",
        bid=found.bid,
        proposal=found,
        form=form if remove is None else remove,
        edit_form=form,
        remove_form=remove_form,
    )
    return page, status


@bp.post("/proposals/<int:proposal_id>/remove")
@allow(MANAGING_STAFF)
def remove_proposal(proposal_id: int) -> Response | Page:
    found = _or_404(bid_setup.proposal_for, g.user, proposal_id)
    bid_id, title = found.bid_id, found.title
    remove = RemoveForm(prefix="remove")
    if remove.validate_on_submit():
        try:
            bid_setup.remove_proposal(g.user, proposal_id, remove.expected_version())
        except ServiceError as error:
            show_error(remove, error)
            remove.error_anchor = "#remove-button"  # type: ignore[attr-defined]
        else:
            flash(f"Proposal {title} removed", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    form = ProposalForm(formdata=None)
    form.version.data = str(found.bid.version)
    form.title.data, form.summary.data = found.title, found.summary
    return _proposal_page(found, form, 400, remove=remove)


@bp.route("/proposals/<int:proposal_id>/interventions/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_intervention(proposal_id: int) -> Response | Page:
    found = _or_404(bid_setup.proposal_for, g.user, proposal_id)
    form = _intervention_form(found.bid, OUTPUT_ROWS)
    if not form.is_submitted():
        form.version.data = str(found.bid.version)
    if form.validate_on_submit():
        try:
            bid_setup.add_intervention(
                g.user, proposal_id, form.expected_version(), _intervention_details(form)
            )
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash(f"Intervention {form.title.data} added to {found.title}", DONE)
            return redirect(url_for("bids.bid", bid_id=found.bid_id))
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "bids/intervention.html", proposal=found, intervention=None, form=form, edit_form=form
    )
    return page, status


@bp.route("/interventions/<int:intervention_id>/edit", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def intervention(intervention_id: int) -> Response | Page:
    found = _or_404(bids.intervention_for, g.user, intervention_id)
    bid = found.proposal.bid
    form = _intervention_form(bid, max(OUTPUT_ROWS, len(found.outputs) + 1))
    if not form.is_submitted():
        _fill_intervention(form, found)
    if form.validate_on_submit():
        try:
            bid_setup.change_intervention(
                g.user, intervention_id, form.expected_version(), _intervention_details(form)
            )
        except ServiceError as error:
            show_error(form, error, "title")
        else:
            flash(f"Intervention {form.title.data} saved", DONE)
            return redirect(url_for("bids.bid", bid_id=bid.id))
    return _intervention_page(found, form, 400 if form.is_submitted() else 200)


def _intervention_page(found, form, status: int, remove=None) -> Page:  # type: ignore[no-untyped-def]
    remove_form = remove or RemoveForm(prefix="remove", formdata=None)
    if remove is None:
        remove_form.version.data = str(found.proposal.bid.version)
    page = render_template(
        "bids/intervention.html",
        proposal=found.proposal,
        intervention=found,
        form=form if remove is None else remove,
        edit_form=form,
        remove_form=remove_form,
    )
    return page, status


@bp.post("/interventions/<int:intervention_id>/remove")
@allow(MANAGING_STAFF)
def remove_intervention(intervention_id: int) -> Response | Page:
    found = _or_404(bids.intervention_for, g.user, intervention_id)
    bid = found.proposal.bid
    bid_id, title = bid.id, found.title
    remove = RemoveForm(prefix="remove")
    if remove.validate_on_submit():
        try:
            bid_setup.remove_intervention(g.user, intervention_id, remove.expected_version())
        except ServiceError as error:
            show_error(remove, error)
            remove.error_anchor = "#remove-button"  # type: ignore[attr-defined]
        else:
            flash(f"Intervention {title} removed", DONE)
            return redirect(url_for("bids.bid", bid_id=bid_id))
    form = _intervention_form(bid, max(OUTPUT_ROWS, len(found.outputs) + 1), formdata=None)
    _fill_intervention(form, found)
    return _intervention_page(found, form, 400, remove=remove)


def _intervention_form(bid, rows: int, **kwargs) -> InterventionForm:  # type: ignore[no-untyped-def]
    form = intervention_form(bid.financial_years, rows, **kwargs)
    form.offer_partners(bid_setup.partner_choices(g.user))
    return form


def _fill_intervention(form: InterventionForm, found) -> None:  # type: ignore[no-untyped-def]
    form.version.data = str(found.proposal.bid.version)
    form.title.data, form.partner.data = found.title, str(found.partner_id)
    for year in found.years:
        field = form._fields.get(f"budget_{year.financial_year}")
        if field is not None:
            field.data = pounds_input(year.budget_pence)
    form.first_quarter.data = str(found.years[0].first_quarter if found.years else 1)
    if found.match_funding_pence:
        form.match_funding.data = pounds_input(found.match_funding_pence)
    form.match_source.data = found.match_funding_source or ""
    for (description, target), output in zip(form.output_rows(), found.outputs, strict=False):
        description.data, target.data = output.description, str(output.target)


def _intervention_details(form: InterventionForm) -> bid_setup.InterventionDetails:
    return bid_setup.InterventionDetails(
        title=form.title.data or "",
        partner_id=form.partner_id(),
        budgets=form.budgets(),
        first_quarter=int(form.first_quarter.data or 1),
        match_funding_pence=form.match_funding_pence(),
        match_funding_source=form.match_source.data or "",
        outputs=form.outputs(),
    )
