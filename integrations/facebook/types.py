"""What the Facebook client answers: frozen values, never `Response` objects or raw dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FacebookToken:
    access_token: str = field(repr=False)
    token_type: str
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    """debug_token's answer about one token."""

    is_valid: bool
    type: str | None
    app_id: str | None
    user_id: str | None
    profile_id: str | None
    expires_at: datetime | None  # None = never
    data_access_expires_at: datetime | None
    scopes: tuple[str, ...]
    error_code: int | None
    error_subcode: int | None
    error_message: str | None


@dataclass(frozen=True)
class FacebookUser:
    id: str
    name: str | None


@dataclass(frozen=True)
class FacebookPage:
    id: str
    name: str
    category: str | None
    tasks: tuple[str, ...]
    access_token: str | None = field(repr=False)


@dataclass(frozen=True)
class PagePostResult:
    id: str
    scheduled: bool


@dataclass(frozen=True)
class PagePostSummary:
    """A post as read back from the Page (reconciling a publish whose answer was lost)."""

    id: str
    message: str | None
    link: str | None  # Graph's `link`, which it no longer returns for every post type
    created_time: datetime | None
    attachment_urls: tuple[str, ...] = ()  # `attachments{unshimmed_url}`: the link it carries

    @property
    def links(self) -> tuple[str, ...]:
        """Every URL Facebook says the post links to; empty when it said nothing about it."""
        return tuple(dict.fromkeys(u for u in (self.link, *self.attachment_urls) if u))
