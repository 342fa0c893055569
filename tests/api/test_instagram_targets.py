"""Instagram as a post's second target: the checks made when the post is made (400 naming the
rule, nothing recorded), and the state machine's steps against the scripted fake client."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integrations.errors import InstagramNotReady, InstagramQuotaFull, ProviderTimeout
from integrations.facebook.instagram import InstagramAccount
from integrations.models import FacebookPageLink, PagePost, PostTarget
from integrations.services import instagram
from integrations.services import media as media_service
from tests.fixtures.facebook import assert_error
from tests.fixtures.images import image_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/facebook/page/posts"
IG = "17841400000000201"
SCOPES = ("pages_show_list", "pages_read_engagement", "pages_manage_posts", "instagram_basic",
          "instagram_content_publish")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PUBLIC_URL = "https://bridge.example.com"


@pytest.fixture
def instagram_linked(staff_client, fake_facebook):
    from tests.fixtures.facebook import link

    fake_facebook.scopes = SCOPES
    fake_facebook.instagram_account = InstagramAccount(id=IG, username="shop")
    assert link(staff_client).status_code == 200
    fake_facebook.calls.clear()
    return fake_facebook


def store(size=(400, 400)):
    return media_service.store_image(upload=SimpleUploadedFile("a.jpg", image_bytes(size=size)))


def post(client, body, key="ig-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def both(image, message="Hello", **extra):
    return {"message": message, "image": image.pk, "targets": ["facebook", "instagram"], **extra}


def test_linking_reads_the_instagram_account_when_the_scope_is_granted(
        staff_client, instagram_linked):
    state = staff_client.get("/api/v1/facebook/page").json()
    assert state["instagram"] == {"id": IG, "username": "shop"}
    assert state["instagram_publishing"] is True


def test_without_the_scopes_instagram_is_not_read(staff_client, linked):
    state = staff_client.get("/api/v1/facebook/page").json()
    assert state["instagram"] is None and state["instagram_publishing"] is False
    assert "get_instagram_account" not in linked.names()


def test_authorize_asks_for_the_instagram_scopes_only_when_asked(staff_client, fake_facebook):
    plain = staff_client.post("/api/v1/facebook/authorize", {}, format="json").json()
    assert "instagram" not in plain["authorize_url"]
    with_ig = staff_client.post("/api/v1/facebook/authorize", {"instagram": True},
                                format="json").json()
    assert "instagram_basic%2Cinstagram_content_publish" in with_ig["authorize_url"]


@pytest.mark.parametrize(("message", "rule"), [
    ("x" * 2201, "2200 characters"),
    (" ".join(f"#tag{i}" for i in range(31)), "30 hashtags"),
    (" ".join(f"@user{i}" for i in range(21)), "20 @ mentions"),
])
def test_caption_rules_are_a_400_naming_the_rule(staff_client, instagram_linked, message, rule):
    body = assert_error(post(staff_client, both(store(), message=message)), 400,
                        "validation_error")
    assert rule in body["fields"]["message"][0]
    assert PagePost.objects.count() == 0 and instagram_linked.calls == []


def test_a_panorama_is_refused_for_instagram(staff_client, instagram_linked):
    assert_error(post(staff_client, both(store(size=(900, 300)))), 400, "image_aspect_ratio")
    assert PagePost.objects.count() == 0


def test_instagram_needs_an_image_and_a_connected_account(staff_client, instagram_linked,
                                                          linked):
    body = assert_error(post(staff_client, {"message": "x", "targets": ["facebook", "instagram"]}),
                        400, "validation_error")
    assert "targets" in body["fields"]
    FacebookPageLink.objects.update(instagram_user_id="")
    assert_error(post(staff_client, both(store())), 409, "instagram_not_connected")


def test_a_post_to_both_records_one_target_and_facebook_goes_at_once(
        staff_client, instagram_linked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(staff_client, both(store()))
    assert response.status_code == 201
    body = response.json()
    assert [t["target"] for t in body["targets"]] == ["facebook", "instagram"]
    assert body["targets"][1]["status"] == "queued" and len(callbacks) == 1
    assert instagram_linked.names() == ["publish_photo"]


def make_target(staff_client, fake, **body):
    response = post(staff_client, both(store(), **body), key=f"k-{PostTarget.objects.count()}")
    assert response.status_code == 201, response.content
    fake.calls.clear()
    return PostTarget.objects.get(post_id=response.json()["id"])


def advance(target):
    result = instagram.advance_instagram_target(target_id=target.pk)
    target.refresh_from_db()
    return result


def test_container_in_progress_is_polled_then_published_once(staff_client, instagram_linked):
    instagram_linked.container_statuses = ["IN_PROGRESS", "FINISHED"]
    target = make_target(staff_client, instagram_linked)
    advance(target)
    assert (target.status, target.container_id) == ("processing", "17890000000000001")
    assert target.next_check_at > timezone.now()
    advance(target)
    assert target.status == "processing" and target.status_checks == 1
    advance(target)
    assert (target.status, target.media_id, target.permalink) == (
        "published", "17900000000000001", "https://www.instagram.com/p/abc/")
    assert instagram_linked.names().count("publish_container") == 1
    assert advance(target) == "nothing to do"


def test_a_failed_permalink_read_never_fails_or_repeats_the_target(
        staff_client, instagram_linked, monkeypatch):
    target = make_target(staff_client, instagram_linked)
    advance(target)

    def broken(media_id, token):
        raise ProviderTimeout(provider="facebook")

    monkeypatch.setattr(instagram_linked, "get_media_permalink", broken)
    advance(target)
    assert (target.status, target.permalink, target.permalink_checks) == ("published", "", 1)
    monkeypatch.undo()
    advance(target)
    assert target.permalink and instagram_linked.names().count("publish_container") == 1


def test_an_unknown_publish_outcome_is_settled_by_the_container_status(
        staff_client, instagram_linked, monkeypatch):
    target = make_target(staff_client, instagram_linked)
    advance(target)  # container
    real = instagram_linked.publish_container

    def timed_out(ig, token, container):
        real(ig, token, container)  # Instagram published it …
        raise ProviderTimeout(provider="facebook")  # … and the answer was lost

    monkeypatch.setattr(instagram_linked, "publish_container", timed_out)
    advance(target)
    assert target.status == "publishing" and target.error_code == "provider_unavailable"
    advance(target)
    assert target.status == "published" and target.media_id == ""
    assert instagram_linked.names().count("publish_container") == 1


def test_a_finished_container_left_publishing_by_a_crash_is_published_once(
        staff_client, instagram_linked):
    target = make_target(staff_client, instagram_linked)
    instagram_linked.container_statuses = ["IN_PROGRESS", "FINISHED"]
    advance(target)
    PostTarget.objects.filter(pk=target.pk).update(
        status="publishing", publish_started_at=timezone.now() - timedelta(minutes=5))
    target.refresh_from_db()
    advance(target)  # FINISHED: never published, so publish
    assert target.status == "published"
    assert instagram_linked.names().count("publish_container") == 1


def test_the_sweep_requeues_a_lost_create_and_hands_a_lost_publish_to_its_settle(
        staff_client, instagram_linked, settings, django_capture_on_commit_callbacks):
    settings.PAGE_POST_STALE_AFTER_S = 60
    creating = make_target(staff_client, instagram_linked)
    publishing = make_target(staff_client, instagram_linked, message="Again")
    fresh = make_target(staff_client, instagram_linked, message="Fresh")
    old = timezone.now() - timedelta(minutes=5)
    PostTarget.objects.filter(pk=creating.pk).update(
        status="creating", updated_at=old, next_check_at=None)
    PostTarget.objects.filter(pk=publishing.pk).update(
        status="publishing", container_id="17890000000000009", updated_at=old,
        next_check_at=None)
    PostTarget.objects.filter(pk=fresh.pk).update(status="publishing", next_check_at=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert instagram.sweep_stale_instagram_targets() == 2
    assert len(callbacks) == 2
    creating.refresh_from_db()
    publishing.refresh_from_db()
    assert creating.status == "queued", "another container is harmless"
    assert publishing.status == "publishing", "only the container's status settles it"
    assert PostTarget.objects.get(pk=fresh.pk).status == "publishing"


def test_not_ready_goes_back_to_polling_and_quota_full_waits(
        staff_client, instagram_linked, monkeypatch):
    target = make_target(staff_client, instagram_linked)
    advance(target)

    def not_ready(*args):
        raise InstagramNotReady(provider="facebook")

    monkeypatch.setattr(instagram_linked, "publish_container", not_ready)
    advance(target)
    assert target.status == "processing"

    def quota(*args):
        raise InstagramQuotaFull(provider="facebook")

    monkeypatch.setattr(instagram_linked, "publish_container", quota)
    advance(target)
    assert (target.status, target.error_code) == ("waiting_quota", "instagram_quota_full")
    assert target.container_id, "the container is kept for the window"


def test_a_full_quota_creates_no_container(staff_client, instagram_linked):
    instagram_linked.quota = (100, 100)
    target = make_target(staff_client, instagram_linked)
    advance(target)
    assert target.status == "waiting_quota" and target.container_id == ""
    assert "create_image_container" not in instagram_linked.names()


def test_check_tokens_warns_when_the_instagram_permission_is_revoked(
        staff_client, instagram_linked, staff_user):
    from django.core import mail
    from django.core.cache import cache

    from integrations.services import token_warnings

    staff_user.email = "staff@example.com"
    staff_user.save()
    assert token_warnings.check_tokens() == []
    instagram_linked.scopes = SCOPES[:3]  # instagram_* revoked in Facebook's settings
    cache.clear()  # the ~60 s validity cache
    [warning] = token_warnings.check_tokens()
    assert warning.code == "instagram_permission_missing"
    assert "instagram_basic, instagram_content_publish" in warning.message
    assert len(mail.outbox) == 1
    assert token_warnings.check_tokens() == [], "once per token and threshold"
    codes = [w["code"] for w in staff_client.get("/api/v1/facebook/page").json()["warnings"]]
    assert codes == ["instagram_permission_missing"]


def test_a_release_breaking_instagram_rules_still_posts_to_facebook(
        instagram_linked, django_capture_on_commit_callbacks):
    from automations.posting import enqueue_release_post

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = enqueue_release_post(message="x" * 2300, link="https://example.com/r",
                                    content_key="release:a1:r1:42:published", image=store().pk,
                                    targets=["facebook", "instagram"])
    assert post.status == "queued" and len(callbacks) == 1, "only Facebook's attempt is queued"
    [target] = PostTarget.objects.filter(post=post)
    assert (target.status, target.error_code) == ("failed", "validation_error")
    assert "2200 characters" in target.error_message
    again = enqueue_release_post(message="x" * 2300, link="https://example.com/r",
                                 content_key="release:a1:r1:42:published",
                                 image=target.post.image_id,
                                 targets=["facebook", "instagram"])
    assert again.pk == post.pk and PostTarget.objects.count() == 1
