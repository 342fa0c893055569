"""The GitHub App journey in a real browser: staff install the app through GitHub's (the
sandbox's) install page, come back to the setup route, create an app-mode automation by
picking a repository (no scope prompt), a release becomes one Page post, and an uninstall
shows the automation as disabled."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from integrations.models import PagePost
from tests.browser.helpers import sign_in_and_link_a_page
from tests.fixtures.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_install_the_app_create_an_automation_and_a_release_posts_once(
        browser_page, app, staff_octocat, sandbox_settings, processes):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    card = page.get_by_role("main").locator("#automations")
    expect(card.get_by_text("Not installed on any account yet.")).to_be_visible()
    expect(card.get_by_label("Delivered by")).to_be_hidden()  # nothing to pick from yet

    card.get_by_role("button", name="Install the GitHub App").click()
    page.locator("input[name=account][value=octocat]").check()
    page.locator("input[name=repository][value='octocat/Hello-World']").check()
    page.get_by_role("button", name="Install").click()

    page.wait_for_url(app + "/facebook")
    expect(page.locator("#status")).to_contain_text("GitHub App installed")
    card = page.get_by_role("main").locator("#automations")
    installation = card.locator(".installation")
    expect(installation).to_contain_text("octocat")
    expect(installation).to_contain_text("octocat/Hello-World")
    expect(card.get_by_label("Delivered by")).to_have_value("app")

    card.get_by_label("Repository").fill("octocat/Hello-World")
    card.get_by_label("Message").fill("New release {tag} of {repository}")
    card.get_by_role("button", name="Create automation").click()
    expect(card.get_by_text("the GitHub App delivers octocat/Hello-World's releases")
           ).to_be_visible()
    expect(card.locator(".automation")).to_contain_text("delivered by the GitHub App")
    expect(card.get_by_role("button", name="Allow webhooks on GitHub")).to_have_count(0)
    assert sandbox_settings.hooks() == []

    worker = processes("worker")
    [delivery] = sandbox_settings.release("octocat/Hello-World", "v2.0.0", "Version 2")
    assert delivery["status"] == 200
    wait_for(lambda: PagePost.objects.filter(status="published").exists(),
             what="the worker's post", children=(worker,))
    card.get_by_role("button", name="Refresh").click()
    # The badge shows the post's current status (issue 24), published by now.
    expect(card.locator(".delivery")).to_contain_text("Post published")
    post = page.get_by_role("main").locator("#history .post").first
    expect(post).to_contain_text("New release v2.0.0 of octocat/Hello-World")
    assert PagePost.objects.count() == 1

    [installed] = [i for i in sandbox_settings._control("GET", "github/installations")[
        "installations"] if not i["deleted"]]
    sandbox_settings.installation_action(installed["id"], "uninstall")
    card.get_by_role("button", name="Refresh").click()
    expect(card.locator(".automation")).to_contain_text("Disabled")
    expect(card.locator(".disabled-reason")).to_have_text(
        "Disabled: the GitHub App was uninstalled from this account.")
    expect(card.get_by_text("Not installed on any account yet.")).to_be_visible()
