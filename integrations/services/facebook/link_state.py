"""The Page link as staff see it: read only, with live (briefly cached) token validity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.config import get_facebook_client
from integrations.services.facebook.page_link import (
    linked_page_link,
    page_summary,
    postable,
    read_page_link,
)
from integrations.services.facebook.token_checks import check_token
from integrations.token_check import TokenCheck
from integrations.usage import ProviderUsage
from integrations.usage_store import facebook_app_usage


@dataclass(frozen=True)
class LinkState:
    linked: bool
    page_selected: bool
    facebook_user_id: str | None
    page_id: str | None
    page_name: str | None
    pages: list[dict]
    token: TokenCheck | None
    page_token: TokenCheck | None
    relink_needed: bool
    linked_by: object | None
    linked_at: datetime | None
    budget: ProviderUsage | None = None  # what is left of the app's Graph call budget


NOT_LINKED = LinkState(linked=False, page_selected=False, facebook_user_id=None, page_id=None,
                       page_name=None, pages=[], token=None, page_token=None,
                       relink_needed=False, linked_by=None, linked_at=None)


def facebook_link_state() -> LinkState:
    """The link, with live (briefly cached) validity of both tokens."""
    link = read_page_link()
    if not link.is_linked:
        return NOT_LINKED
    client = get_facebook_client()
    token = check_token(link.user_token, client=client)
    page_token = check_token(link.page_token, client=client) if link.has_page else None
    checks = [c for c in (token, page_token) if c is not None]
    relink = any(c.valid is False or c.missing_scopes for c in checks)
    return LinkState(
        linked=True, page_selected=link.has_page, facebook_user_id=link.facebook_user_id,
        page_id=link.page_id or None, page_name=link.page_name or None,
        pages=list(link.candidate_pages), token=token, page_token=page_token,
        relink_needed=relink, linked_by=link.linked_by, linked_at=link.linked_at,
        budget=facebook_app_usage(),
    )


def list_postable_pages() -> list[dict]:
    """Pages the linked Facebook user can create content on, read live from /me/accounts."""
    link = linked_page_link()
    pages = [page_summary(p) for p in postable(get_facebook_client().list_pages(link.user_token))]
    for page in pages:
        page["selected"] = page["id"] == link.page_id
    return pages
