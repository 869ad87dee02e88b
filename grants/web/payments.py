"""Staff pages for payments: claims and scheduled payments to approve, and finance's payment run."""

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
    request,
    stream_with_context,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from forms.payments import DECISION_FORMS, PaidForm, ProgrammeFilterForm
from grants.policy import ANY_STAFF, FINANCE_STAFF, allow
from grants.services import monitoring, payments
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import show_error

bp = Blueprint("payments", __name__, url_prefix="/staff")

DONE = "payment-done"
DONE_MESSAGES = {
    "approve": "Payment approved",
    "reject": "Claim rejected",
    "pay": "Payment recorded as paid",
}


def _filters() -> ProgrammeFilterForm:
    filters = ProgrammeFilterForm(formdata=request.args)
    filters.offer(monitoring.programme_choices())
    return filters


@bp.get("/payments")
@allow(ANY_STAFF)
def overview() -> tuple[str, int]:
    filters = _filters()
    if not filters.validate():
        return render_template(
            "payments/list.html", filters=filters, result=None, form=filters
        ), 400
    result = payments.overview(g.user, filters.programme_id())
    return render_template("payments/list.html", filters=filters, result=result), 200


@bp.get("/payments/<int:payment_id>")
@allow(ANY_STAFF)
def payment(payment_id: int) -> str:
    return _payment_page(payment_id, None)


@bp.post("/payments/<int:payment_id>")
@allow(payments.DECIDERS)
def decide(payment_id: int) -> BaseResponse | tuple[str, int]:
    trigger = request.form.get("move", "")
    form_class = DECISION_FORMS.get(trigger)
    if form_class is None:
        # Not from the page's own forms: nothing to decide.
        form: FlaskForm = DECISION_FORMS["approve"](prefix="approve")
        form.form_errors.append("Choose whether to approve the payment or reject the claim")
        return _payment_page(payment_id, form), 400
    form = form_class(prefix=trigger)
    if form.validate_on_submit():
        reason = form.reason.data if hasattr(form, "reason") else None
        try:
            payments.decide(g.user, payment_id, trigger, form.expected_version(), reason)
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            shown = "reason" if hasattr(form, "reason") else "button"
            form.error_anchor = f"#{trigger}-{shown}"  # type: ignore[attr-defined]
        else:
            flash(DONE_MESSAGES[trigger], DONE)
            return redirect(url_for("payments.payment", payment_id=payment_id))
    return _payment_page(payment_id, form), 400


@bp.post("/payments/<int:payment_id>/paid")
@allow(FINANCE_STAFF)
def paid(payment_id: int) -> BaseResponse | tuple[str, int]:
    form = PaidForm()
    if form.validate_on_submit():
        try:
            payments.record_paid(
                g.user,
                payment_id,
                form.expected_version(),
                form.paid_on.data,
                form.payment_reference.data,
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            show_error(form, error)
            if error.field is None:
                form.error_anchor = "#pay-button"  # type: ignore[attr-defined]
        else:
            flash(DONE_MESSAGES["pay"], DONE)
            return redirect(url_for("payments.payment", payment_id=payment_id))
    return _payment_page(payment_id, form), 400


def _payment_page(payment_id: int, failed: FlaskForm | None) -> str:
    """The payment with a form for each move this user may make; after a refusal, that move's
    form keeps what was typed and the error summary says why."""
    try:
        details = payments.payment_details(g.user, payment_id)
    except NotFound:
        abort(404)
    version = str(details.payment.version)
    forms: dict[str, FlaskForm] = {}
    if payments.DECIDERS.allows(g.user):
        for trigger in (t for t in details.moves if t in DECISION_FORMS):
            kept = failed if isinstance(failed, DECISION_FORMS[trigger]) else None
            forms[trigger] = kept or DECISION_FORMS[trigger](prefix=trigger, formdata=None)
    if "pay" in details.moves and FINANCE_STAFF.allows(g.user):
        forms["pay"] = failed if isinstance(failed, PaidForm) else PaidForm(formdata=None)
    for move_form in forms.values():
        # The version on screen now, so a retry is judged against what the user sees.
        move_form.version.data = version  # type: ignore[attr-defined]
    context = {"form": failed} if failed is not None else {}
    return render_template(
        "payments/payment.html",
        details=details,
        payment=details.payment,
        award=details.award,
        move_forms=forms,
        decided_award=details.decided_award(g.user),
        notices=get_flashed_messages(category_filter=[DONE]),
        **context,
    )


@bp.get("/payment-run")
@allow(payments.RUN_READERS)
def payment_run() -> tuple[str, int]:
    filters = _filters()
    if not filters.validate():
        return render_template("payments/run.html", filters=filters, rows=None, form=filters), 400
    rows = payments.payment_run(g.user, filters.programme_id())
    return render_template(
        "payments/run.html",
        filters=filters,
        rows=rows,
        total_pence=sum(row.amount_pence for row in rows),
        can_record=FINANCE_STAFF.allows(g.user),
    ), 200


@bp.get("/payment-run.csv")
@allow(payments.RUN_READERS)
def payment_run_csv() -> Response:
    filters = _filters()
    if not filters.validate():
        abort(400)
    lines = payments.payment_run_csv(g.user, filters.programme_id())
    name = payments.csv_filename()
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
