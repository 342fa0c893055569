"""Browser tests: Playwright (sync API) driving Debian's Chromium against the live server.

Every test gets a `browser_page` that records console errors, page errors, CSP violations and
server faults, saves a screenshot to tests/screenshots/ when the test ends, and fails the test if
anything went wrong in the browser. With REQUIRE_BROWSER=1 (CI) a missing browser fails the run;
otherwise the tests skip.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend.conf.csp import content_security_policy

# Playwright's sync API runs an event loop in this thread; the Django ORM calls that the tests and
# fixtures make are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
# Chromium logs every 4xx answer to fetch() as a console error. Those are expected API answers
# (401 before sign-in, 403 for non-staff, the callback's refusals) and are asserted by the tests
# themselves; everything else on the console fails the test.
# Tests that provoke a provider fault add the 5xx they expect to `page.problems.expected_statuses`.
HTTP_STATUS_LOG = re.compile(
    r"Failed to load resource: the server responded with a status of (\d+)")


def _missing_browser(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("Playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing_browser(f"Chromium not found at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserProblems:
    """Everything the page did wrong; the fixture fails the test when this is not empty."""

    app_origin: str
    allowed_origins: set[str]
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def expected(self, status: int) -> bool:
        return 400 <= status < 500 or status in self.expected_statuses

    def on_console(self, message) -> None:
        if message.type not in ("error", "warning"):
            return
        text = message.text
        url = (message.location or {}).get("url", "")
        logged = HTTP_STATUS_LOG.search(text)
        if message.type == "error" and logged and self.expected(int(logged.group(1))) \
                and _origin(url) in self.allowed_origins | {self.app_origin}:
            return
        if message.type == "warning" and "Content-Security-Policy" not in text:
            return
        self.console.append(f"{message.type}: {text} ({url})")

    def on_response(self, response) -> None:
        if response.status >= 500 and not self.expected(response.status):
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def on_request(self, request) -> None:
        origin = _origin(request.url)
        if origin and origin not in self.allowed_origins | {self.app_origin}:
            self.foreign_requests.append(request.url)

    def report(self) -> list[str]:
        return ([f"console {c}" for c in self.console]
                + [f"page error: {e}" for e in self.page_errors]
                + [f"server error: {e}" for e in self.server_errors]
                + [f"request to a foreign origin: {u}" for u in self.foreign_requests])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@pytest.fixture
def site(live_server) -> str:
    """The live server alone (pages that never reach a provider)."""
    return live_server.url


@pytest.fixture
def app(sandbox_settings, live_server, settings) -> str:
    """The live server wired to the sandbox. SECURE_CSP is derived again from the sandbox's
    GITHUB_URL, as settings.py derives it from the environment at start-up (so the sandbox's
    avatars are allowed the way the product allows them, not by a test-only addition)."""
    settings.SECURE_CSP = content_security_policy(github_url=settings.GITHUB_URL,
                                                  extra_img=settings.CSP_EXTRA_IMG_SRC)
    return live_server.url


@pytest.fixture
def browser_page(request, chromium, live_server):
    """A fresh browser context (no cookies) and page, watched for errors; screenshot at the end.

    Requests may go to the live server and, in tests that use the sandbox, to the sandbox.
    """
    allowed = set()
    if "sandbox_settings" in request.fixturenames:
        # Set the sandbox settings up before the page (so they are torn down after it): a page
        # still loading at the end of a test must not see the production provider URLs.
        allowed.add(_origin(request.getfixturevalue("sandbox_settings").url))
    problems = BrowserProblems(app_origin=_origin(live_server.url), allowed_origins=allowed)
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", problems.on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("response", problems.on_response)
    page.on("request", problems.on_request)
    page.problems = problems
    yield page
    with contextlib.suppress(PlaywrightTimeout):  # a page still busy is screenshotted as is
        page.wait_for_load_state("networkidle", timeout=5_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    found = problems.report()
    if found:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture
def staff_octocat(settings):
    """octocat is staff (STAFF_GITHUB_LOGINS), so the Facebook page is theirs to use."""
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
