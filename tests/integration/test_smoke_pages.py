"""Every public page renders in the service's design, and /healthz reports the database."""

import pytest

PUBLIC_PAGES = ["/", "/sign-in", "/sign-in/password", "/register", "/accessibility", "/cookies"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_renders_with_service_header(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Police and Crime Commissioner for Leicester" in html
    assert "govuk-header__logotype" not in html  # no GOV.UK crown or logotype
    assert "Crown copyright" not in html


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "reachable"}


def test_unknown_page_is_404_in_service_design(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
