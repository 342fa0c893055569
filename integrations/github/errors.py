"""GitHub statuses and headers to typed errors: the one place they are read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.errors import (
    PermissionMissing,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.github.parsing import split_scopes
from integrations.parsing import int_or_none

PROVIDER = "github"


class NotFound(ProviderError):
    """404 from the REST API (GitHub also answers 404 for a token that may not see a resource)."""

    default_message = "The provider could not find what was asked for."


def raise_for_status(status: int, headers: Any, body: Any, now: datetime) -> None:
    """Map a REST error status (and its headers) to a typed error; returns on 2xx."""
    if status < 400:
        return
    headers = lower(headers)
    if status >= 500:
        raise ProviderUnavailable(provider=PROVIDER)
    if status == 401:
        raise TokenInvalid(provider=PROVIDER)
    if status in (403, 429):
        retry_after = retry_after_s(headers, now)
        if retry_after is not None or _rate_limit_message(body):
            raise ProviderRateLimited(provider=PROVIDER, retry_after_s=retry_after or 60)
        raise PermissionMissing(provider=PROVIDER, missing=_missing_scopes(headers))
    if status == 404:
        raise NotFound(provider=PROVIDER)
    raise ProviderError(provider=PROVIDER)


def retry_after_s(headers: dict[str, str], now: datetime) -> int | None:
    """Seconds to wait, from `retry-after` or (remaining 0) `x-ratelimit-reset`; None if neither
    says we are rate limited."""
    retry_after = int_or_none(headers.get("retry-after"))
    if retry_after is not None:
        return max(1, retry_after)
    if headers.get("x-ratelimit-remaining") == "0":
        reset = int_or_none(headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(1, reset - int(now.timestamp()))
        return 60
    return None


def safe_code(value: Any) -> str:
    """Provider error codes are snake_case words; keep only that much of whatever was sent."""
    text = str(value)[:64]
    return "".join(c for c in text if c.isalnum() or c in "_-.") or "unknown"


def lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


def _rate_limit_message(body: Any) -> bool:
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and "rate limit" in message.lower()


def _missing_scopes(headers: dict[str, str]) -> tuple[str, ...]:
    accepted = split_scopes(headers.get("x-accepted-oauth-scopes"))
    granted = set(split_scopes(headers.get("x-oauth-scopes")))
    return tuple(s for s in accepted if s not in granted)
