"""Graph errors to typed errors: the one place Facebook's `code`/`error_subcode` are read.

Decided by Graph code, not by HTTP status (Facebook answers 400 for most of them).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from integrations.errors import (
    AuthorizationFailed,
    ContentRejected,
    InstagramNotReady,
    InstagramQuotaFull,
    PermissionMissing,
    ProviderError,
    ProviderMisconfigured,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
    provider_text,
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
    # A photo post's image URL could not be fetched or decoded (PROVIDERS-APPS-MEDIA.md E4).
    324: "Facebook could not fetch the image; check that PUBLIC_URL is reachable from the "
         "internet.",
}

# Instagram Content Publishing subcodes (PROVIDERS-APPS-MEDIA.md F4) that refuse the content.
INSTAGRAM_REJECTIONS = {
    2207004: "Instagram refused the image: over 8 MB.",
    2207005: "Instagram refused the image format (JPEG only).",
    2207009: "Instagram refused the image's aspect ratio (4:5 to 1.91:1).",
    2207010: "Instagram refused the caption (2,200 characters, 30 hashtags, 20 mentions).",
    2207040: "Instagram refused the caption: more than 20 @ mentions.",
    2207051: "Instagram restricted this account's activity (suspected spam).",
    2207050: "The Instagram account is restricted; fix it in the Instagram app.",
    2207052: "Instagram could not fetch the image; check that PUBLIC_URL is reachable from the "
             "internet.",
}
INSTAGRAM_QUOTA_SUBCODE = 2207042
INSTAGRAM_NOT_READY_SUBCODE = 2207027
INSTAGRAM_SERVER_CODES = frozenset({-1, -2})  # Instagram server error, download too slow


# Permission names Graph messages mention ("(#200) … requires the pages_manage_posts permission").
_PERMISSION_NAME = re.compile(r"\b(?:pages|publish|read|business|instagram)_[a-z_]+\b")
# Code 100 is also "invalid parameter": only these say a permission or access is missing.
_ACCESS_WORDS = re.compile(
    r"permission|cannot be loaded|cannot be accessed|does not have access|not authorized",
    re.IGNORECASE)
ACCESS_SUBCODES = frozenset({33})
# Codes that, during a code exchange, say the code itself is bad (B3): expired, used, wrong.
EXCHANGE_CODE_ERRORS = frozenset({100, 102, 190})


def graph_error(error: Mapping[str, Any], headers: Mapping[str, str], *,
                exchange: bool = False) -> ProviderError:
    """The typed error for a Graph `error` object, in our words. Facebook's text for people
    (`error_user_title`/`error_user_msg`) rides along as `provider_message`; its technical
    `message` stays on a private attribute for server logs only."""
    code = int_or_none(error.get("code"))
    subcode = int_or_none(error.get("error_subcode", error.get("subcode")))
    message = clean(error.get("message")) or ""
    exc = _typed(code, subcode, message, headers, exchange=exchange)
    exc.graph_code, exc.graph_subcode = code, subcode
    exc._graph_message = message or None
    exc.with_provider_message(user_text(error))
    if error.get("is_transient") is True:
        exc.transient = True  # Facebook says the same call may work later
    logger.warning(
        "facebook graph error code=%s subcode=%s fbtrace_id=%s -> %s",
        code, subcode, clean(error.get("fbtrace_id"), 64), type(exc).__name__,
    )
    return exc


def app_token_error(exc: ProviderError) -> ProviderError:
    """debug_token's own top-level error is about the calling app token (our app id and
    secret), never the inspected token: a configuration fault, logged as one (B6)."""
    if isinstance(exc, (ProviderRateLimited, ProviderUnavailable)) or exc.graph_code is None:
        return exc
    logger.error("facebook refused our app token on debug_token (code=%s subcode=%s): check "
                 "FACEBOOK_APP_ID and FACEBOOK_APP_SECRET", exc.graph_code, exc.graph_subcode)
    misconfigured = ProviderMisconfigured(provider=PROVIDER)
    misconfigured.graph_code, misconfigured.graph_subcode = exc.graph_code, exc.graph_subcode
    return misconfigured


def user_text(error: Mapping[str, Any]) -> str | None:
    """`error_user_title: error_user_msg`, whichever of the two Facebook sent (B12)."""
    parts = [provider_text(error.get(key)) for key in ("error_user_title", "error_user_msg")]
    return ": ".join(p for p in parts if p) or None


def _typed(code: int | None, subcode: int | None, message: str, headers: Mapping[str, str], *,
           exchange: bool) -> ProviderError:
    if exchange and code in EXCHANGE_CODE_ERRORS:
        return AuthorizationFailed(provider=PROVIDER, provider_code=str(subcode or code))
    if subcode == INSTAGRAM_QUOTA_SUBCODE:
        return InstagramQuotaFull(provider=PROVIDER)
    if subcode == INSTAGRAM_NOT_READY_SUBCODE:
        return InstagramNotReady(provider=PROVIDER)
    if subcode in INSTAGRAM_REJECTIONS:
        return ContentRejected(INSTAGRAM_REJECTIONS[subcode], provider=PROVIDER)
    if code in INSTAGRAM_SERVER_CODES:
        return ProviderUnavailable(provider=PROVIDER)
    if code in (190, 102):
        return TokenInvalid(provider=PROVIDER, subcode=subcode)
    if code in RATE_LIMIT_CODES:
        return ProviderRateLimited(provider=PROVIDER, retry_after_s=retry_after_s(headers))
    if _is_permission_error(code, subcode, message):
        return permission_missing(message)
    if code in (1, 2):
        return ProviderUnavailable(provider=PROVIDER)
    if code in CONTENT_REJECTIONS:
        return ContentRejected(CONTENT_REJECTIONS[code], provider=PROVIDER)
    return ProviderError(provider=PROVIDER)


def _is_permission_error(code: int | None, subcode: int | None, message: str) -> bool:
    """Code 10 and 200-299 always; code 100 when its subcode or words say access is missing."""
    if code == 10 or (code is not None and 200 <= code <= 299):
        return True
    return code == 100 and (subcode in ACCESS_SUBCODES or bool(_ACCESS_WORDS.search(message)))


def permission_missing(message: str) -> PermissionMissing:
    """What to grant (the permissions Facebook names, when it names any) and to link again."""
    missing = tuple(dict.fromkeys(_PERMISSION_NAME.findall(message)))
    what = ("the " + ", ".join(missing) + " permission" + ("s" if len(missing) > 1 else "")
            if missing else "a permission or Page role this needs")
    return PermissionMissing(
        f"Facebook refused: the linked account lacks {what}. Grant it when Facebook asks, "
        "and link the Page again.", provider=PROVIDER, missing=missing)


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
