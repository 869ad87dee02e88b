"""A member uploads their constitution with the GOV.UK file upload; a wrong file is refused
with an accessible error summary."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.support import assert_accessible, assert_error_links_reach_fields
from tests.conftest import PASSWORD, make_member, make_organisation

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


def test_upload_a_constitution(app: Flask, page: Page, tmp_path) -> None:
    with app.app_context():
        organisation = make_organisation("Saffron Lane Boxing Club")
        make_member(organisation, "coach@saffron.example.org")
        organisation_id = organisation.id
    page.goto("/sign-in/password")
    page.get_by_label("Email address").fill("coach@saffron.example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/organisations/{organisation_id}/documents")
    assert_accessible(page)
    fake = tmp_path / "constitution.pdf"
    fake.write_bytes(b"MZ this is really a program")
    page.get_by_label("Constitution or governing document").check()
    page.get_by_label("Upload a file").set_input_files(str(fake))
    page.get_by_role("button", name="Upload", exact=True).click()
    assert assert_error_links_reach_fields(page) == ["The file is not a type we accept"]
    assert_accessible(page)

    real = tmp_path / "Constitution 2024.pdf"
    real.write_bytes(PDF)
    page.get_by_label("Constitution or governing document").check()
    page.get_by_label("Upload a file").set_input_files(str(real))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("link", name="Constitution 2024.pdf")).to_be_visible()
    assert_accessible(page)
