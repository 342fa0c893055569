"""GitHub statuses and headers to typed errors: the one place they are read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.errors import (
    PermissionMissing,
    ProviderError,
    ProviderMisconfigured,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.github.parsing import split_scopes
from integrations.parsing import int_or_none

PROVIDER = "github"
# Scopes a broader scope includes (GitHub's scopes-for-oauth-apps: "user" implies user:email…).
IMPLIED_SCOPES = {
    "user": ("read:user", "user:email", "user:follow"),
    "repo": ("repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"),
    "admin:org": ("write:org", "read:org"),
    "write:org": ("read:org",),
    "admin:public_key": ("write:public_key", "read:public_key"),
    "write:public_key": ("read:public_key",),
    "admin:repo_hook": ("write:repo_hook", "read:repo_hook"),
    "write:repo_hook": ("read:repo_hook",),
    "admin:gpg_key": ("write:gpg_key", "read:gpg_key"),
    "write:gpg_key": ("read:gpg_key",),
    "write:packages": ("read:packages",),
    "project": ("read:project",),
}


class NotFound(ProviderError):
    """404 from the REST API (GitHub also answers 404 for a token that may not see a resource)."""

    default_message = "The provider could not find what was asked for."


class Forbidden(ProviderError):
    """403 that is neither a rate limit nor a missing scope: GitHub refuses this resource to
    this account (e.g. "Must have admin rights to Repository"). Public shape unchanged."""


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
        _raise_for_refusal(status, headers, body, now)
    if status == 404:
        raise NotFound(provider=PROVIDER)
    raise ProviderError(provider=PROVIDER)


def _raise_for_refusal(status: int, headers: dict[str, str], body: Any, now: datetime) -> None:
    """403/429 (A7, A8): a rate limit (primary, secondary, or too many failed logins); else a
    scope the token lacks (`X-Accepted-OAuth-Scopes` against `X-OAuth-Scopes`); else our
    request's fault, never a permission the person could grant."""
    retry_after = retry_after_s(headers, now)
    if status == 429 or retry_after is not None or _says(body, "rate limit", "login attempts"):
        raise ProviderRateLimited(provider=PROVIDER, retry_after_s=retry_after or 60)
    missing = _missing_scopes(headers)
    if missing:
        raise PermissionMissing(
            f"GitHub refused: the sign-in lacks the {', '.join(missing)} scope. Sign in again "
            "and allow it.", provider=PROVIDER, missing=missing)
    raise Forbidden(provider=PROVIDER)


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


def _says(body: Any, *phrases: str) -> bool:
    """GitHub's `message` names the kind of refusal ("API rate limit exceeded…", "Maximum
    number of login attempts exceeded…"); read it, never repeat it."""
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and any(p in message.lower() for p in phrases)


def _missing_scopes(headers: dict[str, str]) -> tuple[str, ...]:
    """The scopes the action accepts (any one would do), when the token holds none of them
    (counting what a granted scope implies: `user` covers `user:email`). Empty when the scope
    headers are absent (GitHub App tokens) or a granted scope already suffices."""
    accepted = split_scopes(headers.get("x-accepted-oauth-scopes"))
    granted = set(split_scopes(headers.get("x-oauth-scopes")))
    granted |= {child for scope in granted for child in IMPLIED_SCOPES.get(scope, ())}
    if not accepted or granted & set(accepted):
        return ()
    return accepted


# --- GitHub App (integrations.github.app) -------------------------------------------------


class InstallationNotFound(ProviderError):
    """404 on an app call: no such installation, or it was deleted (uninstalled)."""

    status = 404
    code = "installation_not_found"
    default_message = "GitHub does not know this installation of the app (it may be uninstalled)."


class InstallationSuspended(ProviderError):
    """403 "This installation has been suspended": no token until the owner unsuspends it."""

    status = 409
    code = "installation_suspended"
    default_message = "This installation of the GitHub App is suspended by its owner."


class AppAuthFailed(ProviderMisconfigured):
    """401 to the app's JWT: our GITHUB_APP_ID or private key is wrong (or the clock is far
    off). A configuration fault an administrator fixes, never the staff member's."""

    code = "github_app_misconfigured"
    default_message = ("GitHub refused this server's GitHub App credentials (its JWT): an "
                       "administrator must check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY.")
