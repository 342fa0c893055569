"""Steps the browser tests share: signing in through the sandbox's real consent pages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def consent_github(page: Page, user: str = "octocat", decision: str = "authorize") -> None:
    """On the sandbox's GitHub authorize page: pick the test user, press Authorize or Cancel."""
    expect(page.locator("form button[name=decision]").first).to_be_visible()
    page.locator(f"input[name=user][value='{user}']").check()
    page.locator(f"button[name=decision][value='{decision}']").click()


def consent_facebook(page: Page, user: str = "alex", decision: str = "continue") -> None:
    expect(page.locator("form button[name=decision]").first).to_be_visible()
    page.locator(f"input[name=user][value='{user}']").check()
    page.locator(f"button[name=decision][value='{decision}']").click()


def sign_in(page: Page, app: str, user: str = "octocat") -> None:
    """Home -> Sign in with GitHub -> sandbox consent -> callback -> profile."""
    page.goto(app + "/")
    page.get_by_role("button", name="Sign in with GitHub").click()
    consent_github(page, user)
    page.wait_for_url(app + "/profile")
    expect(page.get_by_role("heading", level=1, name="Your profile")).to_be_visible()


def connect_facebook(page: Page, app: str, user: str = "alex", decision: str = "continue") -> None:
    """Facebook Page -> Connect with Facebook -> sandbox consent -> back on /facebook."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facebook Page").click()
    page.wait_for_url(app + "/facebook")
    page.get_by_role("button", name="Connect with Facebook").click()
    consent_facebook(page, user, decision)
    page.wait_for_url(re.compile(re.escape(app) + r"/facebook(/callback)?$"))


def sign_in_and_link_a_page(page: Page, app: str) -> None:
    """Staff octocat signs in and connects sam, whose one Page is linked directly; on /facebook."""
    sign_in(page, app, "octocat")
    connect_facebook(page, app, "sam")
    page.wait_for_url(app + "/facebook")
