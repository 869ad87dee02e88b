"""Commissioned services: the contract register (and adding a contract to it), KPI returns,
reviews before the end, and recommissioning through procurement. Staff pages live under
/staff/contracts; the provider's KPI returns under /contracts (another organisation's contract
is simply not found)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from forms.contracts import (
    KPI_ROWS,
    PARTNER_ROWS,
    AwardForm,
    BidForm,
    KpiForm,
    MoveForm,
    NewContractForm,
    PartnerForm,
    PublishForm,
    RatingForm,
    ReviewForm,
    ScoreForm,
    SendBackForm,
    SignForm,
    SpecificationForm,
    kpi_return_form,
)
from grants.policy import ANY_STAFF, COMMUNITY_USER, MANAGING_STAFF, allow
from grants.services import contracts
from grants.services import procurement as tenders
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error
from grants.web.staff_forms import carried_out

bp = Blueprint("contracts", __name__)

DONE = "contract-done"
STAFF = "/staff/contracts"


def _found(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except NotFound:
        abort(404)


# The register and a contract -----------------------------------------------------------------


@bp.get(STAFF)
@allow(ANY_STAFF)
def register() -> str:
    return render_template(
        "contracts/register.html",
        register=contracts.register(),
        may_manage=MANAGING_STAFF.allows(g.user),
        notices=get_flashed_messages(category_filter=[DONE]),
    )


# Adding a contract to the register -----------------------------------------------------------


@bp.route(f"{STAFF}/new", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def new_contract() -> Response | str | tuple[str, int]:
    form = NewContractForm()
    form.offer(contracts.programme_choices(), contracts.organisation_type_choices())
    if request.method == "GET":
        return render_template("contracts/new.html", entry=form, rows=_rows())
    if form.validate_on_submit():
        try:
            made = contracts.add_contract(
                g.user,
                contracts.NewContract(
                    programme_id=int(form.programme.data),
                    title=form.title.data,
                    service=form.service.data,
                    provider_name=form.provider.data,
                    provider_type=form.provider_type.data or None,
                    annual_value_pence=form.annual_value.pence,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    extension_options=int(form.extension_options.data),
                    extensions_used=int(form.extensions_used.data),
                    partners=tuple(contracts.PartnerEntry(*p) for p in form.partners()),
                    kpis=tuple(contracts.KpiEntry(*k) for k in form.kpis()),
                ),
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(f"{made.title} added to the register: it is mobilising", DONE)
            return redirect(url_for("contracts.contract", contract_id=made.id))
    return render_template("contracts/new.html", entry=form, form=form, rows=_rows()), 400


def _rows() -> dict[str, range]:
    return {"partners": range(1, PARTNER_ROWS + 1), "kpis": range(1, KPI_ROWS + 1)}


@bp.get(f"{STAFF}/<int:contract_id>")
@allow(ANY_STAFF)
def contract(contract_id: int) -> str:
    return _contract_page(contract_id)


def _contract_page(contract_id: int, failed: tuple[str, FlaskForm] | None = None) -> str:
    page = _found(contracts.contract_page, g.user, contract_id)
    forms: dict[str, FlaskForm] = {
        "partner": PartnerForm(prefix="partner", formdata=None),
        "kpi": KpiForm(prefix="kpi", formdata=None),
        "move": MoveForm(prefix="move", formdata=None),
    }
    forms["move"].version.data = str(page.contract.version)
    context: dict[str, Any] = {}
    if failed is not None:
        forms[failed[0]] = failed[1]
        context["form"] = failed[1]
    return render_template(
        "contracts/contract.html",
        page=page,
        forms=forms,
        may_manage=MANAGING_STAFF.allows(g.user),
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


def _contract_post(
    contract_id: int,
    key: str,
    form: FlaskForm,
    change: Callable[[], str | None],
    anchor: str | None = None,
) -> Response | tuple[str, int]:
    """Carry out the change a form on the contract page posts; ``change`` returns the notice
    to show (None for none). A refusal redraws the page with the form's error summary."""
    if form.validate_on_submit():
        notice: list[str | None] = []
        if carried_out(form, lambda: notice.append(change())):
            if notice[0]:
                flash(notice[0], DONE)
            return redirect(url_for("contracts.contract", contract_id=contract_id, _anchor=anchor))
    return _contract_page(contract_id, (key, form)), 400


@bp.post(f"{STAFF}/<int:contract_id>/partners")
@allow(MANAGING_STAFF)
def add_partner(contract_id: int) -> Response | tuple[str, int]:
    form = PartnerForm(prefix="partner")

    def add() -> str:
        contracts.add_partner(g.user, contract_id, form.name.data, form.contribution.pence)
        return f"{form.name.data} added as a co-commissioning partner"

    return _contract_post(contract_id, "partner", form, add)


@bp.post(f"{STAFF}/<int:contract_id>/partners/<int:partner_id>/remove")
@allow(MANAGING_STAFF)
def remove_partner(contract_id: int, partner_id: int) -> Response | tuple[str, int]:
    def remove() -> str:
        name = contracts.remove_partner(g.user, contract_id, partner_id)
        return f"{name} removed as a co-commissioning partner"

    return _contract_post(contract_id, "remove_partner", FlaskForm(), remove)


@bp.post(f"{STAFF}/<int:contract_id>/kpis")
@allow(MANAGING_STAFF)
def add_kpi(contract_id: int) -> Response | tuple[str, int]:
    form = KpiForm(prefix="kpi")

    def add() -> str:
        contracts.add_kpi(
            g.user,
            contract_id,
            form.name.data,
            form.unit.data,
            int(form.decimals.data),
            form.target.scaled,
        )
        return f"Indicator added: {form.name.data}"

    return _contract_post(contract_id, "kpi", form, add)


@bp.post(f"{STAFF}/<int:contract_id>/checklist/<int:item_id>")
@allow(MANAGING_STAFF)
def tick(contract_id: int, item_id: int) -> Response | tuple[str, int]:
    def done() -> None:
        contracts.tick_item(g.user, contract_id, item_id)

    return _contract_post(contract_id, "move", MoveForm(prefix="move"), done, "mobilisation")


MOVES = {"go_live": "The service has started", "end": "The contract has ended"}


@bp.post(f"{STAFF}/<int:contract_id>/moves/<trigger>")
@allow(MANAGING_STAFF)
def move(contract_id: int, trigger: str) -> Response | tuple[str, int]:
    if trigger not in MOVES:
        abort(404)
    form = MoveForm(prefix="move")

    def made() -> str:
        contracts.move_contract(g.user, contract_id, trigger, form.expected_version())
        return MOVES[trigger]

    return _contract_post(contract_id, "move", form, made)


def _review_page(page: Any, form: ReviewForm, start: MoveForm | None = None) -> str:
    """The review page: the appraisal form while the contract is in review; before that, the
    button that starts the review once its review date has come."""
    start = start or MoveForm(prefix="start", formdata=None)
    start.version.data = str(page.contract.version)
    failed = start if start.errors or start.form_errors else form
    context = {"form": failed} if failed.errors or failed.form_errors else {}
    return render_template(
        "contracts/review.html",
        page=page,
        entry=form,
        start=start,
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


@bp.post(f"{STAFF}/<int:contract_id>/review/start")
@allow(MANAGING_STAFF)
def start_review(contract_id: int) -> Response | tuple[str, int]:
    page = _found(contracts.contract_page, g.user, contract_id)
    start = MoveForm(prefix="start")
    if start.validate_on_submit():
        try:
            contracts.start_review(g.user, contract_id, start.expected_version())
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(start, error)
        else:
            flash("The review has started: record the options appraisal and decision", DONE)
            return redirect(url_for("contracts.review", contract_id=contract_id))
    form = ReviewForm(formdata=None)
    form.version.data = str(page.contract.version)
    return _review_page(page, form, start), 400


@bp.route(f"{STAFF}/<int:contract_id>/review", methods=["GET", "POST"])
@allow(MANAGING_STAFF)
def review(contract_id: int) -> Response | str | tuple[str, int]:
    page = _found(contracts.contract_page, g.user, contract_id)
    form = ReviewForm()
    if request.method == "GET":
        form.version.data = str(page.contract.version)
        return _review_page(page, form)
    if not page.deciding:
        # Not in review (yet, or any more): the page has no appraisal form to put errors on.
        form = ReviewForm(formdata=None)
        form.version.data = str(page.contract.version)
        status = page.contract.status.value.replace("_", " ")
        form.form_errors.append(f"This contract is {status}: there is no review to record")
        form.error_anchor = "#review-state"  # type: ignore[attr-defined]
        return _review_page(page, form), 400
    if form.validate_on_submit():
        try:
            started = contracts.record_review(
                g.user,
                contract_id,
                form.expected_version(),
                options_considered=form.options_considered.data,
                costs=form.costs.data,
                recommendation=form.recommendation.data,
                decision=form.decision.data,
                new_end_date=form.new_end_date.data,
                estimated_value_pence=getattr(form, "estimate_pence", None),
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
        else:
            if started is not None:
                flash("Recommissioning has started: the procurement is in planning", DONE)
                return redirect(url_for("contracts.procurement", procurement_id=started.id))
            flash(f"Decision recorded: {form.decision.data}", DONE)
            return redirect(url_for("contracts.contract", contract_id=contract_id))
    return _review_page(page, form), 400


# KPI returns, staff side ---------------------------------------------------------------------


@bp.get(f"{STAFF}/<int:contract_id>/kpi-returns/<int:return_id>")
@allow(ANY_STAFF)
def kpi_return(contract_id: int, return_id: int) -> str:
    return _kpi_review_page(contract_id, return_id)


REVIEW_FORMS = {"open": MoveForm, "accept": RatingForm, "send_back": SendBackForm}
REVIEW_DONE = {
    "open": "Return opened for the provider",
    "accept": "Return accepted and rated",
    "send_back": "Return sent back to the provider with your comments",
}


@bp.post(f"{STAFF}/<int:contract_id>/kpi-returns/<int:return_id>/<trigger>")
@allow(MANAGING_STAFF)
def review_kpi_return(contract_id: int, return_id: int, trigger: str) -> Response | tuple[str, int]:
    form_class = REVIEW_FORMS.get(trigger)
    if form_class is None:
        abort(404)
    form = form_class(prefix=trigger)
    if form.validate_on_submit():
        try:
            contracts.review_kpi_return(
                g.user,
                contract_id,
                return_id,
                trigger,
                form.expected_version(),
                rating=getattr(getattr(form, "rating", None), "data", None),
                reason=getattr(getattr(form, "reason", None), "data", None),
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(REVIEW_DONE[trigger], DONE)
            return redirect(
                url_for("contracts.kpi_return", contract_id=contract_id, return_id=return_id)
            )
    return _kpi_review_page(contract_id, return_id, (trigger, form)), 400


def _kpi_review_page(
    contract_id: int, return_id: int, failed: tuple[str, FlaskForm] | None = None
) -> str:
    found = _found(contracts.kpi_return_for, g.user, contract_id, return_id)
    moves = contracts.kpi_return_moves(g.user, found) if MANAGING_STAFF.allows(g.user) else []
    forms: dict[str, FlaskForm] = {}
    for trigger in moves:
        if trigger in REVIEW_FORMS:
            kept = failed[1] if failed is not None and failed[0] == trigger else None
            forms[trigger] = kept or REVIEW_FORMS[trigger](prefix=trigger, formdata=None)
            forms[trigger].version.data = str(found.version)
    context = {"form": failed[1]} if failed is not None else {}
    return render_template(
        "contracts/kpi_review.html",
        kpi_return=found,
        lines=contracts.kpi_lines(found),
        move_forms=forms,
        ratings=contracts.RATINGS,
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


# KPI returns, provider side ------------------------------------------------------------------


@bp.get("/contracts")
@allow(COMMUNITY_USER)
def provider_contracts() -> str:
    return render_template(
        "contracts/provider_list.html", contracts=contracts.provider_contracts(g.user)
    )


@bp.route("/contracts/<int:contract_id>/kpi-returns/<int:return_id>", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def provider_kpi_return(contract_id: int, return_id: int) -> Response | str | tuple[str, int]:
    found = _found(contracts.kpi_return_for, g.user, contract_id, return_id)
    kpis = found.contract.kpis
    editable = found.status.value in ("open", "returned")
    if request.method == "GET" or not editable:
        data = {
            f"kpi_{line.kpi.id}": _shown(line.value, line.kpi.decimals)
            for line in contracts.kpi_lines(found)
        }
        data["narrative"] = found.narrative or ""
        form = kpi_return_form(kpis, data=data)
        form.version.data = str(found.version)
        status = 200 if request.method == "GET" else 400
        if not editable and request.method == "POST":
            form.form_errors.append(f"This return is {found.status.value} and cannot be changed")
            return _provider_page(found, form), status
        return _provider_page(found, form, with_errors=False), status
    form = kpi_return_form(kpis, formdata=request.form)
    if form.validate_on_submit():
        values = {kpi.id: getattr(form, f"kpi_{kpi.id}").scaled for kpi in kpis}
        try:
            contracts.submit_kpi_return(
                g.user, contract_id, return_id, form.expected_version(), values, form.narrative.data
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
        else:
            flash("Your KPI return has been sent to the office", DONE)
            return redirect(
                url_for(
                    "contracts.provider_kpi_return", contract_id=contract_id, return_id=return_id
                )
            )
    return _provider_page(found, form), 400


def _provider_page(found: Any, form: FlaskForm, with_errors: bool = True) -> str:
    context = {"form": form} if with_errors else {"entry_form": form}
    return render_template(
        "contracts/provider_return.html",
        kpi_return=found,
        lines=contracts.kpi_lines(found),
        entry=form,
        ratings=contracts.RATINGS,
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


def _shown(value: int | None, decimals: int) -> str:
    if value is None:
        return ""
    if not decimals:
        return str(value)
    return f"{value // 10**decimals}.{value % 10**decimals:0{decimals}d}"


# Procurement ---------------------------------------------------------------------------------


@bp.get(f"{STAFF}/procurements/<int:procurement_id>")
@allow(ANY_STAFF)
def procurement(procurement_id: int) -> str:
    return _procurement_page(procurement_id)


def _procurement_page(procurement_id: int, failed: tuple[str, FlaskForm] | None = None) -> str:
    page = _found(tenders.procurement_page, g.user, procurement_id)
    version = str(page.procurement.version)
    forms: dict[str, FlaskForm] = {
        "specification": SpecificationForm(prefix="specification", formdata=None),
        "publish": PublishForm(prefix="publish", formdata=None),
        "bid": BidForm(prefix="bid", formdata=None),
        "close": MoveForm(prefix="close", formdata=None),
        "award": AwardForm(prefix="award", formdata=None),
        "sign": SignForm(prefix="sign", formdata=None),
    }
    for score in page.scores:
        forms[f"score-{score.bid.id}"] = ScoreForm(prefix=f"score-{score.bid.id}", formdata=None)
    if failed is not None:
        forms[failed[0]] = failed[1]
    for form in forms.values():
        if hasattr(form, "version"):
            form.version.data = version
    forms["award"].bid.choices = _bid_choices(page)  # type: ignore[attr-defined]
    context = {"form": failed[1]} if failed is not None else {}
    return render_template(
        "contracts/procurement.html",
        page=page,
        forms=forms,
        may_manage=MANAGING_STAFF.allows(g.user),
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


def _bid_choices(page: Any) -> list[tuple[str, str]]:
    return [(str(s.bid.id), f"{s.bid.bidder.name}: {s.shown(s.total)} points") for s in page.scores]


def _procurement_post(
    procurement_id: int, key: str, form: FlaskForm, act: Any, done: str
) -> Response | tuple[str, int]:
    if form.validate_on_submit() and carried_out(form, act):
        flash(done, DONE)
        return redirect(url_for("contracts.procurement", procurement_id=procurement_id))
    return _procurement_page(procurement_id, (key, form)), 400


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/specification")
@allow(MANAGING_STAFF)
def specification(procurement_id: int) -> Response | tuple[str, int]:
    form = SpecificationForm(prefix="specification")
    return _procurement_post(
        procurement_id,
        "specification",
        form,
        lambda: tenders.attach_specification(
            g.user, procurement_id, form.document.data.stream, form.document.data.filename
        ),
        "Specification uploaded",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/publish")
@allow(MANAGING_STAFF)
def publish(procurement_id: int) -> Response | tuple[str, int]:
    form = PublishForm(prefix="publish")
    return _procurement_post(
        procurement_id,
        "publish",
        form,
        lambda: tenders.publish(
            g.user,
            procurement_id,
            form.expected_version(),
            form.published_on.data,
            form.closes_on.data,
            int(form.quality_weight.data),
        ),
        "Tender published",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/bids")
@allow(MANAGING_STAFF)
def add_bid(procurement_id: int) -> Response | tuple[str, int]:
    form = BidForm(prefix="bid")
    upload = form.document.data if form.document.data and form.document.data.filename else None
    return _procurement_post(
        procurement_id,
        "bid",
        form,
        lambda: tenders.add_bid(
            g.user,
            procurement_id,
            form.bidder.data,
            form.price.pence,
            form.received_on.data,
            upload.stream if upload else None,
            upload.filename if upload else None,
        ),
        f"Bid recorded from {form.bidder.data}",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/close")
@allow(MANAGING_STAFF)
def close(procurement_id: int) -> Response | tuple[str, int]:
    form = MoveForm(prefix="close")
    return _procurement_post(
        procurement_id,
        "close",
        form,
        lambda: tenders.close_bidding(g.user, procurement_id, form.expected_version()),
        "Bidding closed: score the bids",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/bids/<int:bid_id>/score")
@allow(MANAGING_STAFF)
def score(procurement_id: int, bid_id: int) -> Response | tuple[str, int]:
    form = ScoreForm(prefix=f"score-{bid_id}")
    return _procurement_post(
        procurement_id,
        f"score-{bid_id}",
        form,
        lambda: tenders.score_bid(g.user, procurement_id, bid_id, int(form.quality.data)),
        "Quality score recorded",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/award")
@allow(MANAGING_STAFF)
def award(procurement_id: int) -> Response | tuple[str, int]:
    page = _found(tenders.procurement_page, g.user, procurement_id)
    form = AwardForm(prefix="award")
    form.bid.choices = _bid_choices(page)
    return _procurement_post(
        procurement_id,
        "award",
        form,
        lambda: tenders.award(
            g.user, procurement_id, form.expected_version(), int(form.bid.data), form.reason.data
        ),
        "Contract awarded: the standstill period has started",
    )


@bp.post(f"{STAFF}/procurements/<int:procurement_id>/sign")
@allow(MANAGING_STAFF)
def sign(procurement_id: int) -> Response | tuple[str, int]:
    form = SignForm(prefix="sign")
    form.contract_id = None  # type: ignore[attr-defined]

    def act() -> None:
        made = tenders.sign_contract(
            g.user,
            procurement_id,
            form.expected_version(),
            form.starts_on.data,
            form.ends_on.data,
            int(form.extension_options.data),
        )
        form.contract_id = made.id  # type: ignore[attr-defined]

    result = _procurement_post(
        procurement_id, "sign", form, act, "Contract signed: it is in mobilisation"
    )
    if form.contract_id is not None:  # type: ignore[attr-defined]
        return redirect(url_for("contracts.contract", contract_id=form.contract_id))  # type: ignore[attr-defined]
    return result
