"""Instagram cross-posting end to end: the live server, a real `db_worker`, and the sandbox
playing Graph (it fetches the image from PUBLIC_URL over HTTP). One post, two targets; the
Instagram target is a state machine of scheduled tasks."""

import time

import pytest
from django.core.management import call_command

from tests.e2e.test_facebook_e2e import SAM_PAGE, Browser
from tests.fixtures.facebook import assert_error, page_manager
from tests.fixtures.images import image_bytes
from tests.fixtures.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SAM_INSTAGRAM = "17841400000000201"


@pytest.fixture
def staff(live_server, settings, facebook, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.INSTAGRAM_POLL_BASE_S = 0.2
    settings.INSTAGRAM_POLL_MAX_S = 0.5
    facebook.config(instagram_container_in_progress_s=0.6)
    return Browser(live_server.url, settings, page_manager("staffer"))


def connect_instagram(browser, sandbox, user="sam"):
    started = browser.call("POST", "/api/v1/facebook/authorize", json={"instagram": True})
    assert started.status_code == 201, started.text
    assert "instagram_content_publish" in started.json()["authorize_url"]
    params = sandbox.facebook_consent(started.json()["authorize_url"], user=user)
    response = browser.call("POST", "/api/v1/facebook/callback",
                            json={"code": params["code"], "state": params["state"]})
    assert response.status_code == 200, response.text
    return response.json()


def upload(browser, size=(400, 400)):
    response = browser.call("POST", "/api/v1/media",
                            files={"file": ("p.jpg", image_bytes(size=size), "image/jpeg")})
    assert response.status_code == 201, response.text
    return response.json()


def instagram_target(browser, post_id):
    posts = browser.call("GET", "/api/v1/facebook/page/posts").json()["results"]
    post = next(p for p in posts if p["id"] == post_id)
    return post, next(t for t in post["targets"] if t["target"] == "instagram")


def settled(browser, post_id, status=("published", "failed")):
    post, target = instagram_target(browser, post_id)
    return (post, target) if target["status"] in status else None


def with_permalink(browser, post_id):
    post, target = instagram_target(browser, post_id)
    return (post, target) if target["permalink"] else None


def post_both(browser, image, key, message="New release"):
    response = browser.post_to_page({"message": message, "image": image["id"],
                                     "targets": ["facebook", "instagram"]}, key)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_page_shows_its_instagram_account_and_the_permission(staff, facebook):
    state = connect_instagram(staff, facebook)
    assert state["instagram"] == {"id": SAM_INSTAGRAM, "username": "samsgarage"}
    assert state["instagram_publishing"] is True


def test_a_post_to_both_targets_publishes_once_on_each(staff, facebook, processes):
    connect_instagram(staff, facebook)
    image = upload(staff)
    worker = processes("worker")
    body = post_both(staff, image, "both-1")
    assert body["status"] == "published"
    post, target = wait_for(lambda: settled(staff, body["id"]), what="instagram",
                            children=(worker,))
    assert target["status"] == "published", target
    # The permalink is read after the publish is recorded (a failed read never repeats a
    # publish), so it may come a moment later.
    post, target = wait_for(lambda: with_permalink(staff, body["id"]), what="the permalink",
                            children=(worker,))
    [media] = facebook._control("GET", "instagram/media")["media"]
    assert target["provider_id"] == media["id"] and target["permalink"] == media["permalink"]
    assert media["caption"] == "New release" and media["ig_user_id"] == SAM_INSTAGRAM
    [photo] = facebook.posts()
    assert photo["page_id"] == SAM_PAGE and photo["id"] == post["facebook_post_id"]
    assert len(facebook.requests("facebook.ig_media")) == 1
    assert len(facebook.requests("facebook.ig_media_publish")) == 1
    assert facebook.requests("facebook.ig_container"), "the container was polled"
    assert facebook.requests("facebook.ig_publishing_limit"), "the quota was read first"


def test_container_error_fails_instagram_with_the_reason_and_facebook_stands(
        staff, facebook, processes):
    connect_instagram(staff, facebook)
    image = upload(staff)
    facebook.fault("facebook.ig_media", "container_error")
    worker = processes("worker")
    body = post_both(staff, image, "error-1")
    post, target = wait_for(lambda: settled(staff, body["id"]), what="instagram",
                            children=(worker,))
    assert (target["status"], target["error_code"]) == ("failed", "container_error")
    assert "2207001" in target["error_message"]
    assert post["status"] == "published" and len(facebook.posts()) == 1
    assert facebook.requests("facebook.ig_media_publish") == []


def test_a_full_quota_waits_for_the_window_then_publishes(staff, facebook, processes, settings):
    connect_instagram(staff, facebook)
    settings.INSTAGRAM_QUOTA_RETRY_S = 1.5
    image = upload(staff)
    facebook.fault("facebook.ig_publishing_limit", "quota_exhausted")
    worker = processes("worker")
    body = post_both(staff, image, "quota-1")
    _, waiting = wait_for(lambda: settled(staff, body["id"], status=("waiting_quota",)),
                          what="the quota wait", children=(worker,))
    assert waiting["error_code"] == "instagram_quota_full" and waiting["next_check_at"]
    assert facebook.requests("facebook.ig_media") == [], "no container before the window"
    _, target = wait_for(lambda: settled(staff, body["id"]), what="publishing",
                         children=(worker,))
    assert target["status"] == "published"
    assert len(facebook.requests("facebook.ig_publishing_limit")) >= 2
    assert len(facebook._control("GET", "instagram/media")["media"]) == 1


def test_a_worker_killed_during_media_publish_never_posts_twice(
        staff, facebook, processes, settings):
    connect_instagram(staff, facebook)
    settings.PAGE_POST_STALE_AFTER_S = 0.5
    image = upload(staff)
    # Graph answers media_publish late (after the post is made): the worker is killed waiting.
    facebook.fault("facebook.ig_media_publish", "timeout", seconds=3)
    worker = processes("worker")
    body = post_both(staff, image, "crash-1")
    wait_for(lambda: facebook.requests("facebook.ig_media_publish"), what="media_publish",
             children=(worker,))
    worker.kill()
    wait_for(lambda: facebook._control("GET", "instagram/media")["media"], what="the post")
    _, target = instagram_target(staff, body["id"])
    assert target["status"] == "publishing", "the outcome was never written"
    time.sleep(0.6)  # older than PAGE_POST_STALE_AFTER_S: the sweep hands it on
    call_command("sweep")
    restarted = processes("worker")
    _, target = wait_for(lambda: settled(staff, body["id"]), what="the settle",
                         children=(restarted,))
    assert target["status"] == "published"
    assert len(facebook._control("GET", "instagram/media")["media"]) == 1
    assert len(facebook.requests("facebook.ig_media_publish")) == 1


def test_a_panorama_is_refused_for_instagram_and_nothing_recorded(staff, facebook):
    connect_instagram(staff, facebook)
    image = upload(staff, size=(900, 300))
    response = staff.post_to_page({"message": "wide", "image": image["id"],
                                   "targets": ["facebook", "instagram"]}, "wide-1")
    assert_error(response, 400, "image_aspect_ratio")
    assert staff.call("GET", "/api/v1/facebook/page/posts").json()["count"] == 0
    assert facebook.posts() == []
