"""Page photo posts: a post with an uploaded image goes to /{page-id}/photos with the link in
its caption, with the same idempotency, retry and reconcile guarantees as text posts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integrations.errors import ProviderTimeout, ProviderUnavailable
from integrations.facebook import PagePostSummary
from integrations.models import PagePost
from integrations.services import media as media_service
from integrations.services import page_post_recovery
from tests.fixtures.facebook import assert_error
from tests.fixtures.images import image_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/facebook/page/posts"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PUBLIC_URL = "https://bridge.example.com"


@pytest.fixture
def image(staff_user):
    return media_service.store_image(upload=SimpleUploadedFile("a.png", image_bytes("PNG")),
                                     uploaded_by=staff_user)


def post(client, body, key="photo-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_post_with_an_image_is_a_photo_post_with_the_link_in_its_caption(
        staff_client, linked, image):
    response = post(staff_client, {"message": "v1.2 is out", "link": "https://example.com/r",
                                   "image": image.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    name, page_id, _, url, caption, scheduled = linked.calls[-1]
    assert name == "publish_photo" and page_id == "201" and scheduled is None
    assert url == media_service.image_url(image)
    assert caption == "v1.2 is out\n\nhttps://example.com/r"
    assert body["status"] == "published"
    assert (body["facebook_post_id"], body["facebook_photo_id"]) == ("201_1", "91")
    assert body["image"] == {"id": image.pk, "url": url, "width": 64, "height": 48}
    assert body["targets"] == [{"target": "facebook", "status": "published",
                                "provider_id": "201_1",
                                "permalink": "https://www.facebook.com/201_1",
                                "error_code": None, "error_message": None,
                                "container_id": None, "next_check_at": None}]
    history = staff_client.get(URL).json()["results"][0]
    assert history["targets"] == body["targets"] and history["image"]["id"] == image.pk


def test_a_post_without_an_image_still_goes_to_the_feed(staff_client, linked):
    response = post(staff_client, {"message": "text only"})
    assert response.status_code == 201
    assert linked.names() == ["publish_to_page"]
    assert response.json()["image"] is None


def test_an_unknown_image_is_refused_and_nothing_recorded(staff_client, linked):
    assert_error(post(staff_client, {"message": "x", "image": 999}), 400, "image_not_found")
    assert PagePost.objects.count() == 0 and linked.calls == []


def test_a_replay_with_another_image_is_refused(staff_client, linked, image, staff_user):
    other = media_service.store_image(upload=SimpleUploadedFile("b.jpg", image_bytes()))
    assert post(staff_client, {"message": "x", "image": image.pk}).status_code == 201
    assert post(staff_client, {"message": "x", "image": image.pk}).status_code == 200
    assert_error(post(staff_client, {"message": "x", "image": other.pk}), 422,
                 "idempotency_key_reused")
    assert linked.names() == ["publish_photo"]


def test_a_scheduled_photo_post(staff_client, linked, image):
    when = datetime.now(UTC) + timedelta(hours=2)
    response = post(staff_client, {"message": "later", "image": image.pk,
                                   "scheduled_at": when.isoformat()})
    assert response.status_code == 201 and response.json()["status"] == "scheduled"
    assert linked.calls[-1][-1] == when


def test_a_transient_failure_retries_the_photo(staff_client, linked, image,
                                               django_capture_on_commit_callbacks):
    linked.fail["publish_photo"] = ProviderUnavailable(provider="facebook")
    response = post(staff_client, {"message": "retry me", "image": image.pk})
    assert response.status_code == 202 and response.json()["status"] == "retrying"
    del linked.fail["publish_photo"]
    post_id = response.json()["id"]
    assert page_post_recovery.attempt_page_post(post_id=post_id) == "published"
    assert linked.names() == ["publish_photo", "list_page_posts", "publish_photo"]


def test_reconcile_finds_a_photo_post_by_its_caption(staff_client, linked, image):
    linked.fail["publish_photo"] = ProviderTimeout(provider="facebook")
    response = post(staff_client, {"message": "lost", "link": "https://example.com/l",
                                   "image": image.pk})
    assert response.status_code == 202 and response.json()["status"] == "unknown"
    linked.page_posts.append(PagePostSummary(
        id="201_77", message="lost\n\nhttps://example.com/l",
        link="https://www.facebook.com/photo.php?fbid=77", created_time=datetime.now(UTC)))
    post_id = response.json()["id"]
    assert page_post_recovery.reconcile_page_post(post_id=post_id) == "published"
    assert PagePost.objects.get(pk=post_id).facebook_post_id == "201_77"


def test_an_image_in_use_is_not_swept(staff_client, linked, image):
    assert post(staff_client, {"message": "keep", "image": image.pk}).status_code == 201
    MediaImageModel = type(image)
    MediaImageModel.objects.update(created_at=timezone.now() - timedelta(days=3))
    assert media_service.sweep_unused_images() == 0
    assert MediaImageModel.objects.filter(pk=image.pk).exists()
