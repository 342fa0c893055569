"""The staff Facebook Page link and Page posts, as whole flows.

Views, the `post_to_page` command and other Django code call these; these call the Facebook
client and the models. Tokens are stored encrypted and never leave this layer. Provider calls
happen before the database writes, so a failure never leaves a half-linked Page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.config import get_facebook_client
from integrations.errors import (
    AccessDenied,
    AuthorizationFailed,
    IntegrationError,
    InvalidSignedRequest,
    NotLinked,
    PermissionMissing,
    ProviderError,
    TokenInvalid,
)
from integrations.flows import consume_flow, start_flow
from integrations.models import (
    DataDeletionRequest,
    DataDeletionStatus,
    FacebookPageLink,
    FlowPurpose,
    PagePost,
    PagePostSource,
    PagePostStatus,
)

if TYPE_CHECKING:
    from integrations.facebook import FacebookClient, FacebookPage, TokenInfo

logger = logging.getLogger(__name__)

POSTING_TASK = "CREATE_CONTENT"
MESSAGE_MAX_CHARS = 63206  # Facebook's limit for a Page post's text
LINK_MAX_CHARS = 2000
SCHEDULE_MIN = timedelta(minutes=10)  # Facebook: scheduled_publish_time 10 minutes …
SCHEDULE_MAX = timedelta(days=30)  # … to 30 days after the request
TOKEN_CHECK_TTL_S = 60
# How long a retry waits for the request that holds the same Idempotency-Key (its Graph call
# may take a connect + read timeout).
IDEMPOTENCY_WAIT_S = 15.0
_sleep = time.sleep  # test seam


# --- Errors specific to these flows (mapped to HTTP by api.errors like all IntegrationErrors) ---


class NoPostablePage(IntegrationError):
    status = 400
    code = "no_postable_page"
    default_message = ("This Facebook account cannot create content on any Page; ask for the "
                       "Create content task on the Page and link again.")


class PageNotManageable(IntegrationError):
    status = 400
    code = "page_not_manageable"
    default_message = "The linked Facebook user cannot create content on that Page."


class PostInvalid(IntegrationError):
    status = 400
    code = "validation_error"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, provider="facebook")
        self.field = field


class IdempotencyKeyReused(IntegrationError):
    status = 422
    code = "idempotency_key_reused"
    default_message = ("This Idempotency-Key was already used for a different post; use a new "
                       "key for a new post.")


class IdempotencyInProgress(IntegrationError):
    status = 409
    code = "idempotency_in_progress"
    default_message = ("A request with this Idempotency-Key is still being processed; retry "
                       "in a moment.")


# --- Small values returned to views ---------------------------------------------------------


@dataclass(frozen=True)
class StartedLink:
    authorize_url: str
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenCheck:
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
    token: TokenCheck | None
    page_token: TokenCheck | None
    relink_needed: bool
    linked_by: object | None
    linked_at: datetime | None


@dataclass(frozen=True)
class PostOutcome:
    post: PagePost
    replayed: bool


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


def _stored_link() -> FacebookPageLink:
    """The link row for reading (not created on read)."""
    return FacebookPageLink.objects.filter(pk=FacebookPageLink.singleton_instance_id).first() \
        or FacebookPageLink(pk=FacebookPageLink.singleton_instance_id)


def _locked_link() -> FacebookPageLink:
    """The link row, locked for this transaction."""
    FacebookPageLink.objects.get_or_create(pk=FacebookPageLink.singleton_instance_id)
    return FacebookPageLink.objects.select_for_update().get(
        pk=FacebookPageLink.singleton_instance_id)


def _check_cache_key(token: str) -> str:
    return "facebook:token-check:" + hashlib.sha256(token.encode()).hexdigest()


def _token_check(info: TokenInfo) -> TokenCheck:
    valid = bool(info.is_valid) and str(info.app_id or "") == str(settings.FACEBOOK_APP_ID)
    error_code = None if valid else "token_invalid"
    return TokenCheck(
        valid=valid, expires_at=info.expires_at, data_access_expires_at=info.data_access_expires_at,
        scopes=tuple(info.scopes), missing_scopes=_missing_scopes(info.scopes),
        checked_at=timezone.now(), error_code=error_code,
        error_message=None if valid else (info.error_message or "Facebook says this token is "
                                          "not valid for this app."),
    )


def check_token(token: str, *, client: FacebookClient | None = None) -> TokenCheck:
    """Live validity of a stored token via debug_token, cached ~60 s; never raises for Graph."""
    key = _check_cache_key(token)
    cached = cache.get(key)
    if cached is not None:
        return TokenCheck(**cached)
    try:
        check = _token_check((client or get_facebook_client()).debug_token(token))
    except TokenInvalid as exc:
        check = TokenCheck(valid=False, expires_at=None, data_access_expires_at=None, scopes=(),
                           missing_scopes=(), checked_at=timezone.now(),
                           error_code=exc.code, error_message=exc.message)
    except ProviderError as exc:
        # Unknown, not invalid: say so, and do not cache it.
        return TokenCheck(valid=None, expires_at=None, data_access_expires_at=None, scopes=(),
                          missing_scopes=(), checked_at=timezone.now(),
                          error_code=exc.code, error_message=exc.message)
    cache.set(key, asdict(check), TOKEN_CHECK_TTL_S)
    return check


def _forget_checks(*tokens: str | None) -> None:
    cache.delete_many([_check_cache_key(t) for t in tokens if t])


# --- Linking ----------------------------------------------------------------------------------


def start_facebook_link(*, binding: str, user) -> StartedLink:
    """Issue a state bound to this session and staff user, and Facebook's dialog URL.

    Facebook's classic code flow has no PKCE, so the verifier start_flow keeps is never used.
    """
    redirect_uri = facebook_redirect_uri()
    flow = start_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, redirect_uri=redirect_uri,
                      binding=binding, user=user)
    # rerequest: without it Facebook never asks again for a permission declined earlier.
    url = get_facebook_client().dialog_url(state=flow.state, redirect_uri=redirect_uri,
                                        scopes=list(_required_scopes()), rerequest=True)
    return StartedLink(authorize_url=url, state=flow.state, expires_at=flow.expires_at)


def refuse_facebook_link(*, state: str, binding: str | None, user, error: str,
                         description: str) -> None:
    """Facebook sent the person back with an error: consume the state, then say why."""
    consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=state, binding=binding, user=user)
    raise AccessDenied(description or "The Facebook dialog was cancelled.", provider="facebook")


def link_facebook_page(*, code: str, state: str, binding: str | None, user) -> FacebookPageLink:
    """Finish the Page-link flow: state, code exchange, long-lived token, checks, Pages.

    With exactly one Page the user can create content on, it is selected and its token stored;
    with several, the staff member picks one with `select_facebook_page`.
    """
    flow = consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=state, binding=binding,
                        user=user)
    client = get_facebook_client()
    short = client.exchange_code(code, flow.redirect_uri)
    token = client.extend_token(short.access_token)
    info = client.debug_token(token.access_token)
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
    pages = _postable(client.list_pages(token.access_token))
    if not pages:
        raise NoPostablePage(provider="facebook")
    page_token = None
    if len(pages) == 1:
        page_token = pages[0].access_token or client.get_page_token(token.access_token,
                                                                    pages[0].id)
    with transaction.atomic():
        link = _locked_link()
        old_tokens = (link.user_token, link.page_token)
        link.forget()
        link.facebook_user_id = str(info.user_id)
        link.user_token = token.access_token
        link.user_token_expires_at = info.expires_at or token.expires_at
        link.data_access_expires_at = info.data_access_expires_at
        link.scopes = ",".join(info.scopes)
        link.candidate_pages = [_page_summary(p) for p in pages]
        if page_token:
            link.page_id, link.page_name, link.page_token = str(pages[0].id), pages[0].name, \
                page_token
        link.linked_by = user
        link.linked_at = timezone.now()
        link.save()
    _forget_checks(*old_tokens)
    cache.set(_check_cache_key(token.access_token), asdict(check), TOKEN_CHECK_TTL_S)
    logger.info("facebook page link: user %s linked facebook user %s (%d postable pages)",
                getattr(user, "pk", None), link.facebook_user_id, len(pages))
    return link


def list_postable_pages() -> list[dict]:
    """Pages the linked Facebook user can create content on, read live from /me/accounts."""
    link = _stored_link()
    if not link.is_linked:
        raise NotLinked("No Facebook account is linked.", provider="facebook")
    pages = [_page_summary(p) for p in _postable(get_facebook_client().list_pages(link.user_token))]
    for page in pages:
        page["selected"] = page["id"] == link.page_id
    return pages


def select_facebook_page(*, page_id: str, user) -> FacebookPageLink:
    """Choose the Page to post to: it must be one the linked user can create content on."""
    link = _stored_link()
    if not link.is_linked:
        raise NotLinked("No Facebook account is linked.", provider="facebook")
    client = get_facebook_client()
    pages = _postable(client.list_pages(link.user_token))
    page = next((p for p in pages if str(p.id) == page_id), None)
    if page is None:
        raise PageNotManageable(provider="facebook")
    page_token = client.get_page_token(link.user_token, page.id)
    with transaction.atomic():
        locked = _locked_link()
        if locked.user_token != link.user_token:
            raise NotLinked("The Facebook link changed meanwhile; reload and try again.",
                            provider="facebook")
        old_page_token = locked.page_token
        locked.page_id, locked.page_name, locked.page_token = str(page.id), page.name, page_token
        locked.candidate_pages = [_page_summary(p) for p in pages]
        locked.save()
    _forget_checks(old_page_token)
    logger.info("facebook page link: user %s selected page %s", getattr(user, "pk", None),
                locked.page_id)
    return locked


def facebook_link_state() -> LinkState:
    """The link as staff see it, with live (briefly cached) validity of both tokens."""
    link = _stored_link()
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
    with transaction.atomic():
        link = _locked_link()
        if not link.is_linked and not link.page_token:
            return
        user_token, page_token, fb_user = link.user_token, link.page_token, link.facebook_user_id
        link.forget()
        link.save()
    _forget_checks(user_token, page_token)
    logger.info("facebook page link: user %s unlinked facebook user %s",
                getattr(user, "pk", None), fb_user)
    if not user_token:
        return
    try:
        get_facebook_client().revoke(user_token)
    except IntegrationError as exc:
        logger.warning("facebook revoke failed for facebook user %s: %r", fb_user, exc)


# --- Facebook's own callbacks ----------------------------------------------------------------


def _signed_user_id(signed_request: str) -> str:
    payload = get_facebook_client().parse_signed_request(signed_request)
    user_id = payload.get("user_id") if isinstance(payload, dict) else None
    if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id):
        raise InvalidSignedRequest("The signed request names no user.", provider="facebook")
    return str(user_id)


def _forget_facebook_user(facebook_user_id: str) -> bool:
    with transaction.atomic():
        link = _locked_link()
        if not link.facebook_user_id or link.facebook_user_id != facebook_user_id:
            return False
        tokens = (link.user_token, link.page_token)
        link.forget()
        link.save()
    _forget_checks(*tokens)
    return True


def deauthorize_facebook_user(*, signed_request: str) -> bool:
    """Facebook says the user removed the app: forget that user's tokens (only that user's)."""
    facebook_user_id = _signed_user_id(signed_request)
    forgot = _forget_facebook_user(facebook_user_id)
    logger.info("facebook deauthorize for facebook user %s (tokens forgotten: %s)",
                facebook_user_id, forgot)
    return forgot


def request_data_deletion(*, signed_request: str) -> DataDeletionRequest:
    """Facebook's data-deletion callback: forget the user's tokens and record the request."""
    facebook_user_id = _signed_user_id(signed_request)
    record = DataDeletionRequest.objects.create(
        confirmation_code=secrets.token_hex(10),
        facebook_user_hash=hashlib.sha256(facebook_user_id.encode()).hexdigest(),
    )
    _forget_facebook_user(facebook_user_id)
    record.status, record.completed_at = DataDeletionStatus.COMPLETED, timezone.now()
    record.save(update_fields=["status", "completed_at"])
    logger.info("facebook data deletion %s completed", record.confirmation_code)
    return record


def data_deletion_status(*, confirmation_code: str) -> DataDeletionRequest | None:
    return DataDeletionRequest.objects.filter(confirmation_code=confirmation_code).first()


# --- Posting ----------------------------------------------------------------------------------


def post_input_errors(*, message, link=None, scheduled_at=None, now=None) -> dict[str, str]:
    """Local checks before anything is recorded or sent: {field: problem}, empty when fine."""
    errors = {}
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Write a message."
    elif len(message) > MESSAGE_MAX_CHARS:
        errors["message"] = f"At most {MESSAGE_MAX_CHARS} characters (Facebook's limit)."
    if link:
        parts = urlsplit(link) if isinstance(link, str) else None
        if (parts is None or parts.scheme not in {"http", "https"} or not parts.hostname
                or len(link) > LINK_MAX_CHARS or any(c.isspace() or ord(c) < 32 for c in link)):
            errors["link"] = f"An http or https URL of at most {LINK_MAX_CHARS} characters."
    if scheduled_at is not None:
        now = now or timezone.now()
        if timezone.is_naive(scheduled_at):
            errors["scheduled_at"] = "Give a time zone (e.g. 2026-12-01T10:00:00Z)."
        elif not now + SCHEDULE_MIN <= scheduled_at <= now + SCHEDULE_MAX:
            errors["scheduled_at"] = "Schedule between 10 minutes and 30 days from now."
    return errors


def request_fingerprint(*, message: str, link: str | None, scheduled_at: datetime | None) -> str:
    when = scheduled_at.astimezone(UTC).isoformat() if scheduled_at else ""
    body = json.dumps([message, link or "", when], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _await_result(post: PagePost, fingerprint: str) -> PagePost:
    """A retry: same body or refuse; wait briefly while the first request is still sending."""
    if not secrets.compare_digest(post.request_fingerprint, fingerprint):
        raise IdempotencyKeyReused(provider="facebook")
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_S
    while post.status == PagePostStatus.PENDING:
        if time.monotonic() >= deadline:
            raise IdempotencyInProgress(provider="facebook")
        _sleep(0.1)
        post.refresh_from_db()
    return post


def submit_page_post(*, message: str, link: str | None = None,
                     scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                     created_by=None, source: str = PagePostSource.SERVICE) -> PostOutcome:
    """Post to the linked Page at most once per idempotency key; every attempt is recorded.

    The row with the unique key is committed before the Graph call, so of two racing requests
    exactly one publishes; the other waits for its result and answers with the same post.
    Provider errors are recorded on the row, then raised.
    """
    errors = post_input_errors(message=message, link=link, scheduled_at=scheduled_at)
    if errors:
        field, problem = next(iter(errors.items()))
        raise PostInvalid(f"{field}: {problem}", field=field)
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    fingerprint = request_fingerprint(message=message, link=link, scheduled_at=scheduled_at)
    existing = PagePost.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return PostOutcome(_await_result(existing, fingerprint), replayed=True)
    page_link = _stored_link()
    if not page_link.has_page:
        raise NotLinked("No Facebook Page is linked: link one first." if not page_link.is_linked
                        else "Choose the Facebook Page to post to first.", provider="facebook")
    try:
        with transaction.atomic():
            post = PagePost.objects.create(
                idempotency_key=key, request_fingerprint=fingerprint, page_id=page_link.page_id,
                message=message, link=link or "", scheduled_at=scheduled_at,
                created_by=created_by, source=source,
            )
    except IntegrityError:
        existing = PagePost.objects.get(idempotency_key=key)
        return PostOutcome(_await_result(existing, fingerprint), replayed=True)
    _send(post, page_token=page_link.page_token)
    return PostOutcome(post, replayed=False)


def publish_page_post(*, message: str, link: str | None = None,
                      scheduled_at: datetime | None = None, idempotency_key: str | None = None,
                      created_by=None, source: str = PagePostSource.SERVICE) -> PagePost:
    """Post to the linked Page (for the event monitor and other Django code); see submit."""
    return submit_page_post(message=message, link=link, scheduled_at=scheduled_at,
                            idempotency_key=idempotency_key, created_by=created_by,
                            source=source).post


def _send(post: PagePost, *, page_token: str) -> None:
    # Never retried: Facebook would publish the post twice.
    try:
        result = get_facebook_client().publish_to_page(
            post.page_id, page_token, post.message, link=post.link or None,
            scheduled_at=post.scheduled_at,
        )
    except IntegrationError as exc:
        _finish(post, status=PagePostStatus.FAILED, error_code=exc.code,
                error_message=exc.message)
        raise
    except Exception:
        _finish(post, status=PagePostStatus.FAILED, error_code="server_error",
                error_message="Something went wrong on our side.")
        raise
    status = PagePostStatus.SCHEDULED if result.scheduled or post.scheduled_at \
        else PagePostStatus.PUBLISHED
    _finish(post, status=status, facebook_post_id=str(result.id))


def _finish(post: PagePost, *, status: str, facebook_post_id: str = "", error_code: str = "",
            error_message: str = "") -> None:
    post.status, post.facebook_post_id = status, facebook_post_id
    post.error_code, post.error_message = error_code, error_message[:1000]
    post.completed_at = timezone.now()
    post.save(update_fields=["status", "facebook_post_id", "error_code", "error_message",
                             "completed_at"])
    logger.info("page post %s (%s) by user %s: %s %s", post.pk, post.source,
                post.created_by_id, status, error_code)
