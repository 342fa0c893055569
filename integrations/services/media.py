"""Uploaded images as a flow: run the pipeline, store the clean JPEG, record it; find, link and
sweep them.

Storage goes through Django's storage API (`STORAGES["default"]`), never paths, so object
storage works by setting alone. A stored name is a fixed prefix plus 192 random bits: it is the
whole secret of the public URL the providers fetch, so it never comes from the uploader.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.errors import ImageNotFound
from integrations.media.pipeline import ImageLimits, clean_image
from integrations.models import MediaImage

logger = logging.getLogger(__name__)

STORAGE_PREFIX = "images/"
NAME_BYTES = 24  # 192 bits, URL-safe base64: 32 characters


def image_limits() -> ImageLimits:
    return ImageLimits(max_bytes=settings.MEDIA_MAX_BYTES, max_pixels=settings.MEDIA_MAX_PIXELS,
                       jpeg_quality=settings.MEDIA_JPEG_QUALITY)


def new_storage_name() -> str:
    return f"{STORAGE_PREFIX}{secrets.token_urlsafe(NAME_BYTES)}.jpg"


def store_image(*, upload, uploaded_by=None) -> MediaImage:
    """Validate and re-encode `upload` (a Django UploadedFile), store it, record it. A refusal
    stores nothing; a failed record deletes the stored file (nothing half-stored)."""
    with tempfile.TemporaryFile() as out:
        clean = clean_image(upload, size=upload.size, limits=image_limits(), out=out)
        name = default_storage.save(new_storage_name(), File(out, name="image.jpg"))
    try:
        image = MediaImage.objects.create(
            storage_name=name, content_type=clean.content_type, bytes=clean.bytes,
            width=clean.width, height=clean.height, source_format=clean.source_format,
            original_name=(upload.name or "")[:255], uploaded_by=uploaded_by)
    except BaseException:
        default_storage.delete(name)
        raise
    logger.info("image %s stored (%s bytes, %sx%s, from %s) by user %s", image.pk, image.bytes,
                image.width, image.height, image.source_format, image.uploaded_by_id,
                extra={"event": "media_upload"})
    return image


def image_url(image: MediaImage) -> str:
    """Where the providers (and the SPA's preview) fetch it: the storage's own URL when it is
    absolute (object storage, pre-signed), else under PUBLIC_URL."""
    url = default_storage.url(image.storage_name)
    return url if "://" in url else settings.PUBLIC_URL + url


def get_image(image_id) -> MediaImage:
    image = MediaImage.objects.filter(pk=image_id).first() \
        if isinstance(image_id, int) and image_id > 0 else None
    if image is None:
        raise ImageNotFound()
    return image


def _unused(queryset):
    """Images no row refers to (posts, automations: every model with a key to MediaImage,
    found through Django's relations so this layer imports none of them)."""
    for relation in MediaImage._meta.related_objects:
        queryset = queryset.filter(**{f"{relation.name}__isnull": True})
    return queryset


def sweep_unused_images(*, older_than: timedelta | None = None) -> int:
    """Delete images nothing uses, uploaded more than MEDIA_UNUSED_KEEP_S ago: the row first
    (a post that took the image meanwhile makes the delete fail: it stays), then the file."""
    age = older_than or timedelta(seconds=settings.MEDIA_UNUSED_KEEP_S)
    cutoff = timezone.now() - age
    count = 0
    for pk, name in _unused(MediaImage.objects.filter(created_at__lt=cutoff)) \
            .values_list("pk", "storage_name"):
        try:
            with transaction.atomic():
                deleted, _ = _unused(MediaImage.objects.filter(pk=pk)).delete()
        except IntegrityError:
            continue
        if deleted:
            default_storage.delete(name)
            count += 1
    return count
