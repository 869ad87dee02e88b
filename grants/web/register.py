"""The public decisions register: published decisions with search, paging, a JSON feed and the
360Giving file; withheld decisions with their exemption only.

Public: nobody signs in to read what the Commissioner decided. The search and page number are
in the query string. A search that is too long, or a page number that is not a whole number
from 1 up, is a 400 (the error summary on the page, an ``errors`` list in the feed); a page
past the end shows the last page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from forms.register import RegisterSearchForm
from grants.policy import PUBLIC, allow
from grants.services import decisions_register as register
from grants.services import threesixty
from grants.services.errors import NotFound, ServiceError
from grants.web.helpers import pagination, show_error

bp = Blueprint("register", __name__, url_prefix="/decisions")

CHUNK = 64 * 1024
PAGE_MESSAGE = "Page number must be a whole number, like 2"


@bp.get("")
@allow(PUBLIC)
def index() -> tuple[str, int]:
    form = RegisterSearchForm(formdata=request.args)
    page_number = _page_number()
    if page_number is None:
        form.validate()
        form.form_errors.append(PAGE_MESSAGE)
    elif form.validate():
        try:
            result = register.register_page(form.q.data, page_number)
        except ServiceError as error:
            show_error(form, error)
        else:
            return render_template(
                "register/index.html",
                form=form,
                result=result,
                pagination=_pagination(result),
                published=threesixty.latest_publication(),
            ), 200
    return render_template(
        "register/index.html",
        form=form,
        result=None,
        pagination=None,
        published=threesixty.latest_publication(),
    ), 400


def feed() -> tuple[Response, int]:
    """The register as JSON: the same search and paging, with links to the next page."""
    page_number = _page_number()
    form = RegisterSearchForm(formdata=request.args)
    errors: list[str] = []
    if page_number is None:
        errors.append(PAGE_MESSAGE)
    if not form.validate():
        errors += [message for messages in form.errors.values() for message in messages]
    if not errors:
        try:
            result = register.register_page(form.q.data, page_number or 1)
        except ServiceError as error:
            errors.append(error.message)
        else:
            return jsonify(_feed_body(result)), 200
    return jsonify({"errors": errors}), 400


allow(PUBLIC)(feed)


@bp.record_once
def _feed_route(state: Any) -> None:
    # "/decisions.json" sits beside the blueprint's prefix, not under it.
    state.app.add_url_rule("/decisions.json", "register.feed", feed, methods=["GET"])


@bp.get("/360giving.json")
@allow(PUBLIC)
def threesixty_json() -> Response | tuple[str, int]:
    return _published_file("json")


@bp.get("/360giving.csv")
@allow(PUBLIC)
def threesixty_csv() -> Response | tuple[str, int]:
    return _published_file("csv")


@bp.get("/<reference>")
@allow(PUBLIC)
def show(reference: str) -> str:
    try:
        entry = register.decision(reference)
    except NotFound:
        abort(404)
    return render_template("register/decision.html", entry=entry)


def _published_file(which: str) -> Response | tuple[str, int]:
    try:
        stream, filename, content_type = threesixty.open_published(which)
    except NotFound:
        return render_template("register/not_published.html"), 404

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := stream.read(CHUNK):
                yield chunk
        finally:
            stream.close()

    response = Response(chunks(), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _page_number() -> int | None:
    raw = request.args.get("page", "1") or "1"
    # ASCII only: "²" is a digit to str.isdigit but not to int().
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1:
        return None
    return int(raw)


def _page_url(page: int | None, endpoint: str = "register.index", **extra: Any) -> str:
    args: dict[str, Any] = {}
    search = request.args.get("q", "").strip()
    if search:
        args["q"] = search
    if page is not None and page > 1:
        args["page"] = page
    return url_for(endpoint, **args, **extra)


def _feed_body(result: register.RegisterPage) -> dict[str, Any]:
    def link(page: int | None) -> str | None:
        return _page_url(page, "register.feed", _external=True) if page else None

    return {
        "decisions": [entry.as_json() for entry in result.entries],
        "search": result.search,
        "page": result.page,
        "pages": result.pages,
        "total": result.total,
        "next": link(result.next_page),
        "previous": link(result.previous_page),
        "threesixty_giving": {
            "json": url_for("register.threesixty_json", _external=True),
            "csv": url_for("register.threesixty_csv", _external=True),
        },
    }


def _pagination(result: register.RegisterPage) -> dict[str, Any] | None:
    return pagination(result.page, result.pages, _page_url, "Pages of decisions")
