"""Steps the browser tests share: signing in through the sandbox's real consent pages."""

from __future__ import annotations

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
