"""Fetching an image URL the way Graph does: over real HTTP, bounded in time and size, then
decoded to see what it is (Page photos and Instagram containers). Test tooling only."""

from __future__ import annotations

import io
from dataclasses import dataclass

import requests
from PIL import Image, UnidentifiedImageError

FETCH_TIMEOUT_S = (3.05, 10)


@dataclass(frozen=True)
class FetchedImage:
    format: str | None  # Pillow's name (JPEG, PNG, …); None when it does not decode
    width: int
    height: int
    bytes: int


class FetchFailed(Exception):
    """The URL could not be fetched (connection error, timeout, non-200)."""


class FetchTooLarge(Exception):
    pass


def fetch_image(url: str, *, max_bytes: int) -> FetchedImage:
    if not url.startswith(("http://", "https://")):
        raise FetchFailed(url)
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_S, stream=True) as response:
            if response.status_code != 200:
                raise FetchFailed(url)
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise FetchTooLarge(url)
    except requests.RequestException as exc:
        raise FetchFailed(url) from exc
    try:
        with Image.open(io.BytesIO(bytes(data))) as image:
            return FetchedImage(image.format, image.width, image.height, len(data))
    except (UnidentifiedImageError, OSError):
        return FetchedImage(None, 0, 0, len(data))
