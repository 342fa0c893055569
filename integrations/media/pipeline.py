"""The image pipeline: small pure steps from an uploaded file to a clean JPEG.

size cap → open lazily, format from the content (JPEG/PNG) → pixel cap from the header, before
any decoding → decode → orient by EXIF (guarded) → RGB, alpha flattened onto white → a new JPEG
written without EXIF, XMP, ICC or comments. Each step takes an image or a file and answers an
image or raises a typed refusal (`integrations.errors.ImageRefused`), so the caller only maps
refusals to codes. Plain Pillow, no Django (facts and pitfalls: EXAMPLES-ROUND3.md 7 and 8).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from integrations.errors import ImageInvalid, ImageTooLarge, ImageTooManyPixels

logger = logging.getLogger(__name__)

# What Pillow detects from the bytes (never the file name). MPO is a JPEG with extra frames
# (phone cameras): its first frame is the picture.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
# Instagram's feed range (PROVIDERS-APPS-MEDIA.md F3): 4:5 portrait to 1.91:1 landscape.
INSTAGRAM_MIN_RATIO, INSTAGRAM_MAX_RATIO = 4 / 5, 1.91
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    jpeg_quality: int = 85


@dataclass(frozen=True)
class CleanImage:
    """The re-encoded JPEG (written to the caller's file) and what it is."""

    bytes: int
    width: int
    height: int
    source_format: str
    content_type: str = "image/jpeg"


def configure_pillow(max_pixels: int) -> None:
    """Pillow's own bomb check from the same setting as ours (Wagtail #10967: two limits that
    disagree), and its bomb warning raised as an error so it is refused, not logged."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def check_byte_size(size: int | None, limits: ImageLimits) -> None:
    if size is None or size > limits.max_bytes:
        raise ImageTooLarge(f"The image is over {limits.max_bytes // (1024 * 1024)} MB.")


def open_image(fp: IO[bytes]) -> Image.Image:
    """Read only the header: the format comes from the content, never the name."""
    try:
        image = Image.open(fp, formats=("JPEG", "PNG"))  # MPO comes from JPEG
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooManyPixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageInvalid() from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ImageInvalid()
    return image


def check_pixels(image: Image.Image, limits: ImageLimits) -> None:
    """From the header, before decoding: a small file may claim billions of pixels."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageInvalid()
    if width * height > limits.max_pixels:
        raise ImageTooManyPixels(
            f"The image has {width}x{height} pixels; at most {limits.max_pixels:,} are taken.")
    if ACCEPTED_FORMATS[image.format] == "PNG" and getattr(image, "n_frames", 1) > 1:
        raise ImageInvalid("Animated images are not taken; upload a still JPEG or PNG.")


def decode(image: Image.Image) -> Image.Image:
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooManyPixels() from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise ImageInvalid("The image data is damaged or truncated.") from exc
    return image


def orient(image: Image.Image) -> Image.Image:
    """Rotate as the EXIF orientation says, in place (no second copy of the pixels). A tag
    that is missing, 0, a string or otherwise malformed means no rotation, never an error."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except (KeyError, TypeError, ValueError, AttributeError, OSError, SyntaxError) as exc:
        logger.info("image orientation ignored: %s", type(exc).__name__)
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency is flattened onto white, other modes converted."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, out: IO[bytes], *, quality: int) -> int:
    """A new JPEG from the pixels only: nothing of the source's metadata is passed on."""
    image.info = {}
    image.save(out, "JPEG", quality=quality)
    size = out.tell()
    out.seek(0)
    return size


def clean_image(fp: IO[bytes], *, size: int | None, limits: ImageLimits,
                out: IO[bytes]) -> CleanImage:
    """The whole pipeline: the clean JPEG is written to `out` (rewound), or a refusal raised."""
    check_byte_size(size, limits)
    with open_image(fp) as image:
        check_pixels(image, limits)
        source_format = ACCEPTED_FORMATS[image.format]
        clean = to_rgb(orient(decode(image)))
        nbytes = encode_jpeg(clean, out, quality=limits.jpeg_quality)
        return CleanImage(bytes=nbytes, width=clean.width, height=clean.height,
                          source_format=source_format)


def fits_instagram(width: int, height: int) -> bool:
    return height > 0 and INSTAGRAM_MIN_RATIO <= width / height <= INSTAGRAM_MAX_RATIO
