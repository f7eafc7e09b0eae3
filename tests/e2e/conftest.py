"""Real-browser journeys: Playwright for Python driving Debian's Chromium against a live server.

The live server runs on the test database (PostgreSQL in CI). Chromium is `/usr/bin/chromium`
(`apt-get install chromium`; `.ci/run` installs it); Playwright's own browser download cannot work here.
Each journey saves a screenshot of its last page under `test-artifacts/e2e/`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's password


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Playwright's sync API runs an event loop in this thread; the ORM calls in these tests (and their
    fixtures) are ours and safe. Allowed only while a browser test runs, so it never leaks into others."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
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


@pytest.fixture
def shot():
    """`shot(page, name)` saves a full-page screenshot as a test artifact and returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
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
