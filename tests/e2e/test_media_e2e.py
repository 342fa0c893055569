"""Images end to end: uploaded to the live server over HTTP, posted as a Page photo that the
sandbox fetches from PUBLIC_URL over real HTTP, and fetched back from the product."""

import io

import pytest
from PIL import Image

from integrations.models import MediaImage
from tests.e2e.test_facebook_e2e import SAM_PAGE, Browser, link
from tests.fixtures.facebook import assert_error, page_manager
from tests.fixtures.images import TEXT_AS_JPEG, bomb_png, image_bytes, padded_jpeg, stored_files

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(live_server, settings, facebook, media_root):
    return Browser(live_server.url, settings, page_manager("staffer"))


def upload(browser, data, name="photo.jpg", content_type="image/jpeg"):
    return browser.call("POST", "/api/v1/media", files={"file": (name, data, content_type)})


def test_a_png_with_gps_is_posted_as_a_photo_and_served_as_a_jpeg_without_exif(
        staff, facebook, media_root):
    link(staff, facebook, user="sam")
    uploaded = upload(staff, image_bytes("PNG", size=(300, 200), gps=True), "beach.png",
                      "image/png")
    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    assert image["url"].startswith(staff.base_url + "/media/images/")
    response = staff.post_to_page({"message": "Our new banner", "link": "https://example.com/r",
                                   "image": image["id"]}, "photo-e2e-1")
    assert response.status_code == 201, response.text
    post = response.json()
    [published] = facebook.posts()
    assert published["page_id"] == SAM_PAGE and published["id"] == post["facebook_post_id"]
    assert published["photo_id"] == post["facebook_photo_id"]
    assert published["message"] == "Our new banner\n\nhttps://example.com/r"
    assert published["image_bytes"] == image["bytes"], "the sandbox fetched the stored JPEG"
    [call] = facebook.requests("facebook.photos")
    assert call["form"]["url"] == image["url"]
    assert post["targets"][0]["permalink"] == f"https://www.facebook.com/{published['id']}"
    served = staff.http.get(image["url"], timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    fetched = Image.open(io.BytesIO(served.content))
    assert fetched.format == "JPEG" and fetched.size == (300, 200)
    assert len(fetched.getexif()) == 0 and "exif" not in fetched.info


@pytest.mark.parametrize(("data", "code"), [
    (TEXT_AS_JPEG, "image_invalid"),
    (padded_jpeg(9 * 1024 * 1024), "image_too_large"),
    (bomb_png(), "image_too_many_pixels"),
], ids=["text-renamed-jpg", "9-MB", "bomb"])
def test_refused_uploads_over_http_store_nothing(staff, media_root, data, code):
    assert_error(upload(staff, data), 400, code)
    assert MediaImage.objects.count() == 0 and stored_files(media_root) == []


def test_the_sandbox_refuses_a_photo_it_cannot_fetch(staff, facebook, media_root):
    link(staff, facebook, user="sam")
    image = upload(staff, image_bytes()).json()
    (media_root / MediaImage.objects.get(pk=image["id"]).storage_name).unlink()
    response = staff.post_to_page({"message": "gone", "image": image["id"]}, "photo-e2e-gone")
    assert_error(response, 422, "content_rejected")
    assert facebook.posts() == []
    [post] = staff.call("GET", "/api/v1/facebook/page/posts").json()["results"]
    assert post["status"] == "failed" and post["targets"][0]["error_code"] == "content_rejected"
