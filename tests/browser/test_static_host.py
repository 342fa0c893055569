"""The SPA built by `build_spa` and served by a plain static file server on another origin (same
site: same host, another port), against the API on the live server: the whole journey."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from backend.spa import SPA_ROUTES
from backend.spa_build import build_spa
from tests.browser.helpers import connect_facebook, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def read_headers_file(path: Path) -> list[tuple[str, str, str]]:
    """(path pattern, header, value) rules of a Netlify-style `_headers` file."""
    rules, pattern = [], None
    for line in path.read_text().splitlines():
        if line and not line[0].isspace():
            pattern = line.strip()
        elif line.strip():
            name, _, value = line.strip().partition(":")
            rules.append((pattern, name, value.strip()))
    return rules


class StaticHost(SimpleHTTPRequestHandler):
    """A plain static host: files as they are, index.html for the SPA routes, `_headers` sent."""

    rules: list[tuple[str, str, str]] = []

    def send_head(self):
        path = urlsplit(self.path).path
        if path.rstrip("/") in SPA_ROUTES or path == "/":
            self.path = "/index.html"
        self.route = path
        return super().send_head()

    def end_headers(self):
        headers = {}
        for pattern, name, value in self.rules:  # later rules win, like an override
            if pattern == "/*" or pattern == getattr(self, "route", None):
                headers[name] = value
        for name, value in headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args):  # quiet test output
        pass


@pytest.fixture
def static_spa(app, live_server, sandbox_settings, settings, tmp_path):
    """The built SPA on http://<live server host>:<free port>, with the API configured for it."""
    output = tmp_path / "spa"
    build_spa(api_url=app, output=output)
    handler = type("Handler", (StaticHost,), {"rules": read_headers_file(output / "_headers")})
    host = urlsplit(app).hostname
    server = ThreadingHTTPServer((host, 0), functools.partial(handler, directory=str(output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    spa = f"http://{host}:{server.server_address[1]}"
    settings.SPA_URL = spa
    settings.CORS_ALLOWED_ORIGINS = [spa]
    settings.CSRF_TRUSTED_ORIGINS = [app, spa]
    sandbox_settings.register_redirect_uri("github", spa + "/auth/github/callback")
    sandbox_settings.register_redirect_uri("facebook", spa + "/facebook/callback")
    try:
        yield spa
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_whole_journey_with_the_spa_on_a_static_host(browser_page, app, static_spa, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    page, spa = browser_page, static_spa
    page.problems.allowed_origins.add(spa)
    api_calls, spa_api_calls = [], []
    page.on("request", lambda r: (api_calls if r.url.startswith(app + "/api/") else
                                  spa_api_calls if r.url.startswith(spa + "/api/") else
                                  []).append(f"{r.method} {r.url}"))
    refused = []
    page.on("response", lambda r: r.status == 403 and refused.append(r.url))

    sign_in(page, spa, "octocat")  # GitHub sends the browser back to the SPA's callback route
    main = page.get_by_role("main")
    expect(main.locator("#account")).to_contain_text("octocat")
    expect(main.get_by_text("Your GitHub access is valid")).to_be_visible()
    avatar = main.locator("img.avatar")
    expect(avatar).to_be_visible()
    # The sandbox's avatar is allowed by the static host's own CSP (built from GITHUB_URL) and
    # really drawn, not blocked (a CSP refusal would also fail the test on the console).
    expect(avatar).to_have_js_property("complete", True)
    assert avatar.evaluate("img => img.naturalWidth") > 0

    connect_facebook(page, spa, "sam")  # one Page: linked directly
    page.wait_for_url(spa + "/facebook")
    expect(main.locator("#link")).to_contain_text("Access token is valid")
    form = main.locator("#post")
    form.get_by_label("Message").fill("Hello from a static host")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("Posted to the Page.")).to_be_visible()
    expect(main.locator("#history .post").first).to_contain_text("Hello from a static host")

    # Every call went to the API's origin, the static host was never asked for /api/, and the
    # CSRF token came from /auth/csrf (once per page load, and again after the sign-in rotated
    # it) without a single refusal.
    assert spa_api_calls == []
    assert f"GET {app}/api/v1/auth/csrf" in api_calls
    assert refused == []
    assert f"POST {app}/api/v1/facebook/page/posts" in api_calls
    footer_docs = page.get_by_role("link", name="API documentation")
    expect(footer_docs).to_have_attribute("href", app + "/api/v1/docs")


def test_static_host_sends_the_documented_headers(browser_page, app, static_spa):
    page, spa = browser_page, static_spa
    page.problems.allowed_origins.add(spa)
    home = page.goto(spa + "/")
    csp = home.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert f"connect-src 'self' {app};" in csp
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()
    callback = page.goto(spa + "/auth/github/callback?code=c&state=s")
    assert callback.headers["referrer-policy"] == "no-referrer"
    expect(page).to_have_url(spa + "/auth/github/callback")


def test_a_stale_csrf_token_is_fetched_again_and_the_request_retried_once(
        browser_page, app, static_spa, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    page, spa = browser_page, static_spa
    page.problems.allowed_origins.add(spa)
    sign_in(page, spa, "octocat")
    connect_facebook(page, spa, "alex")  # two Pages: the picker asks which one
    main = page.get_by_role("main")
    picker = main.locator("#picker")
    expect(picker.get_by_role("radio")).to_have_count(2)
    # The SPA holds the token it fetched for the callback POST; the cookie it pairs with goes
    # away (expired, cleared), so that token no longer passes.
    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    answers = []
    page.on("response", lambda r: r.url.startswith(app + "/api/") and (
        r.request.method != "GET" or "/auth/csrf" in r.url) and answers.append(
        (r.request.method, r.url.removeprefix(app + "/api/v1/"), r.status)))
    picker.get_by_role("radio").first.check()
    picker.get_by_role("button", name="Use this Page").click()
    expect(picker).to_be_hidden()
    assert [(method, status) for method, _, status in answers] == [
        ("PUT", 403), ("GET", 200), ("PUT", 200)]
    assert answers[1][1] == "auth/csrf" and answers[0][1] == answers[2][1]
