import logging
import threading

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from api.errors import integration_error_json, json_error
from integrations.errors import ProviderBusy

logger = logging.getLogger(__name__)


class UriLengthLimitMiddleware:
    """An over-long URL is a JSON 414, in the one error shape (not a server's HTML page).

    The WSGI server must let such request lines through for this to answer: see the README
    (gunicorn `--limit-request-line 8190`); longer lines still get the server's own 414."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.get_full_path()) > settings.MAX_URI_CHARS:
            return json_error(request, "uri_too_long",
                              f"The URL is too long (at most {settings.MAX_URI_CHARS} "
                              "characters).", 414)
        return self.get_response(request)


class NoStoreApiMiddleware:
    """API answers carry personal data or tokens: never cached by browsers or proxies (S41)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response


class ProviderConcurrencyLimit:
    """At most PROVIDER_CONCURRENCY provider-bound requests at once in this process.

    Views that wait on GitHub or Facebook name the methods that do in `provider_bound_methods`
    (like DRF's `throttle_scope`). When every slot is taken the request is answered at once with
    503 `provider_busy` and Retry-After instead of waiting for a thread, so a hung provider can
    hold only that many threads and health, /me and the rest keep theirs.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.slots = threading.BoundedSemaphore(settings.PROVIDER_CONCURRENCY)

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            if getattr(request, "_provider_slot", False):
                request._provider_slot = False
                self.slots.release()

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if request.method not in getattr(view_class, "provider_bound_methods", ()):
            return None
        if not self.slots.acquire(blocking=False):
            logger.warning("%s %s refused: provider_busy (%d provider-bound requests waiting)",
                           request.method, request.path, settings.PROVIDER_CONCURRENCY)
            return integration_error_json(ProviderBusy())
        request._provider_slot = True
        return None
