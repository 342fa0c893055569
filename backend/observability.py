"""Per-request context for logs and metrics: the request id, the access line, route latency.

`RequestContextMiddleware` runs first: it keeps a sane inbound `X-Request-ID` (or makes one),
holds the request in a contextvar for the length of the request, so `RequestContextFilter` can
stamp every log record with it, and writes one access line per request.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject, empty
from rest_framework.throttling import BaseThrottle

from integrations import metrics

access_logger = logging.getLogger("oauth_bridge.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else (too short, too long, spaces, newlines, quotes) is replaced: it ends up in logs.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
_current_request = ContextVar("oauth_bridge_request", default=None)



def current_request_id() -> str | None:
    request = _current_request.get()
    return getattr(request, "request_id", None)


def inbound_request_id(value: str | None) -> str:
    """The caller's id when it is a sane token, else a fresh one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def client_ip(request) -> str:
    """The client address after NUM_PROXIES trusted hops: the rule DRF's throttles use (S34)."""
    return BaseThrottle().get_ident(request)


def known_user_id(request) -> int | None:
    """The user's id if authentication already ran; never triggers a session or DB read."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def route_name(request) -> str:
    """A low-cardinality label for the matched route, never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unmatched"


class RequestContextFilter(logging.Filter):
    """Adds the current request's id, user, client IP, method and path to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get()
        if request is not None:
            values = {"request_id": request.request_id, "user_id": known_user_id(request),
                      "client_ip": request.client_ip, "method": request.method,
                      "path": request.path}
            for name, value in values.items():
                if not hasattr(record, name):  # `extra=` given by the caller wins
                    setattr(record, name, value)
        return True


class RequestContextMiddleware:
    """Request id in and out, one access line and one latency observation per request."""

    timer = time.monotonic

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = self.timer()
        request.request_id = inbound_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.client_ip = client_ip(request)
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            elapsed_s = self.timer() - started
            self._observe(request, response, elapsed_s)
        finally:
            _current_request.reset(token)
        return response

    def _observe(self, request, response, elapsed_s: float) -> None:
        metrics.HTTP_REQUEST_SECONDS.labels(
            route=route_name(request), method=_method_label(request.method),
            status=str(response.status_code),
        ).observe(elapsed_s)
        duration_ms = round(elapsed_s * 1000, 1)
        # Django's own "Not Found: /path" line would come after the request's context is gone:
        # this line replaces it, at the level Django would use.
        response._has_been_logged = True
        level = (logging.ERROR if response.status_code >= 500 and not _deliberate(response)
                 else logging.WARNING if response.status_code >= 400 else logging.INFO)
        access_logger.log(
            level, "%s %s %s %.1fms", _method_label(request.method), _escaped(request.path),
            response.status_code, duration_ms,
            extra={"status": response.status_code, "duration_ms": duration_ms,
                   "user_id": known_user_id(request)},
        )


def _deliberate(response) -> bool:
    """A 503 with Retry-After is a refusal we chose (provider_busy, database_unavailable,
    each logged where it is decided), not a server error."""
    return response.status_code == 503 and response.has_header("Retry-After")


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method_label(method: str) -> str:
    return method if method in _METHODS else "other"


def _escaped(value: str) -> str:
    """Control characters escaped: a `%0A` in a path must not forge a plain-text line (S46)."""
    return repr(value)[1:-1]
