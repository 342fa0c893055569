"""The staff Facebook Page link, as whole flows: link, choose a Page, check tokens, unlink.

Views, the admin and other Django code call these; these call the Facebook client and the
models. Tokens are stored encrypted and never leave this layer. Provider calls happen before the
database writes, so a failure never leaves a half-linked Page. Posting to the Page lives in
`page_posts`, Facebook's own callbacks in `facebook_callbacks`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import (
    AccessDenied,
    AuthorizationFailed,
    IntegrationError,
    NoPostablePage,
    NotLinked,
    PageNotManageable,
    PermissionMissing,
    ProviderError,
    TokenInvalid,
)
from integrations.flows import StartedAuthorization, consume_flow, start_flow
from integrations.models import FacebookPageLink, FlowPurpose

if TYPE_CHECKING:
    from integrations.facebook import FacebookClient, FacebookPage, TokenInfo

logger = logging.getLogger(__name__)

POSTING_TASK = "CREATE_CONTENT"
TOKEN_CHECK_TTL_S = 60


# --- Small values returned to views ---------------------------------------------------------


@dataclass(frozen=True)
class FacebookTokenCheck:
    """What people may know about a stored token, from a (cached) debug_token call."""

    valid: bool | None  # None: Facebook could not be asked right now
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    scopes: tuple[str, ...]
    missing_scopes: tuple[str, ...]
    checked_at: datetime
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class LinkState:
    linked: bool
    page_selected: bool
    facebook_user_id: str | None
    page_id: str | None
    page_name: str | None
    pages: list[dict]
    token: FacebookTokenCheck | None
    page_token: FacebookTokenCheck | None
    relink_needed: bool
    linked_by: object | None
    linked_at: datetime | None


# --- Helpers ----------------------------------------------------------------------------------


def facebook_redirect_uri() -> str:
    return settings.PUBLIC_URL + "/facebook/callback"


def _required_scopes() -> tuple[str, ...]:
    return tuple(settings.FACEBOOK_SCOPES)


def _missing_scopes(granted) -> tuple[str, ...]:
    return tuple(s for s in _required_scopes() if s not in set(granted))


def _page_summary(page: FacebookPage) -> dict:
    """A Page as stored and shown: never its token."""
    return {"id": str(page.id), "name": page.name, "category": page.category,
            "tasks": list(page.tasks)}


def _postable(pages) -> list:
    return [p for p in pages if POSTING_TASK in p.tasks]


def read_page_link() -> FacebookPageLink:
    """The link row for reading (not created on read)."""
    return FacebookPageLink.objects.filter(pk=FacebookPageLink.singleton_instance_id).first() \
        or FacebookPageLink(pk=FacebookPageLink.singleton_instance_id)


def _linked_page_link() -> FacebookPageLink:
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


def _check_cache_key(token: str) -> str:
    return "facebook:token-check:" + hashlib.sha256(token.encode()).hexdigest()


def _token_check(info: TokenInfo) -> FacebookTokenCheck:
    valid = info.is_valid  # the client already marks a token issued to another app invalid
    error_code = None if valid else "token_invalid"
    return FacebookTokenCheck(
        valid=valid, expires_at=info.expires_at, data_access_expires_at=info.data_access_expires_at,
        scopes=tuple(info.scopes), missing_scopes=_missing_scopes(info.scopes),
        checked_at=timezone.now(), error_code=error_code,
        error_message=None if valid else (info.error_message or "Facebook says this token is "
                                          "not valid for this app."),
    )


def check_token(token: str, *, client: FacebookClient | None = None) -> FacebookTokenCheck:
    """Live validity of a stored token via debug_token, cached ~60 s; never raises for Graph."""
    key = _check_cache_key(token)
    cached = cache.get(key)
    if cached is not None:
        return FacebookTokenCheck(**cached)
    try:
        check = _token_check((client or get_facebook_client()).debug_token(token))
    except TokenInvalid as exc:
        check = FacebookTokenCheck(valid=False, expires_at=None, data_access_expires_at=None,
                                   scopes=(), missing_scopes=(), checked_at=timezone.now(),
                                   error_code=exc.code, error_message=exc.message)
    except ProviderError as exc:
        # Unknown, not invalid: say so, and do not cache it.
        return FacebookTokenCheck(valid=None, expires_at=None, data_access_expires_at=None,
                                  scopes=(), missing_scopes=(), checked_at=timezone.now(),
                                  error_code=exc.code, error_message=exc.message)
    cache.set(key, asdict(check), TOKEN_CHECK_TTL_S)
    return check


def forget_token_checks(*tokens: str | None) -> None:
    """Drop cached checks of tokens that were replaced or forgotten."""
    cache.delete_many([_check_cache_key(t) for t in tokens if t])


@dataclass(frozen=True)
class _PreviousLink:
    """Whom the link belonged to, and the user token it held, before it was replaced or cleared."""

    facebook_user_id: str
    user_token: str | None


def forget_page_link(*, only_if: Callable[[FacebookPageLink], bool]) -> _PreviousLink | None:
    """Clear the locked link (tokens, ids, Page) when `only_if(link)`, then drop the cached
    checks of its tokens. Answers whom and which user token it forgot; None if nothing."""
    with transaction.atomic():
        link = lock_page_link()
        if not only_if(link):
            return None
        forgotten = _PreviousLink(link.facebook_user_id or "", link.user_token)
        old_tokens = (link.user_token, link.page_token)
        link.forget()
        link.save()
    forget_token_checks(*old_tokens)
    return forgotten


# --- Linking ----------------------------------------------------------------------------------


def start_facebook_link(*, binding: str, user) -> StartedAuthorization:
    """Issue a state bound to this session and staff user, and Facebook's dialog URL.

    Facebook's classic code flow has no PKCE, so the verifier start_flow keeps is never used.
    """
    redirect_uri = facebook_redirect_uri()
    flow = start_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, redirect_uri=redirect_uri,
                      binding=binding, user=user)
    # rerequest: without it Facebook never asks again for a permission declined earlier.
    url = get_facebook_client().dialog_url(state=flow.state, redirect_uri=redirect_uri,
                                        scopes=list(_required_scopes()), rerequest=True)
    return StartedAuthorization(authorize_url=url, state=flow.state, expires_at=flow.expires_at)


def refuse_facebook_link(*, state: str, binding: str | None, user, error: str,
                         description: str) -> None:
    """Facebook sent the person back with an error: consume the state, then say why."""
    consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=state, binding=binding, user=user)
    raise AccessDenied(description or "The Facebook dialog was cancelled.", provider="facebook")


def link_facebook_page(*, code: str, state: str, binding: str | None, user) -> FacebookPageLink:
    """Finish the Page-link flow: state, code exchange, long-lived token, checks, Pages.

    With exactly one Page the user can create content on, it is selected and its token stored;
    with several, the staff member picks one with `select_facebook_page`. Every provider call
    happens before the write, so a failure leaves the previous link as it was.
    """
    flow = consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=state, binding=binding,
                        user=user)
    client = get_facebook_client()
    short = client.exchange_code(code, flow.redirect_uri)
    token = client.extend_token(short.access_token)
    info, check = _verified_user_token(client, token.access_token)
    pages = _postable(client.list_pages(token.access_token))
    if not pages:
        raise NoPostablePage(provider="facebook")
    page_token = None
    if len(pages) == 1:
        page_token = pages[0].access_token or client.get_page_token(token.access_token,
                                                                    pages[0].id)
    link, replaced = _store_link(user=user, token=token, info=info, pages=pages,
                                 page_token=page_token)
    cache.set(_check_cache_key(token.access_token), asdict(check), TOKEN_CHECK_TTL_S)
    if replaced.facebook_user_id not in ("", link.facebook_user_id) and replaced.user_token:
        # Another Facebook user took over the link: the old grant is of no use to us now.
        _revoke_quietly(client, replaced.user_token)
    logger.info("facebook page link: user %s linked facebook user %s (%d postable pages)",
                getattr(user, "pk", None), link.facebook_user_id, len(pages),
                extra={"event": "facebook_link", "reason": "linked", "provider": "facebook"})
    return link


def _verified_user_token(client: FacebookClient, token: str
                         ) -> tuple[TokenInfo, FacebookTokenCheck]:
    """debug_token: valid, for our app, naming its user, with every required scope."""
    info = client.debug_token(token)
    check = _token_check(info)
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


def _store_link(*, user, token, info: TokenInfo, pages, page_token: str | None
                ) -> tuple[FacebookPageLink, _PreviousLink]:
    with transaction.atomic():
        link = lock_page_link()
        replaced = _PreviousLink(link.facebook_user_id or "", link.user_token)
        old_tokens = (link.user_token, link.page_token)
        link.forget()
        link.facebook_user_id = str(info.user_id)
        link.user_token = token.access_token
        link.user_token_expires_at = info.expires_at or token.expires_at
        link.data_access_expires_at = info.data_access_expires_at
        link.scopes = ",".join(info.scopes)
        link.candidate_pages = [_page_summary(p) for p in pages]
        if page_token:
            link.page_id, link.page_name = str(pages[0].id), pages[0].name
            link.page_token = page_token
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


def list_postable_pages() -> list[dict]:
    """Pages the linked Facebook user can create content on, read live from /me/accounts."""
    link = _linked_page_link()
    pages = [_page_summary(p) for p in _postable(get_facebook_client().list_pages(link.user_token))]
    for page in pages:
        page["selected"] = page["id"] == link.page_id
    return pages


def select_facebook_page(*, page_id: str, user) -> FacebookPageLink:
    """Choose the Page to post to: it must be one the linked user can create content on."""
    link = _linked_page_link()
    client = get_facebook_client()
    pages = _postable(client.list_pages(link.user_token))
    page = next((p for p in pages if str(p.id) == page_id), None)
    if page is None:
        raise PageNotManageable(provider="facebook")
    page_token = client.get_page_token(link.user_token, page.id)
    with transaction.atomic():
        locked = lock_page_link()
        if locked.user_token != link.user_token:
            raise NotLinked("The Facebook link changed meanwhile; reload and try again.",
                            provider="facebook")
        old_page_token = locked.page_token
        locked.page_id, locked.page_name, locked.page_token = str(page.id), page.name, page_token
        locked.candidate_pages = [_page_summary(p) for p in pages]
        locked.save()
    forget_token_checks(old_page_token)
    logger.info("facebook page link: user %s selected page %s", getattr(user, "pk", None),
                locked.page_id,
                extra={"event": "facebook_link", "reason": "page_selected", "provider": "facebook"})
    return locked


def facebook_link_state() -> LinkState:
    """The link as staff see it, with live (briefly cached) validity of both tokens."""
    link = read_page_link()
    if not link.is_linked:
        return LinkState(linked=False, page_selected=False, facebook_user_id=None, page_id=None,
                         page_name=None, pages=[], token=None, page_token=None,
                         relink_needed=False, linked_by=None, linked_at=None)
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
    )


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
