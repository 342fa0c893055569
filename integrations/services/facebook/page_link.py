"""The one Facebook Page link row: read it, lock it, forget it; and the Pages it stores."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from integrations.errors import NotLinked
from integrations.models import FacebookPageLink
from integrations.services.facebook.token_checks import forget_token_checks

if TYPE_CHECKING:
    from integrations.facebook import FacebookPage

POSTING_TASK = "CREATE_CONTENT"


@dataclass(frozen=True)
class PreviousLink:
    """Whom the link belonged to, and the user token it held, before it was replaced or cleared."""

    facebook_user_id: str
    user_token: str | None


def read_page_link() -> FacebookPageLink:
    """The link row for reading (not created on read)."""
    return FacebookPageLink.objects.filter(pk=FacebookPageLink.singleton_instance_id).first() \
        or FacebookPageLink(pk=FacebookPageLink.singleton_instance_id)


def linked_page_link() -> FacebookPageLink:
    """The link for reading; NotLinked when no Facebook account is linked."""
    link = read_page_link()
    if not link.is_linked:
        raise NotLinked("No Facebook account is linked.", provider="facebook")
    return link


def lock_page_link() -> FacebookPageLink:
    """The link row, locked for this transaction."""
    FacebookPageLink.objects.get_or_create(pk=FacebookPageLink.singleton_instance_id)
    return FacebookPageLink.objects.select_for_update().get(
        pk=FacebookPageLink.singleton_instance_id)


def forget_page_link(*, only_if: Callable[[FacebookPageLink], bool]) -> PreviousLink | None:
    """Clear the locked link (tokens, ids, Page) when `only_if(link)`, then drop the cached
    checks of its tokens. Answers whom and which user token it forgot; None if nothing."""
    with transaction.atomic():
        link = lock_page_link()
        if not only_if(link):
            return None
        forgotten = PreviousLink(link.facebook_user_id or "", link.user_token)
        old_tokens = (link.user_token, link.page_token)
        link.forget()
        link.save()
    forget_token_checks(*old_tokens)
    return forgotten


def page_summary(page: FacebookPage) -> dict:
    """A Page as stored and shown: never its token."""
    return {"id": str(page.id), "name": page.name, "category": page.category,
            "tasks": list(page.tasks)}


def postable(pages: Iterable[FacebookPage]) -> list[FacebookPage]:
    """The Pages the linked user can create content on."""
    return [p for p in pages if POSTING_TASK in p.tasks]
