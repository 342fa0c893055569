"""The one place that builds provider clients from Django settings.

Settings are read on every call (so `override_settings` and pytest-django's `settings` fixture
work); clients are cached per settings tuple, so their connection pools are reused. Tests swap a
client with `override_github_client` / `override_facebook_client`, never by patching this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.conf import settings

from integrations import http
from integrations.errors import GitHubAppNotConfigured, ProviderNotConfigured
from integrations.facebook import FacebookClient
from integrations.github import GitHubClient
from integrations.github.app import GitHubAppClient
from integrations.github.token_cache import InstallationTokenCache
from integrations.usage_store import CacheBudget

GITHUB_SETTINGS = ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITHUB_URL", "GITHUB_API_URL")
FACEBOOK_SETTINGS = (
    "FACEBOOK_APP_ID",
    "FACEBOOK_APP_SECRET",
    "FACEBOOK_URL",
    "FACEBOOK_GRAPH_URL",
    "FACEBOOK_GRAPH_VERSION",
)


def get_github_client() -> GitHubClient:
    """The GitHub client for the current settings; ProviderNotConfigured names what is missing."""
    client_id, secret, web_url, api_url = _read("GitHub", GITHUB_SETTINGS)
    if "github" in _overrides:
        return _overrides["github"]
    return _github_client(client_id, secret, web_url, api_url, _timeout_s())


def get_facebook_client() -> FacebookClient:
    """The Facebook client for the current settings; ProviderNotConfigured names what is missing."""
    app_id, secret, web_url, graph_url, version = _read("Facebook", FACEBOOK_SETTINGS)
    if "facebook" in _overrides:
        return _overrides["facebook"]
    return _facebook_client(app_id, secret, web_url, graph_url, version, _timeout_s())


GITHUB_APP_SETTINGS = ("GITHUB_APP_ID", "GITHUB_APP_SLUG", "GITHUB_APP_WEBHOOK_SECRET")
GITHUB_APP_KEY_SETTINGS = ("GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_FILE")


def github_app_configured() -> bool:
    """Is the GitHub App mode of automations on? (Every GITHUB_APP_* setting present.)"""
    names = (*GITHUB_APP_SETTINGS, "GITHUB_URL", "GITHUB_API_URL")
    return all(_setting(name) for name in names) and any(
        _setting(name) for name in GITHUB_APP_KEY_SETTINGS)


def github_app_private_key() -> str:
    """The app's PEM: GITHUB_APP_PRIVATE_KEY, else the file GITHUB_APP_PRIVATE_KEY_FILE names
    (read on use, so a rotated file needs no restart). Checked at start by integrations.checks."""
    pem = _setting("GITHUB_APP_PRIVATE_KEY")
    if pem:
        return pem
    path = _setting("GITHUB_APP_PRIVATE_KEY_FILE")
    if not path:
        return ""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def get_github_app_client() -> GitHubAppClient:
    """The GitHub App client; ProviderNotConfigured when app mode is off."""
    if "github_app" in _overrides:
        return _overrides["github_app"]
    if not github_app_configured():
        raise GitHubAppNotConfigured("The GitHub App is not configured: set GITHUB_APP_ID, "
                                    "GITHUB_APP_SLUG, GITHUB_APP_WEBHOOK_SECRET and "
                                    "GITHUB_APP_PRIVATE_KEY (or _FILE).")
    return _github_app_client(_setting("GITHUB_APP_ID"), github_app_private_key(),
                              _setting("GITHUB_APP_SLUG"), _setting("GITHUB_URL"),
                              _setting("GITHUB_API_URL"), _timeout_s())


def get_installation_tokens() -> InstallationTokenCache:
    """The one installation-token cache (the shared Django cache underneath): nobody else
    reads installation tokens from the cache."""
    from django.core.cache import cache

    from integrations.crypto import decrypt_token, encrypt_token

    client = get_github_app_client()
    return InstallationTokenCache(client, cache, namespace=client.app_id,
                                  seal=encrypt_token, unseal=decrypt_token)


@contextmanager
def override_github_app_client(client: Any) -> Iterator[Any]:
    """For tests: every `get_github_app_client()` answers `client` inside the block."""
    with _override("github_app", client):
        yield client


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def clear_client_cache() -> None:
    """Drop cached clients (tests; settings changes at runtime)."""
    for cache in (_github_client, _facebook_client, _github_app_client):
        cache.cache_clear()


# provider name -> the client every caller gets instead (set only by the overrides below)
_overrides: dict[str, Any] = {}


@contextmanager
def override_github_client(client: Any) -> Iterator[Any]:
    """For tests: every `get_github_client()` answers `client` inside the block."""
    with _override("github", client):
        yield client


@contextmanager
def override_facebook_client(client: Any) -> Iterator[Any]:
    """For tests: every `get_facebook_client()` answers `client` inside the block (the settings
    are still checked, so ProviderNotConfigured behaves as in production)."""
    with _override("facebook", client):
        yield client


@contextmanager
def _override(provider: str, client: Any) -> Iterator[None]:
    previous = _overrides.get(provider)
    _overrides[provider] = client
    try:
        yield
    finally:
        if previous is None:
            _overrides.pop(provider, None)
        else:
            _overrides[provider] = previous


def _read(provider: str, names: tuple[str, ...]) -> list[str]:
    values = [str(getattr(settings, name, "") or "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        # Names only: the values of the settings that are present may be secrets.
        raise ProviderNotConfigured(f"{provider} is not configured: set {', '.join(missing)}.")
    return values


def _timeout_s() -> tuple[float, float]:
    value = getattr(settings, "PROVIDER_TIMEOUT_S", None) or http.DEFAULT_TIMEOUT_S
    try:
        connect_s, read_s = value
        return (float(connect_s), float(read_s))
    except (TypeError, ValueError):
        raise ProviderNotConfigured(
            "PROVIDER_TIMEOUT_S must be a (connect_s, read_s) pair."
        ) from None


@lru_cache(maxsize=8)
def _github_client(
    client_id: str, secret: str, web_url: str, api_url: str, timeout_s: tuple[float, float]
) -> GitHubClient:
    return GitHubClient(client_id, secret, web_url=web_url, api_url=api_url, timeout_s=timeout_s,
                        budget=CacheBudget())


@lru_cache(maxsize=4)
def _github_app_client(app_id: str, private_key: str, slug: str, web_url: str, api_url: str,
                       timeout_s: tuple[float, float]) -> GitHubAppClient:
    return GitHubAppClient(app_id, private_key, slug=slug, web_url=web_url, api_url=api_url,
                           timeout_s=timeout_s)


@lru_cache(maxsize=8)
def _facebook_client(
    app_id: str, secret: str, web_url: str, graph_url: str, version: str,
    timeout_s: tuple[float, float],
) -> FacebookClient:
    return FacebookClient(
        app_id, secret, web_url=web_url, graph_url=graph_url, graph_version=version,
        timeout_s=timeout_s, budget=CacheBudget(),
    )
