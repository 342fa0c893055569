"""The image pipeline's steps: refusals by content, EXIF removed, orientation applied."""

import io

import pytest
from PIL import Image

from integrations.errors import ImageInvalid, ImageTooLarge, ImageTooManyPixels
from integrations.media import pipeline
from integrations.media.pipeline import ImageLimits, clean_image, fits_instagram
from tests.fixtures.images import (
    TEXT_AS_JPEG,
    bomb_png,
    image_bytes,
    padded_jpeg,
)

LIMITS = ImageLimits(max_bytes=8 * 1024 * 1024, max_pixels=40_000_000)


def run(data: bytes, limits=LIMITS):
    out = io.BytesIO()
    result = clean_image(io.BytesIO(data), size=len(data), limits=limits, out=out)
    return result, Image.open(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_gps_exif_is_gone_from_the_clean_jpeg(fmt):
    result, image = run(image_bytes(fmt, gps=True))
    assert image.format == "JPEG" and result.content_type == "image/jpeg"
    assert result.source_format == fmt
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "xmp" not in image.info and "icc_profile" not in image.info


def test_orientation_6_is_applied_and_the_tag_dropped():
    _, image = run(image_bytes(size=(40, 20), orientation=6, halves=True))
    assert image.size == (20, 40)
    # Orientation 6: the camera was turned; the left (red) half ends up on top.
    top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert ORIENT_TAG not in image.getexif()


ORIENT_TAG = 0x0112


@pytest.mark.parametrize("value", [0, 9])
def test_a_malformed_orientation_means_no_rotation(value):
    source = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[ORIENT_TAG] = value
    buffer = io.BytesIO()
    source.save(buffer, "JPEG", exif=exif)
    _, image = run(buffer.getvalue())
    assert image.size == (40, 20)


def test_a_crash_reading_the_orientation_means_no_rotation(monkeypatch):
    """Willow #104 / Pillow #4215: malformed EXIF made exif_transpose raise."""
    def broken(image, **kwargs):
        raise TypeError("orientation is a string")

    monkeypatch.setattr(pipeline.ImageOps, "exif_transpose", broken)
    _, image = run(image_bytes(size=(40, 20), orientation=6))
    assert image.size == (40, 20)


def test_transparency_is_flattened_onto_white():
    _, image = run(image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0)))
    assert image.mode == "RGB"
    assert all(channel > 240 for channel in image.getpixel((1, 1)))


def test_text_renamed_jpg_is_invalid():
    with pytest.raises(ImageInvalid):
        run(TEXT_AS_JPEG)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP"])
def test_only_jpeg_and_png_are_taken(fmt):
    with pytest.raises(ImageInvalid):
        run(image_bytes(fmt, mode="RGB"))


def test_truncated_jpeg_is_invalid():
    data = image_bytes(size=(300, 300))
    with pytest.raises(ImageInvalid):
        run(data[: len(data) // 2])


def test_over_the_byte_cap_is_refused_before_opening():
    data = padded_jpeg(9 * 1024 * 1024)
    with pytest.raises(ImageTooLarge):
        run(data)


def test_a_bomb_is_refused_from_its_header(monkeypatch):
    decoded = []
    monkeypatch.setattr(pipeline, "decode", lambda image: decoded.append(image) or image)
    with pytest.raises(ImageTooManyPixels):
        run(bomb_png())
    assert decoded == []


def test_our_pixel_cap_applies_below_pillows_own():
    with pytest.raises(ImageTooManyPixels):
        run(bomb_png(3000, 3000), limits=ImageLimits(max_bytes=LIMITS.max_bytes,
                                                    max_pixels=1_000_000))


def test_pillow_limit_comes_from_the_setting(settings):
    assert Image.MAX_IMAGE_PIXELS == settings.MEDIA_MAX_PIXELS


@pytest.mark.parametrize(("size", "fits"), [((1080, 1080), True), ((1080, 1350), True),
                                            ((1910, 1000), True), ((3000, 1000), False),
                                            ((1000, 1300), False)])
def test_instagram_aspect_ratio(size, fits):
    assert fits_instagram(*size) is fits
