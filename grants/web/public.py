"""Pages anyone may see: start, accessibility, cookies, health, and the demo's mail outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from grants.policy import PUBLIC, allow
from grants.services import health, programmes
from grants.services.demo_outbox import read_outbox

bp = Blueprint("public", __name__)


@bp.get("/")
@allow(PUBLIC)
def start() -> str:
    return render_template("public/start.html", rounds=programmes.open_rounds_summary())


@bp.get("/accessibility")
@allow(PUBLIC)
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.get("/cookies")
@allow(PUBLIC)
def cookies() -> str:
    return render_template("public/cookies.html")


@bp.get("/healthz")
@allow(PUBLIC)
def healthz() -> tuple[dict[str, str], int]:
    ok, detail = health.database_reachable()
    return {"status": "ok" if ok else "error", "database": detail}, 200 if ok else 503


@bp.get("/demo/outbox")
@allow(PUBLIC)
def demo_outbox() -> str:
    # Only in the embedded demo (no SMTP server configured, not production): it shows every
    # email the demo has sent, sign-in links included.
    if not current_app.config.get("SHOW_DEMO_OUTBOX"):
        abort(404)
    return render_template("public/outbox.html", messages=read_outbox())
