import re
import sys

from django.contrib import admin
from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.urls import include, path, re_path

from api.database_outage import is_database_lost
from api.errors import database_unavailable_json, error_body
from api.urls import fallback_patterns
from backend.metrics_view import metrics
from backend.spa import SPA_ROUTES, spa_index

SPA_ROUTE_REGEX = "^(?:" + "|".join(re.escape(route.lstrip("/")) for route in SPA_ROUTES) + ")/?$"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("metrics", metrics, name="metrics"),
    path("api/", include(fallback_patterns)),
    # SPA routes: the client-side router renders them from index.html.
    re_path(SPA_ROUTE_REGEX, spa_index, name="spa"),
]


def handler500(request, *args, **kwargs):
    """Last resort outside DRF: JSON in the error shape, never a debug page or a traceback.
    Called while the exception is handled: a lost database raised by a middleware (saving the
    session) is the API's 503, not a 500."""
    exc = sys.exc_info()[1]
    if is_database_lost(exc):
        return database_unavailable_json(exc)
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)


def handler400(request, exception=None):
    """Django's own 400s (a Host not in ALLOWED_HOSTS, other suspicious requests) in the error
    shape, not its HTML page."""
    if isinstance(exception, DisallowedHost):
        return JsonResponse(error_body("host_not_allowed", "This server does not answer for "
                                       "that host name."), status=400)
    return JsonResponse(error_body("bad_request", "The request could not be understood."),
                        status=400)


def handler404(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)
