"""How much of a provider's call budget is spent, as the providers' usage headers say (A8, B13).
Plain Python, no Django.

Clients read the headers of every answer, success or error, into a `ProviderUsage` and hand it
to their `UsageBudget`; before a call they ask the budget whether to go ahead. The budget that
remembers usage across processes (Django's cache) lives in `integrations.usage_store`: the
clients never touch storage themselves.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from integrations.errors import ProviderRateLimited

# From this share of a budget on, calls stop until it resets: the last calls are kept for
# what cannot wait (a code exchange), and we never hit the provider's hard limit.
BACKOFF_PERCENT = 90.0
APP_BUDGET = "app"


@dataclass(frozen=True)
class ProviderUsage:
    """One budget's state: `key` names whose budget (APP_BUDGET, or a `token_budget_key`)."""

    provider: str
    key: str
    used_percent: float
    resets_at: datetime | None
    remaining: int | None = None
    limit: int | None = None

    @property
    def remaining_percent(self) -> float:
        return max(0.0, 100.0 - self.used_percent)

    def near_limit(self, now: datetime) -> bool:
        return self.used_percent >= BACKOFF_PERCENT and (
            self.resets_at is None or self.resets_at > now)

    def wait_s(self, now: datetime) -> int:
        if self.resets_at is None:
            return 60
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


def token_budget_key(token: str) -> str:
    """A budget key for calls made with `token` (a hash: the key may be stored and shown)."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:24]


class UsageBudget(Protocol):
    def check(self, provider: str, key: str, now: datetime) -> None:
        """Raise ProviderRateLimited (with the wait) when that budget is nearly spent."""

    def record(self, usage: ProviderUsage) -> None:
        """Remember what the provider's last answer said about a budget."""


class UnsharedBudget:
    """Remembers usage in this object only: for a client used on its own (scripts, tests).
    The application's clients get the cache-backed budget from `integrations.config`."""

    def __init__(self) -> None:
        self.usage: dict[tuple[str, str], ProviderUsage] = {}

    def check(self, provider: str, key: str, now: datetime) -> None:
        raise_if_near_limit(self.usage.get((provider, key)), now)

    def record(self, usage: ProviderUsage) -> None:
        self.usage[(usage.provider, usage.key)] = usage


def raise_if_near_limit(usage: ProviderUsage | None, now: datetime) -> None:
    """The one rule: at BACKOFF_PERCENT or more, wait until the budget resets."""
    if usage is not None and usage.near_limit(now):
        raise ProviderRateLimited(
            "The provider's call budget is nearly spent; try again after it resets.",
            provider=usage.provider, retry_after_s=usage.wait_s(now))
