"""Browser tier: the real app served on loopback, driven by Debian's Chromium through Playwright.

Every page a test opens is watched: a console error (a CSP refusal among them), an uncaught page
error, a failed or 4xx/5xx sub-resource, or an exception inside the app fails the test. Pages
that are meant to answer with an error status (404, a form with errors) may do so; the test
checks what they show.
"""

from __future__ import annotations

import faulthandler
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.support import NO_SCRIPT_PAGES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000
# Playwright's waits time out on their own, but page.evaluate (axe) never does: a test that
# hangs this long ends the run with every thread's traceback instead of blocking CI for hours.
HANG_SECONDS = 180
HERE = Path(__file__).parent

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder must carry the browser marker, so the other tiers skip it."""
    unmarked = [
        item.nodeid
        for item in items
        if HERE in Path(item.path).parents and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "browser tests without `pytestmark = pytest.mark.browser`: " + ", ".join(unmarked)
        )


class QuietRequestHandler(WSGIRequestHandler):
    """No line per request (the tests name the pages they visit); errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _closed_before_sending(app: Flask):  # type: ignore[no-untyped-def]
    """The app with each response read whole, and closed, before werkzeug sends a byte.

    werkzeug's development server closes a response only after draining the client's socket,
    and when the browser resets the connection (it abandons a script or stylesheet while
    navigating away) that drain raises first: the static file it opened is left open, and
    the garbage collector's ResourceWarning fails whichever test happens to be running
    (warnings are errors). Reproduced by sending a request and resetting the socket straight
    away: about nine in ten such requests leaked a file. Buffering costs nothing here (the
    browser tests' pages and downloads are small) and leaves werkzeug nothing to close.

    The conditional-request headers are dropped too: for a cached static file werkzeug
    answers 304 with an empty body, and always sending the file keeps one path to test."""

    def serve(environ, start_response):  # type: ignore[no-untyped-def]
        environ.pop("HTTP_IF_NONE_MATCH", None)
        environ.pop("HTTP_IF_MODIFIED_SINCE", None)
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(autouse=True)
def _hang_watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@dataclass
class LiveServer:
    url: str
    app_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The session's app served by werkzeug in a background thread on a free loopback port."""
    server = make_server(
        "127.0.0.1",
        0,
        _closed_before_sending(app),
        threaded=True,
        request_handler=QuietRequestHandler,
    )
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}")

    def record(sender: Flask, exception: BaseException, **_: Any) -> None:
        live.app_errors.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(record, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    got_request_exception.disconnect(record, app)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does this)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        yield browser
        browser.close()


@dataclass
class PageWatch:
    """What went wrong on the pages of one test."""

    problems: list[str] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)
    load_errors: list[ConsoleMessage] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "assert"):
            return
        if message.text.startswith("Failed to load resource"):
            # Chromium logs this for every 4xx/5xx, the page itself included: decide at the end.
            self.load_errors.append(message)
        else:
            self.problems.append(f"console {message.type}: {message.text} at {message.location}")

    def _request_failed(self, request: Request) -> None:
        # ERR_ABORTED: the page navigated away before a sub-resource (say, the favicon) arrived.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(
                f"request failed: {request.method} {request.url} ({request.failure})"
            )

    def _response(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and request.frame.parent_frame is None:
            self.documents.add(response.url)
        elif response.status >= 400:
            self.problems.append(f"{response.status} for {request.resource_type} {response.url}")

    def report(self) -> list[str]:
        problems = list(self.problems)
        for message in self.load_errors:
            if message.location.get("url") not in self.documents:
                problems.append(f"console error: {message.text} at {message.location}")
        return problems


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[NewPage]:
    """Open a page in a fresh browser context (its own cookies) on the live server.

    ``new_page(javascript=False)`` opens one with JavaScript turned off.
    """
    contexts: list[BrowserContext] = []
    watch = PageWatch()
    errors_before = len(live_server.app_errors)

    def open_page(javascript: bool = True) -> Page:
        context = browser.new_context(
            base_url=live_server.url, java_script_enabled=javascript, locale="en-GB"
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if not javascript:
            NO_SCRIPT_PAGES.add(page)
        watch.attach(page)
        return page

    yield open_page

    for context in contexts:
        context.close()
    app_errors = live_server.app_errors[errors_before:]
    problems = [f"exception in the app: {error}" for error in app_errors] + watch.report()
    if problems:
        text = "problems in the browser:\n" + "\n".join(f"- {p}" for p in problems)
        if request.node.stash.get(_call_failed, False):
            print(text)  # the test already failed: show these with its captured output
        else:
            pytest.fail(text, pytrace=False)


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page with JavaScript on, in its own browser context."""
    return new_page()


_call_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_call_failed] = True
    return report
