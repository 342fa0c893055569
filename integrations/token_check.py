"""One value for "does this stored provider token still work?", for GitHub and Facebook alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.usage import ProviderUsage


@dataclass(frozen=True)
class TokenCheck:
    """What people may know about a stored token (never the token itself).

    `valid` is None when the provider could not be asked right now: unknown, not invalid.
    """

    valid: bool | None
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    checked_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    missing_scopes: tuple[str, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    budget: ProviderUsage | None = None  # what is left of the calls made with this token
