"""Real-browser journeys: Playwright for Python driving Debian's Chromium against a live server.

The live server runs on the test database (PostgreSQL in CI). Chromium is `/usr/bin/chromium`
(`apt-get install chromium`; `.ci/run` installs it); Playwright's own browser download cannot work here.
Each journey saves a screenshot of its last page under `test-artifacts/e2e/`.

Every journey fails on an error in the browser's console (a Content-Security-Policy violation, a missing
favicon or script, an uncaught exception), in any browser context it opens (screenshots keep the caret,
`caret="initial"`: hiding it injects a style the CSP refuses, which is Playwright's error, not the page's); a journey that provokes one on
purpose says so with `@pytest.mark.console_errors_allowed(reason)` (all of them) or
`console_errors_allowed(reason, matching=regex)` (those matching). htmx's own report of a request it
aborted (a newer one replaced it) is not an error of the page; a failed request still is, through
Chromium's "Failed to load resource". The page a journey navigates to may
answer an error status (a 403 or 404 it expects): that load is not a console error of the page.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's password
# htmx logs these with console.error when a request is aborted (hx-sync replaced it, or its element went).
HTMX_ABORTED = ("htmx:sendAbort", "htmx:afterRequest")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Playwright's sync API runs an event loop in this thread; the ORM calls in these tests (and their
    fixtures) are ours and safe. Allowed only while a browser test runs, so it never leaks into others."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """Take the allowance back once no event loop runs in this thread. Playwright's loop outlives a journey
    (its browser is session-scoped), and under pytest-xdist a worker may run other modules after a journey:
    while that loop runs, Django would refuse every ORM call of theirs, so the allowance stays exactly as
    long as the loop does (Django's check looks at the same running loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    # pytest groups the tests of the session-scoped `browser_name` parameter together, which undoes
    # pytest-django's ordering and puts the browser journeys mid-suite; once a journey has started
    # Playwright's event loop in this thread, later ORM calls raise SynchronousOnlyOperation. Run them last.
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (REQUIRE_SERVICES=1)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


def watch_console(context, errors: list[str]) -> None:
    """Collect into `errors` every console error and uncaught exception of the pages of `context`, except
    Chromium's "Failed to load resource" for a page's own navigation (an error status the journey asked
    for); a sub-resource that fails (a favicon, a script) is kept."""
    navigations: set[str] = set()

    def on_request(request) -> None:
        if request.is_navigation_request():
            navigations.add(request.url)

    def on_console(message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and where in navigations:
            return
        if message.text.startswith(HTMX_ABORTED) and where.endswith("/htmx.min.js"):
            return
        page = message.page.url if message.page else ""
        errors.append(f"{message.text} (from {where}, on {page})")

    context.on("request", on_request)
    context.on("console", on_console)
    context.on("weberror", lambda error: errors.append(f"uncaught: {error.error}"))


@pytest.fixture(autouse=True)
def _no_console_errors(request):
    """Fails a browser journey whose pages logged a console error (see the module docstring)."""
    if "browser" not in request.fixturenames and "page" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    errors: list[str] = []
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        watch_console(context, errors)
        return context

    browser.new_context = new_context
    try:
        yield errors
    finally:
        del browser.new_context
    allowed = request.node.get_closest_marker("console_errors_allowed")
    if allowed is not None:
        matching = allowed.kwargs.get("matching")
        errors = [e for e in errors if matching and not re.search(matching, e)]
    if errors:
        pytest.fail("console errors in the browser:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def shot():
    """`shot(page, name)` saves a full-page screenshot as a test artifact and returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def sign_in(live_server):
    """`sign_in(page, user)` signs in through the real sign-in form."""

    def do(page, user) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return do
