"""The picture journey in a real browser: connect the Page and Instagram, upload an image (a
preview), post to both, and see both links in the history once the worker has published."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import consent_facebook, sign_in_and_link_a_page
from tests.fixtures.images import TEXT_AS_JPEG, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_octocat(settings, tmp_path, sandbox_settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    settings.MEDIA_ROOT = str(tmp_path)
    settings.INSTAGRAM_POLL_BASE_S = 0.2
    sandbox_settings.config(instagram_container_in_progress_s=0.3)


def test_upload_preview_post_to_both_and_see_both_links(browser_page, app, staff_octocat,
                                                        processes):
    page = browser_page
    sign_in_and_link_a_page(page, app)
    main = page.get_by_role("main")
    main.get_by_role("button", name="Connect Instagram").click()
    consent_facebook(page, "sam")
    page.wait_for_url(re.compile(re.escape(app) + r"/facebook(/callback)?$"))
    expect(main.locator(".instagram-state")).to_contain_text("@samsgarage")

    form = main.locator("#post")
    form.get_by_label("Image (optional)").set_input_files(
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": TEXT_AS_JPEG}])
    expect(form.get_by_role("alert")).to_contain_text("not a JPEG or PNG")
    form.get_by_label("Image (optional)").set_input_files(
        files=[{"name": "banner.png", "mimeType": "image/png",
                "buffer": image_bytes("PNG", size=(600, 600), gps=True)}])
    preview = form.locator(".image-preview img")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 600

    worker = processes("worker")
    form.get_by_label("Message").fill("Our new banner")
    form.get_by_label(re.compile("Also on Instagram")).check()
    form.get_by_role("button", name="Post to Page").click()
    expect(form.get_by_text("Posted to the Page.")).to_be_visible()

    history = main.locator("#history .post").first
    expect(history.locator(".post-image")).to_be_visible()
    expect(history.locator("[data-target=facebook] a")).to_have_attribute(
        "href", re.compile(r"^https://www\.facebook\.com/"))
    # The Instagram target publishes in the worker; the history shows it when reloaded.
    for _ in range(60):
        page.reload()
        instagram = main.locator("#history .post").first.locator("[data-target=instagram]")
        instagram.wait_for()
        if instagram.locator("a").count():
            break
        page.wait_for_timeout(500)
    expect(instagram.locator("a")).to_have_attribute(
        "href", re.compile(r"^https://www\.instagram\.com/p/"))
    assert worker.process.poll() is None
