"""Live validity of stored Facebook tokens (debug_token), cached briefly by token hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import ProviderError
from integrations.token_check import TokenCheck

if TYPE_CHECKING:
    from integrations.facebook import FacebookClient, TokenInfo

TOKEN_CHECK_TTL_S = 60


def required_scopes() -> tuple[str, ...]:
    return tuple(settings.FACEBOOK_SCOPES)


def _missing_scopes(granted: Iterable[str]) -> tuple[str, ...]:
    granted = set(granted)
    return tuple(s for s in required_scopes() if s not in granted)


def _cache_key(token: str) -> str:
    return "facebook:token-check:" + hashlib.sha256(token.encode()).hexdigest()


# Our words for debug_token's `data.error.subcode` (B12); Facebook's text is never shown (S37).
INVALID_REASONS = {
    458: "The Facebook user removed this app; link again.",
    460: "The Facebook user changed their password; link again.",
    463: "The Facebook token has expired; link again.",
    464: "The Facebook user must confirm their account on facebook.com, then link again.",
    467: "Facebook says this token is not valid; link again.",
    492: "The Facebook user no longer has a role on the Page; link again.",
}
INVALID_DEFAULT = "Facebook says this token is not valid for this app; link again."


def token_check_of(info: TokenInfo) -> TokenCheck:
    """debug_token's `data` as people may see it: only `is_valid`/`data.error` judge the token
    (the client already marks a token issued to another app invalid)."""
    valid = info.is_valid
    return TokenCheck(
        valid=valid, expires_at=info.expires_at, data_access_expires_at=info.data_access_expires_at,
        scopes=tuple(info.scopes), missing_scopes=_missing_scopes(info.scopes),
        checked_at=timezone.now(), error_code=None if valid else "token_invalid",
        error_message=None if valid else INVALID_REASONS.get(info.error_subcode or 0,
                                                             INVALID_DEFAULT),
    )


def check_token(token: str, *, client: FacebookClient | None = None) -> TokenCheck:
    """Live validity of a stored token via debug_token, cached ~60 s; never raises for Graph."""
    cached = cache.get(_cache_key(token))
    if cached is not None:
        return TokenCheck(**cached)
    try:
        check = token_check_of((client or get_facebook_client()).debug_token(token))
    except ProviderError as exc:
        # Unknown, not invalid (a refused app token is our configuration, not this token):
        # say so, and do not cache it.
        return TokenCheck(valid=None, checked_at=timezone.now(), error_code=exc.code,
                          error_message=exc.message)
    remember_token_check(token, check)
    return check


def remember_token_check(token: str, check: TokenCheck) -> None:
    cache.set(_cache_key(token), asdict(check), TOKEN_CHECK_TTL_S)


def forget_token_checks(*tokens: str | None) -> None:
    """Drop cached checks of tokens that were replaced or forgotten."""
    cache.delete_many([_cache_key(t) for t in tokens if t])
