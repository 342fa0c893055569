"""Release automations in a real browser: staff create one (granting GitHub's hook scope the
first time), a release at the sandbox reaches our webhook, a real worker posts it, and the post
shows in the history with its source."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from automations.models import Automation, WebhookDelivery
from integrations.models import PagePost
from tests.browser.helpers import consent_github, sign_in_and_link_a_page
from tests.fixtures.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_create_an_automation_and_a_release_shows_in_the_history(
        browser_page, app, staff_octocat, sandbox_settings, processes):
    page = browser_page
    sign_in_and_link_a_page(page, app)
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

    # The first automation needs the hook scope: incremental authorization at GitHub. Back
    # from the consent, the create the person asked for finishes by itself.
    card.get_by_role("button", name="Create automation").click()
    card.get_by_role("button", name="Allow webhooks on GitHub").click()
    consent_github(page, "octocat")
    page.wait_for_url(app + "/facebook")
    card = page.get_by_role("main").locator("#automations")
    expect(card.get_by_text("the webhook is registered on octocat/Hello-World")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Automation created for octocat/Hello-World.")
    expect(card.locator(".automation")).to_contain_text("webhook registered")
    expect(card.locator(".automation .post-message")).to_have_text(
        "New release {tag} of {repository}: {name}")
    expect(card.get_by_label("Repository")).to_have_value("")  # the form is done with
    assert len(sandbox_settings.hooks()) == 1
    [automation] = Automation.objects.all()
    assert automation.message_template == "New release {tag} of {repository}: {name}"

    worker = processes("worker")
    [delivery] = sandbox_settings.release("octocat/Hello-World", "v1.2.0", "Version 1.2")
    assert delivery["status"] == 200
    wait_for(lambda: PagePost.objects.filter(status="published").exists(),
             what="the worker's post", children=(worker,))

    card.get_by_role("button", name="Refresh").click()
    expect(card.locator(".delivery .badge")).to_have_text("Post published")
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


def test_a_create_waiting_for_the_hook_scope_resumes_with_every_field_after_consent(
        browser_page, app, staff_octocat, sandbox_settings):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    card = page.get_by_role("main").locator("#automations")
    card.get_by_label("Repository").fill("octocat/Hello-World")
    card.get_by_label("Also post tags").check()
    card.get_by_label("Link (optional)").fill("https://example.com/changelog")
    card.get_by_role("button", name="Create automation").click()
    card.get_by_role("button", name="Allow webhooks on GitHub").click()

    # Cancelled at GitHub: nothing is created, and back on /facebook the values are there but
    # nothing is sent behind the person's back.
    consent_github(page, "octocat", decision="cancel")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in cancelled")
    page.goto(app + "/facebook")
    card = page.get_by_role("main").locator("#automations")
    expect(card.get_by_label("Repository")).to_have_value("octocat/Hello-World")
    expect(card.get_by_label("Also post tags")).to_be_checked()
    expect(card.get_by_label("Link (optional)")).to_have_value("https://example.com/changelog")
    expect(card.get_by_text("No automation yet.")).to_be_visible()
    page.wait_for_timeout(300)
    assert not Automation.objects.exists()

    # Granted this time: the same create finishes on return, with every field.
    card.get_by_role("button", name="Create automation").click()
    card.get_by_role("button", name="Allow webhooks on GitHub").click()
    consent_github(page, "octocat")
    page.wait_for_url(app + "/facebook")
    expect(page.locator("#status")).to_have_text("Automation created for octocat/Hello-World.")
    [automation] = Automation.objects.all()
    assert automation.events == ["release", "tag"]
    assert automation.link == "https://example.com/changelog"
    assert automation.hook_mode == "github" and automation.hook_id is not None
    # A reload does not create it twice.
    page.reload()
    expect(page.get_by_role("main").locator(".automation")).to_have_count(1)
    expect(page.get_by_role("main").get_by_role("button", name="Allow webhooks on GitHub")
           ).to_have_count(0)
    assert Automation.objects.count() == 1


def test_a_delivery_s_badge_follows_its_post_after_it_was_queued(
        browser_page, app, staff_octocat, sandbox_settings):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    card = page.get_by_role("main").locator("#automations")
    card.get_by_label("Repository").fill("octocat/Hello-World")
    card.get_by_label("I will add the webhook").check()
    card.get_by_role("button", name="Create automation").click()
    expect(card.locator(".manual-setup")).to_be_visible()
    post = PagePost.objects.create(idempotency_key="github-delivery:d-1", message="v1.2.0",
                                   status="queued")
    WebhookDelivery.objects.create(automation=Automation.objects.get(), delivery_id="d-1",
                                   event="release", tag="v1.2.0", outcome="queued",
                                   page_post=post)
    badge = card.locator(".delivery .badge")
    card.get_by_role("button", name="Refresh").click()
    expect(badge).to_have_text("Post queued")

    PagePost.objects.filter(pk=post.pk).update(status="failed", error_code="token_invalid")
    card.get_by_role("button", name="Refresh").click()
    expect(badge).to_have_text("Post failed")
    expect(badge).to_have_class(re.compile(r"\bfailed\b"))

    PagePost.objects.filter(pk=post.pk).update(status="retrying")
    card.get_by_role("button", name="Refresh").click()
    expect(badge).to_have_text("Post retrying")
