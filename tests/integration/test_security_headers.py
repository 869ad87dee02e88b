"""Every response carries strict security headers; nothing is loaded from outside."""

import re

import pytest

from tests.conftest import make_member, make_organisation, sign_in_as


@pytest.mark.parametrize("url", ["/", "/sign-in", "/no-such-page"])
def test_strict_headers_on_every_page(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_inline_script_carries_the_per_request_nonce(client):
    first = client.get("/")
    second = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in first.text
    assert nonce not in second.text


def test_pages_reference_only_this_origin(app, client):
    with app.app_context():
        user = make_member(make_organisation())
    sign_in_as(client, user)
    for url in ["/", "/dashboard", "/sign-in", "/accessibility"]:
        html = client.get(url, follow_redirects=True).text
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not attribute.startswith(("http:", "https:", "//")), (url, attribute)


def test_signed_in_pages_are_not_cached(app, client):
    with app.app_context():
        user = make_member(make_organisation())
    sign_in_as(client, user)
    response = client.get("/dashboard", follow_redirects=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_assets_are_served_from_assets(client):
    with client.get("/assets/app.css") as response:
        assert response.status_code == 200
        assert "GDS Transport" not in response.get_data(as_text=True)


def test_static_files_touch_no_session(app, client):
    from sqlalchemy import event

    from grants.extensions import db

    with app.app_context():
        user = make_member(make_organisation())
    sign_in_as(client, user)
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with client.get("/assets/app.css") as response:
            assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []
    # The session itself is untouched: still signed in.
    assert client.get("/dashboard").headers["Location"].startswith("/organisations/")
