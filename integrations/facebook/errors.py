"""Graph errors to typed errors: the one place Facebook's `code`/`error_subcode` are read.

Decided by Graph code, not by HTTP status (Facebook answers 400 for most of them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from integrations.errors import (
    AuthorizationFailed,
    ContentRejected,
    PermissionMissing,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.facebook.parsing import clean
from integrations.parsing import int_or_none

logger = logging.getLogger(__name__)

PROVIDER = "facebook"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
# Graph codes that refuse the content itself (B12), with our own words (never Facebook's text).
CONTENT_REJECTIONS = {
    506: "Facebook refused this post as a duplicate of a recent one; change the text.",
    368: "Facebook is temporarily blocking posts from this Page for policy reasons.",
    1609005: "Facebook could not attach this link; check the URL.",
}


def graph_error(error: Mapping[str, Any], headers: Mapping[str, str], *,
                exchange: bool = False) -> ProviderError:
    """The typed error for a Graph `error` object. Upstream text is kept on a private attribute
    for server logs only."""
    code = int_or_none(error.get("code"))
    subcode = int_or_none(error.get("error_subcode", error.get("subcode")))
    exc = _typed(code, subcode, headers, exchange=exchange,
                 transient=error.get("is_transient") is True)
    exc.graph_code, exc.graph_subcode = code, subcode
    exc._graph_message = clean(error.get("message"))
    logger.warning(
        "facebook graph error code=%s subcode=%s fbtrace_id=%s -> %s",
        code, subcode, clean(error.get("fbtrace_id"), 64), type(exc).__name__,
    )
    return exc


def _typed(code: int | None, subcode: int | None, headers: Mapping[str, str], *,
           exchange: bool, transient: bool) -> ProviderError:
    if exchange and code == 100:
        return AuthorizationFailed(provider=PROVIDER, provider_code=str(subcode or code))
    if code in (190, 102):
        return TokenInvalid(provider=PROVIDER, subcode=subcode)
    if code in RATE_LIMIT_CODES:
        return ProviderRateLimited(provider=PROVIDER, retry_after_s=retry_after_s(headers))
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionMissing(provider=PROVIDER)
    if code in (1, 2) or transient:  # Graph's own "try again later" flag
        return ProviderUnavailable(provider=PROVIDER)
    if code in CONTENT_REJECTIONS:
        return ContentRejected(CONTENT_REJECTIONS[code], provider=PROVIDER)
    return ProviderError(provider=PROVIDER)


def retry_after_s(headers: Mapping[str, str]) -> int:
    """Seconds until Facebook lets us back in: `Retry-After`, else the largest BUC
    `estimated_time_to_regain_access` (minutes), else 60."""
    retry_after = int_or_none(headers.get("Retry-After"))
    if retry_after is not None and retry_after > 0:
        return retry_after
    minutes = 0
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        for entries in usage.values() if isinstance(usage, dict) else ():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict):
                    regain = int_or_none(entry.get("estimated_time_to_regain_access"))
                    minutes = max(minutes, regain or 0)
    except (ValueError, RecursionError):
        pass
    return minutes * 60 if minutes > 0 else 60
