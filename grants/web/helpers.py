"""Small helpers shared by the views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

from grants.services.errors import ServiceError


def client_ip() -> str:
    # Behind a proxy, deployment sets ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "unknown"


def show_error(form: FlaskForm, error: ServiceError, default_field: str | None = None) -> None:
    """Put a service's refusal on the form, so the page's error summary shows it (against
    ``default_field`` when the service does not name one)."""
    name = error.field or default_field
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message]  # type: ignore[list-item]
    else:
        form.form_errors.append(error.message)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so a sign-in link cannot send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def pagination(
    page: int, pages: int, url: Callable[[int], str], label: str
) -> dict[str, Any] | None:
    """Parameters for GOV.UK's pagination component: the first and last pages, the current one
    and its neighbours, with ellipses for the gaps; None when everything fits on one page.
    ``url`` gives the address of a page by its number; ``label`` names the landmark, e.g.
    "Pages of awards"."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, page - 1, page, page + 1})
    items: list[dict[str, Any]] = []
    for number in (n for n in shown if 1 <= n <= pages):
        if items and number > items[-1]["number"] + 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append({"number": number, "href": url(number), "current": number == page})
    params: dict[str, Any] = {"items": items, "landmarkLabel": label}
    if page > 1:
        params["previous"] = {"href": url(page - 1)}
    if page < pages:
        params["next"] = {"href": url(page + 1)}
    return params
