import logging
import threading

from django.conf import settings
from django.utils.http import http_date

from api.database_outage import is_database_lost
from api.errors import database_unavailable_json, integration_error_json, json_error
from integrations.errors import ProviderBusy
from integrations.provider_slots import SlotHolder, holding

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
    """API answers carry personal data or tokens: never cached by browsers or proxies (S41).

    The headers Django's `add_never_cache_headers` writes, written as they are: it parses and
    rebuilds Cache-Control twice, a cost on every API response."""

    CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and "Cache-Control" not in response:
            response.headers["Cache-Control"] = self.CACHE_CONTROL
            response.setdefault("Expires", http_date())
        return response


UP_FRONT, LAZY = "up_front", "lazy"


def provider_binding(view_class, method: str) -> str | None:
    """How a view's method waits on GitHub or Facebook: the one place for the rule.

    Views name their methods like DRF's `throttle_scope`. `provider_bound_lazily`: the answer
    may come without a provider (a cache), and nothing is written before the first provider
    call, so the slot is taken at that call (LAZY). `provider_bound_methods`: the slot is taken
    before the view runs (UP_FRONT), for work that must not be refused halfway, e.g. a callback
    that consumes its single-use state before exchanging the code. None: never capped.
    """
    if method in getattr(view_class, "provider_bound_lazily", ()):
        return LAZY
    if method in getattr(view_class, "provider_bound_methods", ()):
        return UP_FRONT
    return None


class ProviderConcurrencyLimit:
    """At most PROVIDER_CONCURRENCY provider-bound requests at once in this process.

    When every slot is taken the request is answered at once with 503 `provider_busy` and
    Retry-After instead of waiting for a thread, so a hung provider can hold only that many
    threads and health, /me and the rest keep theirs. Which requests take a slot, and when:
    `provider_binding`. The slot is given back when the response is returned, errors included.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.slots = threading.BoundedSemaphore(settings.PROVIDER_CONCURRENCY)

    def __call__(self, request):
        # Installed here, not in process_view, so it is set and reset in one frame and context.
        with holding(SlotHolder(self.slots)) as holder:
            request._provider_slot = holder
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        binding = provider_binding(view_class, request.method)
        holder = request._provider_slot
        if binding == LAZY:
            holder.lazy = True  # HttpClient.send() takes the slot, or raises ProviderBusy
        elif binding == UP_FRONT and not holder.take():
            logger.warning("%s %s refused: provider_busy (%d provider-bound requests waiting)",
                           request.method, request.path, settings.PROVIDER_CONCURRENCY)
            return integration_error_json(ProviderBusy())
        return None


class DatabaseUnavailableMiddleware:
    """Views outside DRF (the admin): a lost database is the same 503 `database_unavailable`
    as in the API (api.database_outage), not Django's 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable_json(exception) if is_database_lost(exception) else None
