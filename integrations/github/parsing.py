"""Lenient readers of GitHub bodies into the client's values; a missing id is a bad response."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.errors import BadProviderResponse
from integrations.github.types import GitHubProfile, GitHubRepo, GitHubToken, RepoHook
from integrations.parsing import int_or_none, iso_datetime, str_or_none, unix_datetime
from integrations.usage import ProviderUsage

PROVIDER = "github"


def parse_token(body: dict[str, Any], now: datetime) -> GitHubToken:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise BadProviderResponse("GitHub sent no access token.", provider=PROVIDER)
    return GitHubToken(
        access_token=access_token,
        token_type=str(body.get("token_type") or "bearer"),
        scopes=split_scopes(body.get("scope")),
        expires_at=_expiry(now, body.get("expires_in")),
        refresh_token=str_or_none(body.get("refresh_token")),
        refresh_token_expires_at=_expiry(now, body.get("refresh_token_expires_in")),
    )


def parse_profile(data: Any, headers: Mapping[str, str] | None = None) -> GitHubProfile:
    """A /user body, with the token facts its (lower-cased) headers carry."""
    headers = headers or {}
    if not isinstance(data, dict):
        raise BadProviderResponse(provider=PROVIDER)
    user_id, login = int_or_none(data.get("id")), data.get("login")
    if user_id is None or not isinstance(login, str) or not login:
        raise BadProviderResponse("GitHub sent a profile without an id.", provider=PROVIDER)
    return GitHubProfile(
        id=user_id,
        login=login,
        name=str_or_none(data.get("name")),
        avatar_url=str_or_none(data.get("avatar_url")),
        html_url=str_or_none(data.get("html_url")),
        email=str_or_none(data.get("email")),
        company=str_or_none(data.get("company")),
        location=str_or_none(data.get("location")),
        bio=str_or_none(data.get("bio")),
        token_scopes=split_scopes(headers["x-oauth-scopes"])
        if "x-oauth-scopes" in headers else None,
        token_expires_at=token_expiration(headers.get("github-authentication-token-expiration")),
    )


def token_expiration(value: Any) -> datetime | None:
    """`github-authentication-token-expiration`: "2026-06-01 12:00:00 UTC" (or with a numeric
    offset, "-0700"); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" UTC", " +0000")
    for layout in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, layout).astimezone(UTC)
        except ValueError:
            continue
    return None


def primary_verified_email(data: Any) -> str | None:
    """The address that is primary *and* verified in a /user/emails body, else None."""
    for entry in data if isinstance(data, list) else ():
        if not isinstance(entry, dict):
            continue
        email = str_or_none(entry.get("email"))
        # `is True`, not truthiness: a string "false" must not pass as verified.
        if entry.get("primary") is True and entry.get("verified") is True and email:
            return email
    return None


def parse_repo(item: Any) -> GitHubRepo | None:
    if not isinstance(item, dict):
        return None
    repo_id, name = int_or_none(item.get("id")), str_or_none(item.get("name"))
    if repo_id is None or name is None:
        return None
    return GitHubRepo(
        id=repo_id,
        name=name,
        full_name=str_or_none(item.get("full_name")) or name,
        html_url=str_or_none(item.get("html_url")) or "",
        description=str_or_none(item.get("description")),
        private=item.get("private") is True,
        language=str_or_none(item.get("language")),
        stargazers_count=int_or_none(item.get("stargazers_count")) or 0,
        updated_at=iso_datetime(item.get("updated_at")),
    )


def split_scopes(value: Any) -> tuple[str, ...]:
    """`scope` comes back comma-separated (`repo,gist`), although it was requested with spaces."""
    if not isinstance(value, str):
        return ()
    return tuple(s.strip() for s in value.replace(" ", ",").split(",") if s.strip())


def _expiry(now: datetime, seconds: Any) -> datetime | None:
    """`expires_in`-style fields may be ints or strings ("28800"); absent means no expiry."""
    if seconds is None or seconds == "":
        return None
    value = int_or_none(seconds)
    if value is None or value < 0:
        raise BadProviderResponse("The provider sent an unreadable expiry.", provider=PROVIDER)
    return now + timedelta(seconds=value)


def rate_limit_usage(headers: Mapping[str, str], key: str) -> ProviderUsage | None:
    """`x-ratelimit-limit`/`-remaining`/`-reset` (A8, on every REST answer) as a usage; None
    when the answer carries no such headers."""
    limit = int_or_none(headers.get("x-ratelimit-limit"))
    remaining = int_or_none(headers.get("x-ratelimit-remaining"))
    if not limit or limit <= 0 or remaining is None:
        return None
    used = min(100.0, max(0.0, (limit - remaining) * 100.0 / limit))
    return ProviderUsage(provider=PROVIDER, key=key, used_percent=used,
                         resets_at=unix_datetime(headers.get("x-ratelimit-reset")),
                         remaining=max(0, remaining), limit=limit)


def parse_hook(data: Any) -> RepoHook:
    hook_id = int_or_none(data.get("id")) if isinstance(data, dict) else None
    if hook_id is None:
        raise BadProviderResponse("GitHub sent a webhook without an id.", provider=PROVIDER)
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    events = data.get("events") if isinstance(data.get("events"), list) else []
    return RepoHook(id=hook_id, url=str(config.get("url") or ""),
                    events=tuple(str(e) for e in events), active=data.get("active") is True)
