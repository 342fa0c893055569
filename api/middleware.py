from django.conf import settings
from django.utils.cache import add_never_cache_headers

from api.errors import json_error


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
