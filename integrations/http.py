"""The one outbound HTTP choke point for provider clients.

Every call to GitHub or Facebook goes through `HttpClient.send()`: a pooled `requests.Session`
per client, a `(connect, read)` timeout on every call, no redirects, a response size cap, and
transport failures mapped to typed errors. Retries happen only for GET (see `GetOnlyRetry`).
It is also where a lazily bound request takes its provider slot (integrations.provider_slots).
Nothing here logs or raises a URL query, a header value or a body: they can carry tokens.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from integrations import metrics
from integrations.errors import BadProviderResponse, ProviderTimeout, ProviderUnavailable
from integrations.provider_slots import claim_provider_slot

logger = logging.getLogger(__name__)

USER_AGENT = "oauth-bridge/0.1 (+https://github.com/oauth-bridge; python-requests)"
DEFAULT_TIMEOUT_S: tuple[float, float] = (3.05, 10.0)
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
RETRY_STATUSES = frozenset({502, 503, 504})


class GetOnlyRetry(Retry):
    """A `Retry` that never retries anything but GET.

    urllib3 retries *connection* errors for every method, so `allowed_methods` alone would still
    resend a token exchange or a Page post after a reset. Anything but GET fails on first error.
    """

    def increment(self, method: str | None = None, url: str | None = None, *args, **kwargs):
        if method is None or method.upper() not in (self.allowed_methods or ()):
            return Retry(total=0, read=False, raise_on_status=False).increment(
                method, url, *args, **kwargs
            )
        return super().increment(method, url, *args, **kwargs)


def build_retry(*, retries: int = 2, backoff_s: float = 0.25) -> Retry:
    """GET-only retries on connection errors and 502/503/504, with exponential backoff."""
    return GetOnlyRetry(
        total=retries,
        connect=retries,
        read=False,  # a read timeout is re-raised as is: the request may have been served
        status=retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_s,
        backoff_max=2.0,
        respect_retry_after_header=False,  # never sleep for as long as the provider asks
        raise_on_status=False,  # hand the last 5xx back so it maps to ProviderUnavailable
    )


def build_session(
    *, retries: int = 2, backoff_s: float = 0.25, pool_maxsize: int = 10
) -> requests.Session:
    """A session for one client: pooled adapter, GET-only retries, no cookies, no .netrc."""
    session = requests.Session()
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=pool_maxsize,
        max_retries=build_retry(retries=retries, backoff_s=backoff_s),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    # The pool is shared by every user of the client: a cookie set for one must never ride along
    # with another's request.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    # A non-None session.auth stops requests from reading credentials out of ~/.netrc.
    session.auth = _no_auth
    return session


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response: status, case-insensitive headers, and the (capped) body bytes."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)
    provider: str | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def is_html(self) -> bool:
        ctype = self.headers.get("Content-Type", "").lower()
        head = self.content[:64].lstrip().lower()
        return "html" in ctype or head.startswith((b"<!doctype", b"<html"))

    def json(self) -> Any:
        """The parsed JSON body (None when empty); an HTML or non-JSON body means unavailable."""
        if not self.content.strip():
            return None
        if self.is_html():
            raise ProviderUnavailable(
                "The provider answered with a web page instead of data.", provider=self.provider
            )
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):
            raise ProviderUnavailable(
                "The provider answered with an unreadable response.", provider=self.provider
            ) from None


class HttpClient:
    """Base class for provider clients: owns the session and the single `send()` method."""

    provider = "provider"
    max_response_bytes = MAX_RESPONSE_BYTES

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        timeout_s: tuple[float, float] = DEFAULT_TIMEOUT_S,
    ) -> None:
        # A caller-supplied session is used as is: its adapters decide pooling and retries.
        self.session = session if session is not None else build_session()
        connect_s, read_s = timeout_s
        self.timeout_s = (float(connect_s), float(read_s))

    def close(self) -> None:
        self.session.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request and read the whole (capped) body; transport failures become typed
        errors. HTTP error statuses are returned, not raised: providers read their bodies.
        In a lazily bound request the first call takes the request's provider slot (or raises
        ProviderBusy): see integrations.provider_slots."""
        claim_provider_slot(self.provider)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                json=json_body,
                headers=dict(headers or {}),
                auth=auth,
                timeout=self.timeout_s,
                allow_redirects=False,
                stream=True,
            )
            with response:
                content = self._read_capped(response)
        except requests.exceptions.Timeout:
            self._log(method, url, "timeout", started)
            raise ProviderTimeout(provider=self.provider) from None
        except requests.exceptions.RequestException as exc:
            # The exception text holds the full URL (query included): never chain or log it.
            self._log(method, url, type(exc).__name__, started)
            if _is_read_timeout(exc):
                raise ProviderTimeout(provider=self.provider) from None
            raise ProviderUnavailable(provider=self.provider) from None
        self._log(method, url, response.status_code, started)
        if 300 <= response.status_code < 400:
            raise BadProviderResponse(
                "The provider answered with an unexpected redirect.", provider=self.provider
            )
        return HttpResponse(response.status_code, response.headers, content, self.provider)

    def send_json(self, method: str, url: str, **kwargs: Any) -> tuple[HttpResponse, Any]:
        """`send()`, then a 5xx, HTML or non-JSON body raises ProviderUnavailable."""
        response = self.send(method, url, **kwargs)
        if response.status >= 500:
            raise ProviderUnavailable(provider=self.provider)
        return response, response.json()

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise _TooLarge(provider=self.provider)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise _TooLarge(provider=self.provider)
            chunks.append(chunk)
        return b"".join(chunks)

    def _log(self, method: str, url: str, outcome: object, started: float) -> None:
        """Log and count every call: seen here once, whatever the client or the outcome."""
        elapsed_s = time.monotonic() - started
        endpoint = metrics.endpoint_template(url)
        status = str(outcome) if isinstance(outcome, int) or outcome == "timeout" else "error"
        metrics.PROVIDER_REQUESTS.labels(self.provider, endpoint, status).inc()
        metrics.PROVIDER_REQUEST_SECONDS.labels(self.provider, endpoint).observe(elapsed_s)
        parts = urlsplit(url)  # host and path only: queries carry tokens and codes
        logger.info(
            "%s %s %s%s -> %s (%.0f ms)",
            self.provider,
            method,
            parts.netloc,
            parts.path,
            outcome,
            elapsed_s * 1000,
        )


class _TooLarge(ProviderUnavailable):
    default_message = "The provider sent a response that is too large."


def _is_read_timeout(exc: BaseException) -> bool:
    """A read timeout while streaming the body surfaces as a ConnectionError wrapping urllib3's
    ReadTimeoutError."""
    from urllib3.exceptions import ReadTimeoutError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ReadTimeoutError):
            return True
        nested = current.args[0] if current.args else None
        current = nested if isinstance(nested, BaseException) else current.__context__
    return False
