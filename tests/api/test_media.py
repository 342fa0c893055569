"""POST /api/v1/media: a clean JPEG stored at an unguessable URL, or a 400 naming the problem
with nothing stored; the files are served under /media/ and swept when unused."""

import io
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from integrations.models import MediaImage
from integrations.services import media as media_service
from tests.fixtures.facebook import assert_error
from tests.fixtures.images import (
    TEXT_AS_JPEG,
    bomb_png,
    image_bytes,
    padded_jpeg,
    stored_files,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/media"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PUBLIC_URL = "https://bridge.example.com"
    return tmp_path


def upload(client, data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type=content_type)},
                       format="multipart")


def fetch(client, url: str) -> bytes:
    path = url.removeprefix("https://bridge.example.com")
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    return b"".join(response.streaming_content)


def test_png_with_gps_becomes_a_jpeg_without_exif(staff_client, media_root):
    response = upload(staff_client, image_bytes("PNG", size=(120, 80), gps=True), "beach.png",
                      "image/png")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (120, 80)
    assert body["url"].startswith("https://bridge.example.com/media/images/")
    assert body["url"].endswith(".jpg") and "beach" not in body["url"]
    served = fetch(staff_client, body["url"])
    assert len(served) == body["bytes"]
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG" and len(image.getexif()) == 0
    assert len(stored_files(media_root)) == 1


def test_names_carry_at_least_128_random_bits(staff_client):
    urls = {upload(staff_client, image_bytes()).json()["url"] for _ in range(3)}
    assert len(urls) == 3
    for url in urls:
        token = url.rsplit("/", 1)[1].removesuffix(".jpg")
        assert len(token) * 6 >= 128


@pytest.mark.parametrize(("data", "code"), [
    (TEXT_AS_JPEG, "image_invalid"),
    (padded_jpeg(9 * 1024 * 1024), "image_too_large"),
    (bomb_png(), "image_too_many_pixels"),
], ids=["text-renamed-jpg", "9-MB", "bomb"])
def test_refusals_name_the_problem_and_store_nothing(staff_client, media_root, data, code):
    assert_error(upload(staff_client, data), 400, code)
    assert MediaImage.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_declared_body_over_the_cap_is_refused_before_reading(staff_client):
    response = staff_client.generic(
        "POST", URL, b"", content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert_error(response, 400, "image_too_large")


def test_a_failed_record_deletes_the_stored_file(staff_client, media_root, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(MediaImage.objects, "create", broken)
    with pytest.raises(RuntimeError):
        media_service.store_image(upload=SimpleUploadedFile("a.jpg", image_bytes()))
    assert stored_files(media_root) == []


def test_missing_file_is_a_validation_error(staff_client):
    body = assert_error(staff_client.post(URL, {}, format="multipart"), 400, "validation_error")
    assert "file" in body["fields"]


def test_json_is_not_an_upload(staff_client):
    assert_error(staff_client.post(URL, {"file": "x"}, format="json"), 415,
                 "unsupported_media_type")


def test_only_page_managers_upload(api_client, plain_client, staff_without_page_permission):
    data = image_bytes()
    assert upload(api_client, data).status_code in (401, 403)
    assert_error(upload(plain_client, data), 403, "permission_denied")
    assert_error(upload(staff_without_page_permission, data), 403, "permission_denied")
    assert MediaImage.objects.count() == 0


def test_unknown_names_are_not_served(client):
    assert client.get("/media/images/../../settings.py").status_code == 404
    assert client.get("/media/images/" + "A" * 32 + ".jpg").status_code == 404


def test_sweep_deletes_images_unused_for_a_day(staff_client, media_root):
    old = MediaImage.objects.get(pk=upload(staff_client, image_bytes()).json()["id"])
    fresh = upload(staff_client, image_bytes()).json()["id"]
    MediaImage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    out = StringIO()
    call_command("sweep", stdout=out)
    assert "unused_images: 1" in out.getvalue()
    assert list(MediaImage.objects.values_list("pk", flat=True)) == [fresh]
    assert len(stored_files(media_root)) == 1
    assert not (media_root / old.storage_name).exists()
