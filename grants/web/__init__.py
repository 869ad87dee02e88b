"""Web blueprints per audience, the policy gate in front of them, and error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from grants.policy import rule_for
from grants.services import accounts

# Endpoints Flask itself provides; everything else must declare a rule with @allow.
BUILTIN_PUBLIC_ENDPOINTS = frozenset({"static"})


def register_blueprints(app: Flask) -> None:
    from grants.web import (
        admin,
        apply,
        assessment,
        audit_pages,
        auth,
        award_management,
        bids,
        claims,
        contracts,
        csp,
        dashboards,
        documents,
        finance,
        funding,
        history,
        monitoring,
        offers,
        organisation,
        payments,
        programme_dashboard,
        public,
        queue,
        register,
        respond,
        returns,
        rounds,
        staff,
        threesixty,
    )

    blueprints = (
        public,
        funding,
        auth,
        dashboards,
        organisation,
        apply,
        respond,
        offers,
        returns,
        claims,
        admin,
        staff,
        assessment,
        rounds,
        queue,
        award_management,
        monitoring,
        payments,
        programme_dashboard,
        finance,
        history,
        audit_pages,
        register,
        threesixty,
        csp,
        bids,
        contracts,
        documents,
    )
    for module in blueprints:
        app.register_blueprint(module.bp)

    app.before_request(_load_user_and_enforce_policy)
    app.context_processor(_template_globals)
    _register_error_pages(app)


def _load_user_and_enforce_policy() -> Response | None:
    if request.endpoint in BUILTIN_PUBLIC_ENDPOINTS:
        g.user = None  # stylesheets and scripts need no user, and no database query
        return None
    g.user = accounts.active_user(session.get("user_id"))
    if session.get("user_id") and g.user is None:
        # Deactivated (or deleted) since the session began: end it now.
        session.end()  # type: ignore[attr-defined]
    if request.endpoint is None:
        return None
    rule = rule_for(current_view())
    if rule is None:
        abort(403)  # deny by default: a route without a declared rule is never served
    if rule.allows(g.user):
        return None
    if g.user is None and rule.needs_sign_in:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    abort(403)


def current_view() -> Any:
    from flask import current_app

    return current_app.view_functions.get(request.endpoint or "")


def _template_globals() -> dict[str, Any]:
    from flask import current_app

    return {
        "current_user": g.get("user"),
        "csp_nonce": g.get("csp_nonce", ""),
        "service_name": current_app.config["SERVICE_NAME"],
        "service_owner": current_app.config["SERVICE_OWNER"],
        "show_demo_outbox": current_app.config.get("SHOW_DEMO_OUTBOX", False),
    }


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code in (403, 404, 405, 413, 429):
            template = {403: "403", 404: "404", 405: "404", 413: "413", 429: "429"}[error.code]
            return render_template(f"errors/{template}.html"), error.code
        return error

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        return render_template("errors/500.html"), 500
