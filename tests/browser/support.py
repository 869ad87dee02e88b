"""Helpers for the browser tests: accessibility checks, error summaries, emailed links."""

from __future__ import annotations

import re
import weakref
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
_AXE = Axe()

# Pages opened with JavaScript turned off. Chromium then fires no timers, and axe needs them, so
# for these pages the checker alone gets a stand-in setTimeout; the page's own scripts never ran
# and do not run now, so axe sees exactly the DOM a no-JavaScript visitor gets.
NO_SCRIPT_PAGES: weakref.WeakSet[Page] = weakref.WeakSet()

_TIMER_STAND_IN = """() => {
  window.setTimeout = (fn, _ms, ...args) => { Promise.resolve().then(() => fn(...args)); return 0 };
  window.clearTimeout = () => {};
}"""

VISIBLE_TAG = re.compile(r"</?(?:a|p|strong|span|div|ul|li|br)\b[^>]*>")


def assert_accessible(page: Page) -> None:
    """Fail, listing every violation, unless axe finds none for WCAG 2.2 A and AA on the page.

    Also fails if the page shows HTML tags as text (markup escaped twice), which everyone,
    screen reader users included, would see or hear instead of a link.
    """
    assert_no_visible_markup(page)
    if page in NO_SCRIPT_PAGES:
        page.evaluate(_TIMER_STAND_IN)
    results = _AXE.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    if violations:
        pytest.fail(
            f"{len(violations)} accessibility violation(s) on {page.url} "
            f"({page.title()!r}):\n" + describe_violations(violations),
            pytrace=False,
        )


def assert_no_visible_markup(page: Page) -> None:
    text = page.locator("body").inner_text()
    shown = sorted(set(VISIBLE_TAG.findall(text)))
    if shown:
        pytest.fail(f"{page.url} shows HTML as text (escaped twice): {shown[:5]}", pytrace=False)


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']} "
            f"[{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def error_summary_links(page: Page) -> list[tuple[str, str]]:
    """(text, href) of each link in the GOV.UK error summary, which must be on the page."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    links = summary.locator(".govuk-error-summary__list a")
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href") or "")
        for i in range(links.count())
    ]


def assert_error_links_reach_fields(page: Page) -> list[str]:
    """Every error-summary link points at one element on the page; returns the messages."""
    links = error_summary_links(page)
    assert links, "the error summary lists no errors"
    for text, href in links:
        assert href.startswith("#"), f"error {text!r} links to {href!r}, not to a field"
        assert page.locator(f"[id='{href[1:]}']").count() == 1, (
            f"error {text!r} links to {href}, but no element on the page has that id"
        )
    return [text for text, _ in links]


def emailed_link_path(app: Flask, to: str, prefix: str = "/sign-in/link/") -> str:
    """The path of the link starting ``prefix`` in the latest email to ``to`` (plain-text body).

    Links in emails are absolute, built from SERVER_NAME (``localhost`` in the tests), so the
    caller opens the path on the live server.
    """
    messages = [m for m in app.extensions["mailman"].outbox if to in m.to]
    assert messages, f"no email was sent to {to}"
    body = messages[-1].body
    match = re.search(rf"(https?://[^/\s]+)({re.escape(prefix)}[\w-]+)", body)
    assert match, f"no {prefix}... link in the email body:\n{body}"
    assert match.group(1) == f"{app.config['PREFERRED_URL_SCHEME']}://{app.config['SERVER_NAME']}"
    return match.group(2)


def emailed_sign_in_path(app: Flask, to: str) -> str:
    return emailed_link_path(app, to, "/sign-in/link/")
