"""Serves stored images from the default storage when it has no URL of its own (the
filesystem under MEDIA_ROOT): the providers fetch them from PUBLIC_URL/media/images/<name>.jpg.

The random name is the secret; anything that is not such a name is a 404 without touching the
storage. Object storage (django-storages) serves its own URLs and never reaches this view.
"""

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, JsonResponse
from django.views.decorators.http import require_safe

from api.errors import error_body

STORED_NAME = re.compile(r"images/[A-Za-z0-9_-]{32}\.jpg")


@require_safe
def media_file(request, name: str):
    if not STORED_NAME.fullmatch(name) or not default_storage.exists(name):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    # The content of a name never changes (a new upload is a new name).
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
