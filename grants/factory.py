"""The application factory. Nothing is created at import time."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_mailman import Mail
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from grants import filters
from grants.config import engine_options, load_config
from grants.extensions import csrf, db, migrate
from grants.sessions import DatabaseSessionInterface
from storage.factory import store_from_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the app from environment variables (or ``env``), then apply ``overrides`` (tests)."""
    instance_path = (
        instance_path or os.environ.get("GRANTS_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        static_folder=str(PROJECT_ROOT / "grants" / "static" / "dist"),
        static_url_path="/assets",
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    # Uploaded files go to the document store while the request is still arriving (the form
    # is parsed by the CSRF check before any view runs, so this is the one place to catch them).
    from grants.services.documents import UploadRequest

    app.request_class = UploadRequest
    app.config.update(load_config(instance_path, env))
    if overrides:
        app.config.update(overrides)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
            # The driver's options follow the database actually used.
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
                app.config["SQLALCHEMY_DATABASE_URI"]
            )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _configure_templates(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    Mail(app)
    app.session_interface = DatabaseSessionInterface()
    # Outbound adapters live on app.extensions, so tests can hand in their own.
    app.extensions["document_store"] = store_from_config(app.config)

    from grants.web import register_blueprints

    register_blueprints(app)
    _register_security_headers(app)

    _dispatch_outbox_after_requests(app)

    from grants.cli import register_commands

    register_commands(app)
    return app


def _dispatch_outbox_after_requests(app: Flask) -> None:
    import grants.jobs.catalogue  # noqa: F401  (registers every job handler)
    from grants.jobs.outbox import dispatch_if_pending

    @app.after_request
    def dispatch(response):  # type: ignore[no-untyped-def]
        # The view's service has committed by now, so the jobs it recorded are real.
        dispatch_if_pending()
        return response


def _configure_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    filters.register(app)


def _register_security_headers(app: Flask) -> None:
    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        nonce = getattr(g, "csp_nonce", "")
        # Everything is served from this origin; the one inline script (GOV.UK's js-enabled
        # class) carries a per-request nonce.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
