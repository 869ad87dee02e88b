"""The application form: start, task list, sections, check your answers, submit."""

from __future__ import annotations

from flask import Blueprint, abort

from grants.policy import COMMUNITY_USER, allow

bp = Blueprint("apply", __name__)


@bp.route("/funding/<int:round_id>/apply", methods=["GET", "POST"])
@allow(COMMUNITY_USER)
def start(round_id: int) -> str:
    abort(404)
