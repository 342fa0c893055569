"""The staff Facebook page in a real browser: connect, pick a Page, post, history, refusal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import connect_facebook, sign_in, sign_in_and_link_a_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_connects_picks_a_page_posts_and_sees_history(browser_page, app, staff_octocat):
    page = browser_page
    sign_in(page, app, "octocat")
    expect(page.get_by_role("link", name="Manage the Facebook Page")).to_be_visible()
    connect_facebook(page, app, "alex")
    page.wait_for_url(app + "/facebook")
    main = page.get_by_role("main")
    expect(page.locator("#status")).to_have_text("Login to Facebook successful")
    expect(main.locator("#link")).to_contain_text("Access token is valid")

    # alex manages two Pages: the picker asks which one.
    picker = main.locator("#picker")
    expect(picker.get_by_role("radio")).to_have_count(2)
    second = picker.get_by_role("radio").nth(1)
    page_name = picker.locator("label").nth(1).evaluate("l => l.firstChild.textContent")
    second.check()
    picker.get_by_role("button", name="Use this Page").click()
    expect(main.locator("#link")).to_contain_text(page_name)
    expect(picker).to_be_hidden()
    expect(main.get_by_role("heading", level=2, name="Connection")).to_be_focused()

    form = main.locator("#post")
    form.get_by_label("Message").fill("Hello from the browser test")
    form.get_by_label("Link (optional)").fill("https://example.com/news")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("Posted to the Page.")).to_be_visible()
    history = main.locator("#history .post")
    expect(history.first).to_contain_text("Hello from the browser test")
    expect(history.first.locator(".badge")).to_have_text("Published")


def test_cancel_at_facebook_shows_a_human_message(browser_page, app, staff_octocat):
    page = browser_page
    sign_in(page, app, "octocat")
    connect_facebook(page, app, "sam", decision="cancel")
    page.wait_for_url(app + "/facebook/callback")
    expect(page.get_by_role("heading", level=1)).to_have_text("Facebook login cancelled")
    expect(page.get_by_role("alert")).to_contain_text("You cancelled at Facebook")
    page.get_by_role("link", name="Back to the Facebook Page").click()
    expect(page.get_by_role("button", name="Connect with Facebook")).to_be_visible()


def test_staff_with_one_page_is_linked_directly_and_can_unlink(browser_page, app, staff_octocat):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    main = page.get_by_role("main")
    expect(main.locator("#link")).to_contain_text("Access token is valid")
    expect(main.locator("#post").get_by_label("Message")).to_be_visible()
    main.get_by_role("button", name="Unlink").click()
    page.get_by_role("dialog").get_by_role("button", name="Unlink").click()
    expect(main.get_by_role("button", name="Connect with Facebook")).to_be_visible()
    expect(main.locator("#post")).to_be_hidden()
    expect(main.get_by_role("heading", level=2, name="Connection")).to_be_focused()


def test_non_staff_cannot_reach_the_staff_page(browser_page, app, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    page = browser_page
    sign_in(page, app, "mona")
    expect(page.get_by_role("link", name="Facebook Page")).to_have_count(0)
    expect(page.get_by_role("link", name="Manage the Facebook Page")).to_have_count(0)
    page.goto(app + "/facebook")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for staff only")
    main = page.get_by_role("main")
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_text("Connect with Facebook")).to_have_count(0)
    assert page.request.get(app + "/api/v1/facebook/page").status == 403


def test_staff_whose_page_permission_was_removed_see_no_way_in(browser_page, app,
                                                               staff_octocat):
    """Issue 16 item 13: staff, but an admin took `manage_facebook_page` away."""
    from django.contrib.auth.models import Permission

    from integrations.models import GitHubAccount

    page = browser_page
    sign_in(page, app, "octocat")
    expect(page.get_by_role("link", name="Manage the Facebook Page")).to_be_visible()
    user = GitHubAccount.objects.get(login="octocat").user
    user.user_permissions.remove(Permission.objects.get(codename="manage_facebook_page"))
    page.goto(app + "/profile")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Manage the Facebook Page")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Facebook Page")).to_have_count(0)
    page.goto(app + "/facebook")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You may not manage the Facebook Page")
    expect(page.get_by_role("main").get_by_text("Connect with Facebook")).to_have_count(0)
    assert page.request.get(app + "/api/v1/facebook/page").status == 403


def test_post_history_pages_older_and_newer(browser_page, app, staff_octocat):
    from integrations.models import PagePost

    page = browser_page
    sign_in_and_link_a_page(page, app)
    for number in range(21):  # one more than a page of history
        PagePost.objects.create(idempotency_key=f"history-{number}", page_id="1",
                                message=f"Post number {number}", status="published",
                                request_fingerprint="x")
    page.reload()
    history = page.get_by_role("main").locator("#history")
    expect(history.locator(".post")).to_have_count(20)
    expect(history.locator(".post").first).to_contain_text("Post number 20")
    pages = history.get_by_role("navigation", name="Post history pages")
    expect(pages.get_by_role("button", name="Newer")).to_be_disabled()
    pages.get_by_role("button", name="Older").click()
    expect(history.locator(".post")).to_have_count(1)
    expect(history.locator(".post")).to_contain_text("Post number 0")
    expect(pages.get_by_role("button", name="Older")).to_be_disabled()
    pages.get_by_role("button", name="Newer").click()
    expect(history.locator(".post")).to_have_count(20)


def test_expiring_token_shows_a_banner_to_reconnect_and_emails_staff_once(
        browser_page, app, staff_octocat, sandbox_settings):
    """Long-lived token TTL 3 days: after the daily check, the warning is in the SPA (and the
    API behind it), and one email went to staff; a second check sends none."""
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.core.management import call_command

    sandbox_settings.config(facebook_long_lived_ttl_s=3 * 86400)
    page = browser_page
    sign_in_and_link_a_page(page, app)
    staff = get_user_model().objects.get(is_staff=True)
    call_command("check_tokens", verbosity=0)
    assert [m.to for m in mail.outbox] == [[staff.email]] and staff.email
    call_command("check_tokens", verbosity=0)
    assert len(mail.outbox) == 1
    page.reload()
    banner = page.get_by_role("main").locator("#token-warnings")
    expect(banner).to_contain_text("The Facebook link needs attention")
    expect(banner).to_contain_text("expires on")
    expect(banner.get_by_role("button", name="Reconnect with Facebook")).to_be_visible()


def test_a_transient_facebook_failure_is_shown_as_retrying(browser_page, app, staff_octocat,
                                                           sandbox_settings):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    sandbox_settings.fault("facebook.feed", "5xx", status=503)
    main = page.get_by_role("main")
    form = main.locator("#post")
    form.get_by_label("Message").fill("Posted while Facebook hiccups")
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("will be retried automatically")).to_be_visible()
    latest = main.locator("#history .post").first
    expect(latest.locator(".badge")).to_have_text("Retrying")
    expect(latest).to_contain_text("Attempt 1 failed")
    expect(latest).to_contain_text("Next attempt")


# The one format of format.js, computed in the page for a <time>'s own datetime.
SAME_FORMAT = """(el) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium",
    timeStyle: "short" }).format(new Date(el.getAttribute("datetime"))) === el.textContent"""


def test_the_warning_banner_and_the_card_say_dates_the_same_way(
        browser_page, app, staff_octocat, sandbox_settings):
    sandbox_settings.config(facebook_long_lived_ttl_s=3 * 86400)
    page = browser_page
    sign_in_and_link_a_page(page, app)
    card = page.get_by_role("main").locator("#link")
    banner = card.locator("#token-warnings")
    expect(banner).to_contain_text("The Facebook login of the Page link expires on")
    banner_date = banner.locator("time")
    expect(banner_date).to_have_count(1)
    label = banner_date.text_content()
    # The card's validity line names the same expiry, in the same words.
    expect(card.locator(".validity")).to_have_text(f"Access token is valid. Expires at {label}")
    # Every date on the page (banner, link facts, post history) is in that one format.
    times = page.get_by_role("main").locator("time")
    assert times.count() >= 3
    assert all(times.nth(i).evaluate(SAME_FORMAT) for i in range(times.count()))
