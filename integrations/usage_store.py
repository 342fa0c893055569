"""Provider call budgets shared by every process, in Django's cache.

The clients read usage headers and ask their budget before each call (`integrations.usage`);
this is the budget `integrations.config` gives them, so all workers back off together, and
what the status endpoints read to show what is left.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.cache import cache

from integrations.usage import APP_BUDGET, ProviderUsage, raise_if_near_limit, token_budget_key

KEY_PREFIX = "provider-usage:"
DEFAULT_TTL = timedelta(hours=1)  # GitHub's and Facebook's windows are an hour at most


class CacheBudget:
    """`integrations.usage.UsageBudget` over Django's cache (shared when the cache is)."""

    def check(self, provider: str, key: str, now: datetime) -> None:
        raise_if_near_limit(read_usage(provider, key), now)

    def record(self, usage: ProviderUsage) -> None:
        now = datetime.now(UTC)
        ttl = (usage.resets_at - now) if usage.resets_at and usage.resets_at > now \
            else DEFAULT_TTL
        cache.set(_key(usage.provider, usage.key), usage, max(1, int(ttl.total_seconds())))


def read_usage(provider: str, key: str) -> ProviderUsage | None:
    usage = cache.get(_key(provider, key))
    return usage if isinstance(usage, ProviderUsage) else None


def github_token_usage(token: str) -> ProviderUsage | None:
    """What is left of the budget of calls made with this GitHub token, as last seen."""
    return read_usage("github", token_budget_key(token))


def facebook_app_usage() -> ProviderUsage | None:
    """What is left of the app's Graph budget, as last seen."""
    return read_usage("facebook", APP_BUDGET)


def _key(provider: str, key: str) -> str:
    return f"{KEY_PREFIX}{provider}:{key}"
