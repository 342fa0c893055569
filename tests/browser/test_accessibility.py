"""axe-core over every SPA page and state a person can reach (anonymous, signed in, staff:
unlinked, choosing a Page, posting, failures, automations, warnings, dialogs), on desktop and
at 375 px, light and dark: 0 violations. The API docs pages are audited too."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from automations.models import Automation, WebhookDelivery
from integrations.models import PagePost
from tests.browser.accessibility import Audit
from tests.browser.helpers import (
    connect_facebook,
    consent_facebook,
    consent_github,
    sign_in,
    sign_in_and_link_a_page,
)

pytestmark = pytest.mark.django_db(transaction=True)


def settled(page) -> None:
    """Nothing is loading any more (the views' spinners are gone, main is not busy)."""
    expect(page.locator("main[aria-busy]")).to_have_count(0)
    expect(page.locator("main .loading")).to_have_count(0)


def github_down(page, pattern: str, status: int) -> None:
    """`pattern` answers `status` provider_unavailable, a failure the page must show."""
    page.route(pattern, lambda route: route.fulfill(
        status=status, content_type="application/json",
        body='{"code": "provider_unavailable", "message": "GitHub is not answering."}'))
    page.problems.expected_statuses.add(status)


def test_anonymous_pages_have_no_axe_violations(browser_page, app):
    page, audit = browser_page, Audit(browser_page)
    page.goto(app + "/")
    expect(page.get_by_role("button", name="Sign in with GitHub")).to_be_visible()
    settled(page)
    audit.check("home, signed out")

    page.goto(app + "/profile")  # sent home with a flash message
    page.wait_for_url(app + "/")
    expect(page.locator("#status")).to_have_text("Please sign in first.")
    audit.check("home with the 'sign in first' message")

    for route, heading in (("/auth/github/callback", "Sign-in did not complete"),
                           ("/facebook/callback", None)):
        page.goto(app + route)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        settled(page)
        audit.check(f"{route}, opened directly")
    # The server answers unknown paths itself; the SPA's own "not found" shows after a
    # client-side navigation to one.
    page.evaluate("history.pushState(null, '', '/no/such/page');"
                  " dispatchEvent(new PopStateEvent('popstate'))")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    audit.check("SPA route not found")

    page.goto(app + "/")
    page.get_by_role("button", name="Sign in with GitHub").click()
    consent_github(page, "octocat", decision="cancel")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in cancelled")
    audit.check("GitHub sign-in cancelled")

    github_down(page, "**/api/v1/auth/github/authorize", 503)
    page.goto(app + "/")
    page.get_by_role("button", name="Sign in with GitHub").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("home, sign-in could not start")
    audit.assert_clean()


def test_signed_in_pages_have_no_axe_violations(browser_page, app, settings):
    settings.STAFF_GITHUB_LOGINS = []
    page, audit = browser_page, Audit(browser_page)
    sign_in(page, app, "octocat")
    main = page.get_by_role("main")
    expect(main.locator("img.avatar")).to_be_visible()
    settled(page)
    expect(main.locator("#repositories li.repo").first).to_be_visible()
    audit.check("profile")

    main.get_by_role("button", name="Delete account").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    audit.check("profile, delete dialog open")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    settled(page)
    audit.check("home, signed in")

    page.goto(app + "/facebook")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for staff only")
    audit.check("/facebook, not staff")

    github_down(page, "**/api/v1/me/github/token", 502)
    page.goto(app + "/profile")
    expect(main.get_by_role("button", name="Try again").first).to_be_visible()
    settled(page)
    audit.check("profile, a card failed with a retry")
    audit.assert_clean()


def test_staff_facebook_states_have_no_axe_violations(browser_page, app, staff_octocat,
                                                      sandbox_settings):
    page, audit = browser_page, Audit(browser_page)
    sign_in(page, app, "octocat")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facebook Page").click()
    main = page.get_by_role("main")
    expect(main.get_by_role("button", name="Connect with Facebook")).to_be_visible()
    settled(page)
    audit.check("/facebook, nothing linked")

    main.get_by_role("button", name="Connect with Facebook").click()
    consent_facebook(page, "alex", "cancel")
    page.wait_for_url(re.compile(re.escape(app) + r"/facebook(/callback)?$"))
    expect(page.get_by_role("alert").first).to_be_visible()
    settled(page)
    audit.check("Facebook connect cancelled")

    connect_facebook(page, app, "alex")  # two Pages: the picker asks which one
    picker = main.locator("#picker")
    expect(picker.get_by_role("radio")).to_have_count(2)
    settled(page)
    audit.check("/facebook, choosing a Page")
    picker.get_by_role("radio").first.check()
    picker.get_by_role("button", name="Use this Page").click()
    expect(picker).to_be_hidden()
    settled(page)
    audit.check("/facebook, linked, no post yet")

    form = main.locator("#post")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_role("alert").first).to_be_visible()
    audit.check("post form, empty message refused")
    form.get_by_label("Message").fill("Hello")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("Posted to the Page.")).to_be_visible()
    settled(page)
    audit.check("post published")

    sandbox_settings.fault("facebook.feed", "5xx", status=503)
    form.get_by_label("Message").fill("While Facebook hiccups")
    form.get_by_role("button", name="Post to Page").click()
    expect(main.locator("#history .post").first.locator(".badge")).to_have_text("Retrying")
    settled(page)
    audit.check("post retrying")

    card = main.locator("#automations")
    card.get_by_label("Repository").fill("octocat/Hello-World")
    card.get_by_role("button", name="Create automation").click()
    expect(card.get_by_role("button", name="Allow webhooks on GitHub")).to_be_visible()
    audit.check("automation needs the hook scope")

    card.get_by_label("I will add the webhook").check()
    card.get_by_role("button", name="Create automation").click()
    expect(card.locator(".manual-setup")).to_be_visible()
    settled(page)
    audit.check("manual automation created, secret shown")

    automation = Automation.objects.get()
    post = PagePost.objects.order_by("-id").first()  # the retrying one
    for number, outcome in enumerate(("queued", "ignored", "failed")):
        WebhookDelivery.objects.create(
            automation=automation, delivery_id=f"delivery-{number}", event="release",
            tag=f"v1.0.{number}", outcome=outcome, page_post=post if outcome == "queued" else None,
            detail="not_linked" if outcome == "failed" else "")
    card.get_by_role("button", name="Refresh").click()
    expect(card.locator(".delivery")).to_have_count(3)
    settled(page)
    audit.check("automation with a delivery")

    main.get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    audit.check("unlink dialog open")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    audit.assert_clean()


def test_token_warnings_banner_has_no_axe_violations(browser_page, app, staff_octocat,
                                                     sandbox_settings):
    sandbox_settings.config(facebook_long_lived_ttl_s=3 * 86400)
    page, audit = browser_page, Audit(browser_page)
    sign_in_and_link_a_page(page, app)
    call_command("check_tokens", verbosity=0)
    page.reload()
    expect(page.locator("#token-warnings")).to_be_visible()
    settled(page)
    audit.check("/facebook, token warnings")
    audit.assert_clean()


DOCUMENT_RULES = {"resultTypes": ["violations"], "runOnly": {"type": "rule", "values": [
    "html-has-lang", "html-lang-valid", "document-title", "meta-viewport"]}}


@pytest.mark.parametrize(("path", "ready"), [
    ("/api/v1/docs", ".swagger-ui .info .title"),
    ("/api/v1/redoc", "h1"),
])
def test_api_docs_pages_declare_their_language(browser_page, site, path, ready):
    page = browser_page
    page.goto(site + path)
    expect(page.locator(ready).first).to_contain_text("OAuth Bridge API")
    assert page.locator("html").get_attribute("lang") == "en"
    # The page around the docs is ours; Swagger UI's and Redoc's own markup is not (axe finds
    # their contrast, headings and nested controls), so only the document-level rules run here.
    audit = Audit(page)
    audit.check(path, DOCUMENT_RULES)
    audit.assert_clean()
    page.problems.console[:] = [c for c in page.problems.console if "cdn.redoc.ly" not in c]
    page.problems.foreign_requests[:] = [r for r in page.problems.foreign_requests
                                         if "cdn.redoc.ly" not in r]


def altered(page, pattern: str, change) -> None:
    """Answer `pattern` with the real API answer, changed by `change(json)` (a rarer state)."""
    def handle(route):
        response = route.fetch()
        route.fulfill(response=response, json=change(response.json()))
    page.route(pattern, handle)


def rare_link_state(link: dict) -> dict:
    """Both tokens refused, permissions missing, warnings of every kind, no Page chosen."""
    token = {**link["token"], "valid": False, "missing_scopes": ["pages_manage_posts"],
             "error_message": "Error validating access token."}
    return {**link, "relink_needed": True, "page_selected": False, "token": token,
            "page_token": {**link["page_token"], "valid": False},
            "warnings": [
                {"code": "token_invalid", "token": "user_token", "expires_at": None,
                 "message": "invalid"},
                {"code": "data_access_expiring", "token": "user_token",
                 "expires_at": "2027-01-02T10:00:00Z", "message": "data access"},
                {"code": "something_new", "token": None, "expires_at": None,
                 "message": "A warning this SPA has no words for."}]}


def every_post_status(answer: dict) -> dict:
    [post] = answer["results"]
    source = {"automation": 1, "repository": "octocat/Hello-World", "tag": "v1.0.0",
              "delivery_id": "d-1"}
    variants = [
        {"status": "scheduled", "scheduled_at": "2027-01-02T10:00:00Z"},
        {"status": "failed", "attempts": 3, "error_message": "Facebook refused the post."},
        {"status": "retrying", "attempts": 1, "error_code": "provider_unavailable",
         "next_attempt_at": "2027-01-01T10:00:00Z"},
        {"status": "unknown"}, {"status": "queued", "automation": source},
        {"status": "pending", "link": "https://example.com/news"}]
    return {**answer, "next": "http://testserver/next",
            "results": [{**post, **variant} for variant in variants]}


def every_delivery(automations: list) -> list:
    base = {"delivery_id": "d", "event": "release", "action": "published", "tag": "v1",
            "outcome": "queued", "detail": "", "page_post": None, "post_status": None,
            "times_received": 1, "received_at": "2027-01-01T10:00:00Z",
            "last_received_at": "2027-01-01T10:00:00Z"}
    kinds = [{"outcome": "ping", "event": "ping", "tag": ""}, {"outcome": "ignored"},
             {"outcome": "disabled"}, {"outcome": "failed", "detail": "not_linked"},
             {"post_status": "published"}, {"post_status": "failed"},
             {"post_status": "retrying", "times_received": 3}, {"post_status": "scheduled"}]
    deliveries = [{**base, **kind, "delivery_id": f"d-{n}"} for n, kind in enumerate(kinds)]
    return [{**a, "enabled": False, "recent_deliveries": deliveries} for a in automations]


def test_rarer_staff_states_have_no_axe_violations(browser_page, app, staff_octocat,
                                                   sandbox_settings):
    page, audit = browser_page, Audit(browser_page)
    sign_in_and_link_a_page(page, app)  # one Page: linked directly
    main = page.get_by_role("main")
    form = main.locator("#post")
    form.get_by_label("Message").fill("Hello")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("Posted to the Page.")).to_be_visible()
    card = main.locator("#automations")
    card.get_by_label("Repository").fill("octocat/Hello-World")
    card.get_by_label("I will add the webhook").check()
    card.get_by_role("button", name="Create automation").click()
    expect(card.locator(".manual-setup")).to_be_visible()

    altered(page, "**/api/v1/facebook/page", rare_link_state)
    altered(page, "**/api/v1/facebook/page/posts?page=1", every_post_status)
    altered(page, "**/api/v1/automations", every_delivery)
    page.route("**/api/v1/facebook/pages", lambda route: route.fulfill(json={"results": []}))
    page.reload()
    expect(main.locator("#token-warnings li")).to_have_count(3)
    expect(main.locator("#history .post")).to_have_count(6)
    expect(card.locator(".delivery")).to_have_count(8)
    expect(main.locator("#picker")).to_contain_text("manages no Pages")
    settled(page)
    audit.check("/facebook: tokens refused, warnings, every post status and delivery")

    page.unroute("**/api/v1/facebook/page/posts?page=1")
    page.route("**/api/v1/facebook/page/posts?page=1", lambda route: route.fulfill(
        status=504, json={"code": "provider_timeout", "message": "Facebook took too long."}))
    page.problems.expected_statuses.add(504)
    page.reload()
    expect(main.locator("#history").get_by_role("button", name="Try again")).to_be_visible()
    settled(page)
    audit.check("/facebook: post history failed to load")

    card.get_by_label("Repository").fill("octocat/Spoon-Knife")
    page.route("**/api/v1/automations", lambda route: route.fulfill(
        status=403, json={"code": "permission_missing", "message": "GitHub scope missing.",
                          "missing": ["admin:repo_hook"]}) if route.request.method == "POST"
        else route.fallback())
    card.get_by_role("button", name="Create automation").click()
    expect(card.get_by_role("button", name="Allow webhooks on GitHub")).to_be_visible()
    card.get_by_label("Message").fill("{nope}")
    expect(card.locator("#automation-preview")).to_have_text("Unknown placeholder {nope}")
    audit.check("/facebook: unknown placeholder, scope needed")
    audit.assert_clean()
