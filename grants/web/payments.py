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

from forms.payments import DECISION_FORMS, PaidForm
from grants.policy import ANY_STAFF, FINANCE_STAFF, allow
from grants.services import payments
from grants.services.errors import NotFound
from grants.web.staff_forms import (
    carried_out,
    filtered_page,
    move_forms,
    move_made,
    programme_filters,
)

bp = Blueprint("payments", __name__, url_prefix="/staff")

DONE = "payment-done"
DONE_MESSAGES = {
    "approve": "Payment approved",
    "reject": "Claim rejected",
    "pay": "Payment recorded as paid",
}


@bp.get("/payments")
@allow(ANY_STAFF)
def overview() -> tuple[str, int]:
    return filtered_page("payments/list.html", payments.overview)


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
    if form.validate_on_submit() and move_made(
        form,
        trigger,
        lambda reason: payments.decide(
            g.user, payment_id, trigger, form.expected_version(), reason
        ),
    ):
        flash(DONE_MESSAGES[trigger], DONE)
        return redirect(url_for("payments.payment", payment_id=payment_id))
    return _payment_page(payment_id, form), 400


@bp.post("/payments/<int:payment_id>/paid")
@allow(FINANCE_STAFF)
def paid(payment_id: int) -> BaseResponse | tuple[str, int]:
    form = PaidForm()
    if form.validate_on_submit() and carried_out(
        form,
        lambda: payments.record_paid(
            g.user,
            payment_id,
            form.expected_version(),
            form.paid_on.data,
            form.payment_reference.data,
        ),
        "#pay-button",
    ):
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
    version = details.payment.version
    may_decide = payments.DECIDERS.allows(g.user)
    decisions = [t for t in details.moves if t in DECISION_FORMS] if may_decide else []
    forms = move_forms(decisions, DECISION_FORMS, failed, version)
    if "pay" in details.moves and FINANCE_STAFF.allows(g.user):
        # Finance's form posts to its own address, unprefixed: not one of the decisions.
        forms["pay"] = failed if isinstance(failed, PaidForm) else PaidForm(formdata=None)
        forms["pay"].version.data = str(version)
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
    filters = programme_filters()
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
    filters = programme_filters()
    if not filters.validate():
        abort(400)
    lines = payments.payment_run_csv(g.user, filters.programme_id())
    name = payments.csv_filename()
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
