"""Uploaded images (integrations.media): where they are stored and the limits they must meet
(imported by settings.py, reads its own environment).

Images go through Django's `STORAGES["default"]`: the filesystem under MEDIA_ROOT unless
MEDIA_STORAGE_BACKEND names another backend (django-storages' S3Storage, for one; its options
as JSON in MEDIA_STORAGE_OPTIONS). See README, *Images*.
"""

from pathlib import Path

import environ

env = environ.Env()
_BASE_DIR = Path(__file__).resolve().parent.parent

MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(_BASE_DIR / "media"))
MEDIA_URL = "/media/"
MEDIA_STORAGE = {
    "BACKEND": env.str("MEDIA_STORAGE_BACKEND",
                       default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
}
# Instagram takes at most 8 MiB (PROVIDERS-APPS-MEDIA.md F3), Facebook photos 10 MB.
MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", default=8 * 1024 * 1024)
# Also Pillow's MAX_IMAGE_PIXELS (one setting for both): a 24-MP photo fits, a bomb does not.
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=40_000_000)
MEDIA_JPEG_QUALITY = env.int("MEDIA_JPEG_QUALITY", default=85)
# Images no post or automation uses are deleted by `manage.py sweep` after this long.
MEDIA_UNUSED_KEEP_S = env.int("MEDIA_UNUSED_KEEP_S", default=86400)

# Instagram publishing (a Page post's second target): container status checks back off from
# BASE to MAX seconds, at most MAX_STATUS_CHECKS times (Meta: containers expire after 24 h); a
# full publishing quota is read again after INSTAGRAM_QUOTA_RETRY_S.
INSTAGRAM_POLL_BASE_S = env.float("INSTAGRAM_POLL_BASE_S", default=5.0)
INSTAGRAM_POLL_MAX_S = env.float("INSTAGRAM_POLL_MAX_S", default=120.0)
INSTAGRAM_MAX_STATUS_CHECKS = env.int("INSTAGRAM_MAX_STATUS_CHECKS", default=60)
INSTAGRAM_QUOTA_RETRY_S = env.float("INSTAGRAM_QUOTA_RETRY_S", default=900.0)
INSTAGRAM_MAX_ATTEMPTS = env.int("INSTAGRAM_MAX_ATTEMPTS", default=5)
