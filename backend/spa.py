"""Serves the single-page app's index.html for the SPA routes.

The shell lives outside frontend/ (a STATICFILES_DIRS entry) on purpose: only this view, with the
security middleware's CSP and X-Frame-Options, may serve it; /static/index.html does not exist.
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from integrations.redirects import (
    FACEBOOK_CALLBACK_PATH,
    GITHUB_APP_SETUP_PATH,
    GITHUB_CALLBACK_PATH,
)

CALLBACK_PATHS = (GITHUB_CALLBACK_PATH, FACEBOOK_CALLBACK_PATH, GITHUB_APP_SETUP_PATH)
# The client-side router's routes: each answers with index.html (here and on a static host).
SPA_ROUTES = ("/", "/profile", GITHUB_CALLBACK_PATH, "/facebook", FACEBOOK_CALLBACK_PATH,
              GITHUB_APP_SETUP_PATH)
# A plain file (no template rendering): served as is.
INDEX = Path(settings.BASE_DIR) / "backend" / "templates" / "spa" / "index.html"


@require_safe
@never_cache
@ensure_csrf_cookie  # the SPA reads the cookie and sends it back as X-CSRFToken on unsafe calls
def spa_index(request) -> HttpResponse:
    response = FileResponse(INDEX.open("rb"), content_type="text/html; charset=utf-8")
    if request.path.rstrip("/") in CALLBACK_PATHS:
        # The URL carries the code and state: never leak it through Referer (RFC 9700 §4.2.4).
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
