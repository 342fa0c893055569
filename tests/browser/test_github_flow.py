"""Sign in with GitHub in a real browser: sign in, cancel, profile content, sign out, delete."""

from __future__ import annotations

import re
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.helpers import consent_github, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_shows_profile_with_token_validity_and_repos(browser_page, app):
    page = browser_page
    sign_in(page, app, "octocat")

    main = page.get_by_role("main")
    expect(page).to_have_url(app + "/profile")
    expect(main.locator("#account")).to_contain_text("octocat")
    expect(main.locator(".name")).not_to_be_empty()
    expect(main.locator("#account dd").nth(2)).to_contain_text("@")  # the verified email
    expect(main.locator("img.avatar")).to_be_visible()
    expect(main.get_by_text("Your GitHub access is valid")).to_be_visible()
    expect(main.locator("#access")).to_contain_text("Scopes")
    expect(main.locator("#access")).to_contain_text("user:email")
    repos = main.locator("#repositories .repo")
    expect(repos.first).to_be_visible()
    assert repos.count() > 0
    first_page = repos.first.text_content()
    next_button = main.get_by_role("button", name="Next")
    if next_button.is_enabled():
        next_button.click()
        expect(main.get_by_text("Page 2", exact=True)).to_be_visible()
        expect(repos.first).not_to_have_text(first_page)
        main.get_by_role("button", name="Previous").click()
        expect(main.get_by_text("Page 1", exact=True)).to_be_visible()
    # Signed in, not staff: no way to the staff page.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile")) \
        .to_be_visible()
    expect(page.get_by_role("link", name="Facebook Page")).to_have_count(0)


def test_sign_out_returns_home_and_ends_the_session(browser_page, app):
    page = browser_page
    sign_in(page, app, "octocat")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(app + "/")
    expect(page.locator("#status")).to_contain_text("You are signed out")
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()
    assert page.request.get(app + "/api/v1/me").status in (401, 403)
    page.goto(app + "/profile")
    page.wait_for_url(app + "/")
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()


def test_sign_out_with_a_request_in_flight_still_says_signed_out(browser_page, app):
    # The profile's token check is held until after the sign-out; it then answers 401, which
    # must not turn "You are signed out" into "Your session has ended" (seen as a CI flake).
    page = browser_page
    sign_in(page, app, "octocat")
    held, late = [], []
    page.route("**/api/v1/me/github/token", lambda route: held.append(route))
    page.on("response", lambda r: late.append(r.status) if "/me/github/token" in r.url else None)
    with page.expect_request("**/api/v1/me/github/token"):
        page.goto(app + "/profile")
    expect(page.get_by_role("heading", level=1, name="Your profile")).to_be_visible()
    page.wait_for_function("() => true")  # let Playwright dispatch the route handler
    assert held
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(app + "/")
    expect(page.locator("#status")).to_contain_text("You are signed out")
    for route in held:
        route.continue_()
    page.wait_for_function("() => true")
    deadline = time.monotonic() + 10
    while 401 not in late and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert 401 in late  # the late answer came, and its handlers have run by now
    page.wait_for_timeout(300)
    expect(page.locator("#status")).to_contain_text("You are signed out")
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()


def test_cancel_at_github_shows_a_human_message_and_try_again(browser_page, app,
                                                              sandbox_settings):
    page = browser_page
    page.goto(app + "/")
    page.get_by_role("button", name="Sign in with GitHub").click()
    consent_github(page, "octocat", decision="cancel")
    page.wait_for_url(app + "/auth/github/callback")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in cancelled")
    expect(page.get_by_role("alert")).to_contain_text("You cancelled the sign-in at GitHub")
    assert page.request.get(app + "/api/v1/me").status in (401, 403)
    page.get_by_role("button", name="Try again").click()
    authorize = re.escape(sandbox_settings.github_url) + r"/login/oauth/authorize"
    page.wait_for_url(re.compile(authorize))
    consent_github(page, "octocat")
    page.wait_for_url(app + "/profile")


def test_callback_drops_code_and_state_from_the_address_bar(browser_page, app):
    page = browser_page
    posted = []
    page.on("request", lambda r: posted.append(r) if r.url.endswith("/auth/github/callback")
            and r.method == "POST" else None)
    page.goto(app + "/auth/github/callback?code=abc123code&state=" + "s" * 43)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in did not complete")
    expect(page.get_by_role("alert")).not_to_be_empty()
    assert page.url == app + "/auth/github/callback"
    assert page.evaluate("window.location.search") == ""
    assert posted, "the SPA posted the code to the API"
    body = posted[0].post_data_json
    assert body == {"code": "abc123code", "state": "s" * 43}
    referer = posted[0].headers.get("referer", "")
    assert "code=" not in referer and "state=" not in referer
    # Reloading the bare callback route shows "start again", not an error.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in did not complete")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()


def test_the_sign_in_post_is_alone_in_flight_on_the_callback_page(browser_page, app):
    """A parallel /me with the pre-sign-in cookie could land after the session key rotates,
    find no session, and delete the new session cookie: a random sign-out right after sign-in."""
    page = browser_page
    events = []
    page.on("request", lambda r: events.append(("sent", r.method, r.url))
            if "/api/" in r.url else None)
    page.on("requestfinished", lambda r: events.append(("done", r.method, r.url))
            if "/api/" in r.url else None)
    page.goto(app + "/auth/github/callback?code=abc123code&state=" + "s" * 43)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in did not complete")
    page.wait_for_load_state("networkidle")
    callback = [i for i, e in enumerate(events) if e[2].endswith("/auth/github/callback")]
    sent, done = callback[0], callback[-1]
    assert events[done][0] == "done"
    assert not any(e[0] == "sent" for e in events[sent + 1:done]), events
    assert not any(e[0] == "sent" for e in events[:sent]), events


def test_callback_parameters_leave_the_address_bar_even_if_the_app_fails_to_load(browser_page,
                                                                                 app):
    page = browser_page
    page.route("**/static/app.js", lambda route: route.abort())
    page.goto(app + "/auth/github/callback?code=abc123code&state=" + "s" * 43)
    page.wait_for_function("window.location.search === ''")
    assert page.url == app + "/auth/github/callback"
    # The refused app.js is logged by Chromium; that one failure is the point of the test.
    page.problems.console[:] = [c for c in page.problems.console if "ERR_FAILED" not in c]


def test_delete_account_asks_first_then_deletes(browser_page, app):
    page = browser_page
    sign_in(page, app, "mona")
    page.get_by_role("button", name="Delete account").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete your account?")
    expect(dialog).to_have_accessible_name("Delete your account?")
    expect(dialog).to_have_accessible_description(re.compile("It cannot be undone"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert get_user_model().objects.filter(github_account__login="mona").exists()
    page.get_by_role("button", name="Delete account").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete my account").click()
    page.wait_for_url(app + "/")
    expect(page.locator("#status")).to_contain_text("Your account has been deleted")
    assert not get_user_model().objects.filter(github_account__login="mona").exists()


def test_profile_says_when_github_access_is_no_longer_valid(browser_page, app, sandbox_settings):
    # GitHub's check-token API answers 404 for a token it no longer knows.
    sandbox_settings.fault("github.check_token", "invalid_token")
    page = browser_page
    sign_in(page, app, "octocat")
    access = page.locator("#access")
    expect(access).to_contain_text("Your GitHub access is no longer valid — sign in again")
    expect(access.get_by_role("button", name="Sign in again")).to_be_visible()


def test_profile_shows_an_error_and_recovers_when_github_is_down(browser_page, app,
                                                                 sandbox_settings):
    page = browser_page
    page.problems.expected_statuses.update({502, 504})
    sandbox_settings.fault("github.repos", "5xx", count=50)  # outlasts the client's GET retries
    sign_in(page, app, "octocat")
    repos = page.locator("#repositories")
    expect(repos.get_by_role("alert")).to_be_visible()
    expect(page.locator("#account")).to_contain_text("octocat")  # the rest of the page works
    requests.delete(sandbox_settings.url + "/_sandbox/faults", timeout=5)
    repos.get_by_role("button", name="Try again").click()
    expect(repos.locator(".repo").first).to_be_visible()
    expect(repos.get_by_role("alert")).to_have_count(0)


def test_a_session_ending_mid_use_returns_home_with_a_message(browser_page, app):
    page = browser_page
    sign_in(page, app, "octocat")
    main = page.get_by_role("main")
    next_button = main.get_by_role("button", name="Next")
    expect(next_button).to_be_enabled()
    page.context.clear_cookies()  # the session ends behind the page's back
    next_button.click()
    page.wait_for_url(app + "/")
    expect(page.locator("#status")).to_have_text("Your session has ended — please sign in again.")
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile")) \
        .to_have_count(0)


def test_a_failed_repo_page_puts_focus_on_try_again(browser_page, app, sandbox_settings):
    page = browser_page
    page.problems.expected_statuses.update({502, 504})
    sign_in(page, app, "octocat")
    repos = page.locator("#repositories")
    next_button = repos.get_by_role("button", name="Next")
    expect(next_button).to_be_enabled()
    sandbox_settings.fault("github.repos", "5xx", count=50)
    next_button.click()
    expect(repos.get_by_role("button", name="Try again")).to_be_focused()
    requests.delete(sandbox_settings.url + "/_sandbox/faults", timeout=5)
    repos.get_by_role("button", name="Try again").click()
    expect(repos.get_by_text("Page 2", exact=True)).to_be_visible()
    expect(repos.locator(".pager button:focus")).to_have_count(1)  # focus stays on the pager
