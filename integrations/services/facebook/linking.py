"""The Page-link flow: finish the Login dialog, choose a Page, unlink.

Every provider call happens before the database write, so a failure never leaves a half-linked
Page. Starting and refusing the flow is `integrations.services.authorization` (FACEBOOK).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import (
    AuthorizationFailed,
    IntegrationError,
    NoPostablePage,
    NotLinked,
    PageNotManageable,
    PermissionMissing,
    ProviderError,
    TokenInvalid,
)
from integrations.flows import consume_flow
from integrations.models import FacebookPageLink, FlowPurpose
from integrations.services.facebook.page_link import (
    PreviousLink,
    forget_page_link,
    linked_page_link,
    lock_page_link,
    page_summary,
    postable,
)
from integrations.services.facebook.token_checks import (
    forget_token_checks,
    remember_token_check,
    token_check_of,
)
from integrations.token_check import TokenCheck

if TYPE_CHECKING:
    from integrations.facebook import FacebookClient, FacebookPage, FacebookToken, TokenInfo
    from integrations.facebook.instagram import InstagramAccount

logger = logging.getLogger(__name__)


def link_facebook_page(*, code: str, state: str, binding: str | None, user) -> FacebookPageLink:
    """Finish the Page-link flow: state, code exchange, long-lived token, checks, Pages.

    With exactly one Page the user can create content on, it is selected and its token stored;
    with several, the staff member picks one with `select_facebook_page`.
    """
    flow = consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=state, binding=binding,
                        user=user)
    client = get_facebook_client()
    token = _exchange(client, code, flow.redirect_uri)
    info, check = _verified_user_token(client, token.access_token)
    pages = postable(client.list_pages(token.access_token))
    if not pages:
        raise NoPostablePage(provider="facebook")
    page_token = None
    if len(pages) == 1:
        page_token = pages[0].access_token or client.get_page_token(token.access_token,
                                                                    pages[0].id)
    instagram = read_instagram_account(client, pages[0].id, page_token, info.scopes) \
        if page_token else None
    link, replaced = _store_link(user=user, token=token, info=info, pages=pages,
                                 page_token=page_token, instagram=instagram)
    remember_token_check(token.access_token, check)
    if replaced.facebook_user_id not in ("", link.facebook_user_id) and replaced.user_token:
        # Another Facebook user took over the link: the old grant is of no use to us now.
        _revoke_quietly(client, replaced.user_token)
    logger.info("facebook page link: user %s linked facebook user %s (%d postable pages)",
                getattr(user, "pk", None), link.facebook_user_id, len(pages),
                extra={"event": "facebook_link", "reason": "linked", "provider": "facebook"})
    return link


def _exchange(client: FacebookClient, code: str, redirect_uri: str) -> FacebookToken:
    """The code for a long-lived token. A token refused within this same exchange says the
    code was bad, not that a link needs redoing: `authorization_failed`, as for GitHub."""
    try:
        short = client.exchange_code(code, redirect_uri)
        return client.extend_token(short.access_token)
    except TokenInvalid as exc:
        raise AuthorizationFailed(provider="facebook", provider_code="invalid_token") from exc


def _verified_user_token(client: FacebookClient, token: str) -> tuple[TokenInfo, TokenCheck]:
    """debug_token: valid, for our app, naming its user, with every required scope."""
    info = client.debug_token(token)
    check = token_check_of(info)
    if not check.valid:
        raise AuthorizationFailed("Facebook did not issue a valid token for this app.",
                                  provider="facebook", provider_code="invalid_token")
    if not info.user_id:
        raise AuthorizationFailed("Facebook did not say which user this token belongs to.",
                                  provider="facebook", provider_code="no_user_id")
    if check.missing_scopes:
        raise PermissionMissing(
            "Facebook did not grant every permission this site needs: "
            + ", ".join(check.missing_scopes) + ". Link again and allow them.",
            provider="facebook", missing=check.missing_scopes,
        )
    return info, check


def read_instagram_account(client: FacebookClient, page_id: str, page_token: str,
                           scopes) -> InstagramAccount | None:
    """The Page's instagram_business_account, when the link may read it (instagram_basic).
    A failed read leaves Instagram off (logged); it never fails the Page link."""
    if "instagram_basic" not in scopes:
        return None
    try:
        return client.get_instagram_account(str(page_id), page_token)
    except ProviderError as exc:
        logger.warning("could not read the Page's Instagram account: %r", exc)
        return None


def _store_link(*, user, token: FacebookToken, info: TokenInfo, pages: list[FacebookPage],
                page_token: str | None, instagram: InstagramAccount | None = None
                ) -> tuple[FacebookPageLink, PreviousLink]:
    with transaction.atomic():
        link = lock_page_link()
        replaced = PreviousLink(link.facebook_user_id or "", link.user_token)
        old_tokens = (link.user_token, link.page_token)
        link.forget()
        link.facebook_user_id = str(info.user_id)
        link.user_token = token.access_token
        link.user_token_expires_at = info.expires_at or token.expires_at
        link.data_access_expires_at = info.data_access_expires_at
        link.scopes = ",".join(info.scopes)
        link.candidate_pages = [page_summary(p) for p in pages]
        if page_token:
            link.page_id, link.page_name = str(pages[0].id), pages[0].name
            link.page_token = page_token
        if instagram is not None:
            link.instagram_user_id = instagram.id
            link.instagram_username = instagram.username or ""
        link.linked_by = user
        link.linked_at = timezone.now()
        link.save()
    forget_token_checks(*old_tokens)
    return link, replaced


def _revoke_quietly(client: FacebookClient, token: str) -> None:
    try:
        client.revoke(token)
    except ProviderError as exc:
        logger.warning("could not revoke the replaced Facebook grant: %r", exc)


def select_facebook_page(*, page_id: str, user) -> FacebookPageLink:
    """Choose the Page to post to: it must be one the linked user can create content on."""
    link = linked_page_link()
    client = get_facebook_client()
    pages = postable(client.list_pages(link.user_token))
    page = next((p for p in pages if str(p.id) == page_id), None)
    if page is None:
        raise PageNotManageable(provider="facebook")
    page_token = client.get_page_token(link.user_token, page.id)
    instagram = read_instagram_account(client, page.id, page_token, link.scopes.split(","))
    with transaction.atomic():
        locked = lock_page_link()
        if locked.user_token != link.user_token:
            raise NotLinked("The Facebook link changed meanwhile; reload and try again.",
                            provider="facebook")
        old_page_token = locked.page_token
        locked.page_id, locked.page_name, locked.page_token = str(page.id), page.name, page_token
        locked.candidate_pages = [page_summary(p) for p in pages]
        locked.instagram_user_id = instagram.id if instagram else ""
        locked.instagram_username = (instagram.username or "") if instagram else ""
        locked.save()
    forget_token_checks(old_page_token)
    logger.info("facebook page link: user %s selected page %s", getattr(user, "pk", None),
                locked.page_id,
                extra={"event": "facebook_link", "reason": "page_selected", "provider": "facebook"})
    return locked


def unlink_facebook_page(*, user=None) -> None:
    """Forget the tokens, then revoke at Facebook best-effort (unlinking works offline too)."""
    forgotten = forget_page_link(only_if=lambda link: link.is_linked or bool(link.page_token))
    if forgotten is None:
        return
    fb_user = forgotten.facebook_user_id
    logger.info("facebook page link: user %s unlinked facebook user %s",
                getattr(user, "pk", None), fb_user,
                extra={"event": "facebook_unlink", "reason": "unlinked", "provider": "facebook"})
    if not forgotten.user_token:
        return
    try:
        get_facebook_client().revoke(forgotten.user_token)
    except IntegrationError as exc:
        logger.warning("facebook revoke failed for facebook user %s: %r", fb_user, exc)
