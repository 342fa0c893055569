"""Release automations in a real browser: staff create one (granting GitHub's hook scope the
first time), a release at the sandbox reaches our webhook, a real worker posts it, and the post
shows in the history with its source."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from integrations.models import PagePost
from tests.browser.helpers import consent_github, sign_in
from tests.browser.test_facebook_flow import connect_facebook
from tests.fixtures.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_octocat(settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]


def test_staff_create_an_automation_and_a_release_shows_in_the_history(
        browser_page, app, staff_octocat, sandbox_settings, processes):
    page = browser_page
    sign_in(page, app, "octocat")
    connect_facebook(page, app, "sam")
    page.wait_for_url(app + "/facebook")
    card = page.get_by_role("main").locator("#automations")
    expect(card.get_by_text("No automation yet.")).to_be_visible()
    # The trust boundary, stated where the automation is made (issue 23).
    expect(card.locator("#automation-trust")).to_contain_text(
        "Anyone who can push to this repository can put text on the company Page")

    card.get_by_label("Repository").fill("octocat/Hello-World")
    expect(card.locator("#automation-preview")).to_have_text(
        "octocat/Hello-World v1.2.0 is out: Version 1.2 "
        "https://github.com/octocat/Hello-World/releases/tag/v1.2.0")
    card.get_by_label("Message").fill("{repository} {version}")
    expect(card.locator("#automation-preview")).to_have_text("Unknown placeholder {version}")
    card.get_by_label("Message").fill("New release {tag} of {repository}: {name}")

    # The first automation needs the hook scope: incremental authorization at GitHub.
    card.get_by_role("button", name="Create automation").click()
    card.get_by_role("button", name="Allow webhooks on GitHub").click()
    consent_github(page, "octocat")
    page.wait_for_url(app + "/facebook")
    expect(page.locator("#status")).to_have_text("GitHub access updated.")
    card = page.get_by_role("main").locator("#automations")
    expect(card.get_by_label("Repository")).to_have_value("octocat/Hello-World")
    expect(card.get_by_label("Message")).to_have_value(
        "New release {tag} of {repository}: {name}")
    card.get_by_role("button", name="Create automation").click()
    expect(card.get_by_text("the webhook is registered on octocat/Hello-World")).to_be_visible()
    expect(card.locator(".automation")).to_contain_text("webhook registered")
    assert len(sandbox_settings.hooks()) == 1

    worker = processes("worker")
    [delivery] = sandbox_settings.release("octocat/Hello-World", "v1.2.0", "Version 1.2")
    assert delivery["status"] == 200
    wait_for(lambda: PagePost.objects.filter(status="published").exists(),
             what="the worker's post", children=(worker,))

    card.get_by_role("button", name="Refresh").click()
    expect(card.locator(".delivery")).to_contain_text("Post queued")
    expect(card.locator(".delivery")).to_contain_text("v1.2.0")
    post = page.get_by_role("main").locator("#history .post").first
    expect(post).to_contain_text("New release v1.2.0 of octocat/Hello-World: Version 1.2")
    expect(post.locator(".badge")).to_have_text("Published")
    expect(post.locator(".post-source")).to_have_text(re.compile(
        r"From automation #\d+: octocat/Hello-World v1\.2\.0 · delivery "
        + re.escape(delivery["id"])))

    card.get_by_role("button", name="Disable").click()
    expect(card.locator(".automation")).to_contain_text("Disabled")
    assert sandbox_settings.hooks() == []
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(card.get_by_text("No automation yet.")).to_be_visible()
