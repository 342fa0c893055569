"""Facebook client: Login dialog, token exchange and inspection, Pages, signed_request.

Docs: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
https://developers.facebook.com/docs/graph-api (facts in ../shared/PROVIDERS.md part B).
Plain Python, no Django. The Graph version is in every URL: unversioned calls follow the App
Dashboard default, not ours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from integrations import http
from integrations import signed_request as _signed_request
from integrations.errors import (
    AuthorizationFailed,
    BadProviderResponse,
    ContentRejected,
    PermissionMissing,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.parsing import id_str, int_or_none, str_or_none, str_tuple, unix_datetime

logger = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
# Graph codes that refuse the content itself (B12), with our own words (never Facebook's text).
CONTENT_REJECTIONS = {
    506: "Facebook refused this post as a duplicate of a recent one; change the text.",
    368: "Facebook is temporarily blocking posts from this Page for policy reasons.",
    1609005: "Facebook could not attach this link; check the URL.",
}
MAX_PAGES_FOLLOWED = 20
_PAGE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class FacebookToken:
    access_token: str = field(repr=False)
    token_type: str
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
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
    link: str | None
    created_time: datetime | None


class FacebookClient(http.HttpClient):
    provider = "facebook"
    now: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))  # test seam

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        web_url: str,
        graph_url: str,
        graph_version: str = "v25.0",
        session: requests.Session | None = None,
        timeout_s: tuple[float, float] = http.DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(session=session, timeout_s=timeout_s)
        self.app_id = str(app_id)
        self._app_secret = app_secret
        self.web_url = web_url.rstrip("/")
        self.graph_version = graph_version.strip("/")
        self.graph_base = f"{graph_url.rstrip('/')}/{self.graph_version}"

    def __repr__(self) -> str:
        return f"FacebookClient(app_id={self.app_id!r}, graph_base={self.graph_base!r})"

    # --- Login dialog and tokens ---------------------------------------------------------

    def dialog_url(
        self, state: str, redirect_uri: str, scopes: list[str] | tuple[str, ...],
        rerequest: bool = False,
    ) -> str:
        """The browser URL for the versioned Login dialog (comma-separated scopes)."""
        params = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(scopes),
        }
        if rerequest:  # without it, permissions declined once are never asked again
            params["auth_type"] = "rerequest"
        return f"{self.web_url}/{self.graph_version}/dialog/oauth?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str) -> FacebookToken:
        """POST /oauth/access_token (a form body keeps the secret out of URLs). Never retried:
        codes are single-use. redirect_uri must be identical to the dialog's."""
        body = self._graph("POST", "oauth/access_token", data={
            "client_id": self.app_id,
            "client_secret": self._app_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }, exchange=True)
        return self._parse_token(body)

    def extend_token(self, token: str) -> FacebookToken:
        """grant_type=fb_exchange_token: a short-lived user token for a ~60-day one."""
        body = self._graph("POST", "oauth/access_token", data={
            "grant_type": "fb_exchange_token",
            "client_id": self.app_id,
            "client_secret": self._app_secret,
            "fb_exchange_token": token,
        })
        return self._parse_token(body)

    def debug_token(self, token: str) -> TokenInfo:
        """GET /debug_token with the app token. A token issued to another app is not valid."""
        # The app token gets a proof too: "Require App Secret" applies to every server call.
        body = self._graph(
            "GET", "debug_token", params={"input_token": token},
            token=f"{self.app_id}|{self._app_secret}",
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise BadProviderResponse(provider=self.provider)
        return self._parse_token_info(data)

    # --- Graph calls made with a user or Page token ---------------------------------------

    def get_me(self, token: str) -> FacebookUser:
        """GET /me?fields=id,name: `id` is app-scoped."""
        body = self._graph("GET", "me", params={"fields": "id,name"}, token=token)
        user_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if user_id is None:
            raise BadProviderResponse("Facebook sent a user without an id.", provider="facebook")
        return FacebookUser(id=user_id, name=str_or_none(body.get("name")))

    def list_pages(self, token: str) -> tuple[FacebookPage, ...]:
        """GET /me/accounts, following the `after` cursor (bounded)."""
        pages: list[FacebookPage] = []
        params = {"fields": "id,name,category,tasks,access_token", "limit": "100"}
        seen_cursors: set[str] = set()
        for _ in range(MAX_PAGES_FOLLOWED):
            body = self._graph("GET", "me/accounts", params=params, token=token)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise BadProviderResponse(provider=self.provider)
            pages.extend(_parse_page(item) for item in body["data"])
            after = _next_cursor(body.get("paging"))
            if after is None or after in seen_cursors or not body["data"]:
                break
            seen_cursors.add(after)
            # Our own URL plus the cursor, never paging.next: that URL embeds the token and
            # points wherever the response says.
            params = {**params, "after": after}
        return tuple(pages)

    def get_page_token(self, user_token: str, page_id: str) -> str:
        """GET /{page_id}?fields=access_token: the Page token, if this user manages the Page."""
        body = self._graph(
            "GET", _page_path(page_id), params={"fields": "access_token"}, token=user_token
        )
        page_token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(page_token, str) or not page_token:
            raise PermissionMissing(
                "Facebook did not grant a token for that Page.", provider=self.provider
            )
        return page_token

    def publish_to_page(
        self, page_id: str, page_token: str, message: str, link: str | None = None,
        scheduled_at: datetime | None = None,
    ) -> PagePostResult:
        """POST /{page_id}/feed with the Page token. Never retried: Facebook would publish the
        post twice."""
        form: dict[str, str] = {"message": message}
        if link:
            form["link"] = link
        if scheduled_at is not None:
            if scheduled_at.tzinfo is None:
                raise ValueError("scheduled_at must be timezone-aware")
            form["published"] = "false"
            form["scheduled_publish_time"] = str(int(scheduled_at.timestamp()))
        body = self._graph("POST", f"{_page_path(page_id)}/feed", data=form, token=page_token)
        post_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if post_id is None:
            raise BadProviderResponse(provider=self.provider)
        return PagePostResult(id=post_id, scheduled=scheduled_at is not None)

    def list_page_posts(
        self, page_id: str, page_token: str, *, since: datetime, scheduled: bool = False,
    ) -> tuple[PagePostSummary, ...]:
        """GET /{page_id}/published_posts (or /scheduled_posts) created since `since`, newest
        first, one page of up to 100: enough to find a post we may just have made."""
        edge = "scheduled_posts" if scheduled else "published_posts"
        body = self._graph("GET", f"{_page_path(page_id)}/{edge}", params={
            "fields": "id,message,link,created_time", "limit": "100",
            "since": str(int(since.timestamp())),
        }, token=page_token)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise BadProviderResponse(provider=self.provider)
        return tuple(_parse_post_summary(item) for item in body["data"])

    def revoke(self, token: str) -> None:
        """DELETE /me/permissions: removes the app for this user. A token that is already
        invalid counts as revoked."""
        try:
            self._graph("DELETE", "me/permissions", token=token)
        except TokenInvalid:
            return

    # --- signed_request (deauthorize / data-deletion callbacks) --------------------------

    def parse_signed_request(self, value: Any) -> dict[str, Any]:
        """The verified payload; see `integrations.signed_request.parse_signed_request`."""
        return _signed_request.parse_signed_request(value, app_secret=self._app_secret)

    # --- Transport and the one error mapping ---------------------------------------------

    def appsecret_proof(self, token: str) -> str:
        """hex HMAC-SHA256(app_secret, token): proves a token-bearing call comes from our server.
        (The classic form: the time-stamped variant would add clock skew as a failure mode.)"""
        return hmac.new(self._app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()

    def _bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"OAuth {token}"}

    def _graph(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        token: str | None = None,
        exchange: bool = False,
    ) -> Any:
        """One Graph call: the token goes in the form body (POST) or the Authorization header,
        never in the URL; `appsecret_proof` rides along with every token-bearing call."""
        params, data = dict(params or {}), dict(data or {})
        headers = {"Accept": "application/json"}
        if token is not None:
            params["appsecret_proof"] = self.appsecret_proof(token)
            if method == "POST":
                data["access_token"] = token
            else:
                headers.update(self._bearer(token))
        response = self.send(
            method, f"{self.graph_base}/{path}", params=params or None,
            data=data or None, headers=headers,
        )
        try:
            body, unreadable = response.json(), None
        except ProviderUnavailable as exc:  # HTML or non-JSON: reported after a 5xx status
            body, unreadable = None, exc
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            self._raise_for_error(body["error"], response.headers, exchange=exchange)
        if response.status >= 500:
            raise ProviderUnavailable(provider=self.provider)
        if unreadable is not None:
            raise unreadable
        if response.status >= 400:
            raise ProviderError(provider=self.provider)
        return body

    def _raise_for_error(
        self, error: Mapping[str, Any], headers: Mapping[str, str], *, exchange: bool = False
    ) -> None:
        """Decide by Graph `code`/`error_subcode`, not by HTTP status. Upstream text is kept on a
        private attribute for server logs only."""
        code = int_or_none(error.get("code"))
        subcode = int_or_none(error.get("error_subcode", error.get("subcode")))
        exc: ProviderError
        if exchange and code == 100:
            exc = AuthorizationFailed(provider=self.provider, provider_code=str(subcode or code))
        elif code in (190, 102):
            exc = TokenInvalid(provider=self.provider, subcode=subcode)
        elif code in RATE_LIMIT_CODES:
            exc = ProviderRateLimited(provider=self.provider, retry_after_s=_retry_after(headers))
        elif code == 10 or (code is not None and 200 <= code <= 299):
            exc = PermissionMissing(provider=self.provider)
        elif code in (1, 2) or error.get("is_transient") is True:
            exc = ProviderUnavailable(provider=self.provider)
        elif code in CONTENT_REJECTIONS:
            exc = ContentRejected(CONTENT_REJECTIONS[code], provider=self.provider)
        else:
            exc = ProviderError(provider=self.provider)
        exc.graph_code, exc.graph_subcode = code, subcode
        exc._graph_message = _clean(error.get("message"))
        logger.warning(
            "facebook graph error code=%s subcode=%s fbtrace_id=%s -> %s",
            code, subcode, _clean(error.get("fbtrace_id"), 64), type(exc).__name__,
        )
        raise exc

    # --- Parsing -------------------------------------------------------------------------

    def _parse_token(self, body: Any) -> FacebookToken:
        access_token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access_token, str) or not access_token:
            raise BadProviderResponse("Facebook sent no access token.", provider=self.provider)
        expires_in = int_or_none(body.get("expires_in"))
        return FacebookToken(
            access_token=access_token,
            token_type=str_or_none(body.get("token_type")) or "bearer",
            expires_at=self.now() + timedelta(seconds=expires_in)
            if expires_in is not None and expires_in > 0 else None,
        )

    def _parse_token_info(self, data: Mapping[str, Any]) -> TokenInfo:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        app_id = id_str(data.get("app_id"))
        user_id = id_str(data.get("user_id"))
        token_type = str_or_none(data.get("type"))
        is_valid = data.get("is_valid") is True
        error_message = _clean(error.get("message"))
        if is_valid and app_id != self.app_id:
            # Meta: never assume a token was issued to you.
            is_valid, error_message = False, "The token was issued to another app."
        if is_valid and token_type in ("USER", "PAGE") and user_id is None:
            raise BadProviderResponse("Facebook sent a token without a user.", provider="facebook")
        return TokenInfo(
            is_valid=is_valid,
            type=token_type,
            app_id=app_id,
            user_id=user_id,
            profile_id=id_str(data.get("profile_id")),
            expires_at=unix_datetime(data.get("expires_at")),  # 0 means never
            data_access_expires_at=unix_datetime(data.get("data_access_expires_at")),
            scopes=str_tuple(data.get("scopes")),
            error_code=int_or_none(error.get("code")),
            error_subcode=int_or_none(error.get("subcode", error.get("error_subcode"))),
            error_message=error_message,
        )


# --- Helpers --------------------------------------------------------------------------------


def _clean(value: Any, limit: int = 300) -> str | None:
    """Provider text for our logs: printable, bounded."""
    if not isinstance(value, str):
        return None
    return "".join(c if c.isprintable() else "?" for c in value[:limit])


def _page_path(page_id: str) -> str:
    if not isinstance(page_id, str) or not _PAGE_ID.fullmatch(page_id):
        raise ValueError("page_id must be a Graph object id")
    return quote(page_id, safe="")


def _parse_page(item: Any) -> FacebookPage:
    page_id = id_str(item.get("id")) if isinstance(item, dict) else None
    if page_id is None:
        raise BadProviderResponse("Facebook sent a Page without an id.", provider="facebook")
    return FacebookPage(
        id=page_id,
        name=str_or_none(item.get("name")) or "",
        category=str_or_none(item.get("category")),
        tasks=str_tuple(item.get("tasks")),
        access_token=str_or_none(item.get("access_token")),
    )


def _parse_post_summary(item: Any) -> PagePostSummary:
    post_id = id_str(item.get("id")) if isinstance(item, dict) else None
    if post_id is None:
        raise BadProviderResponse("Facebook sent a post without an id.", provider="facebook")
    created = str_or_none(item.get("created_time"))
    try:  # Graph's "2026-11-29T20:00:00+0000"
        created_time = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z") if created else None
    except ValueError:
        created_time = None
    return PagePostSummary(id=post_id, message=str_or_none(item.get("message")),
                           link=str_or_none(item.get("link")), created_time=created_time)


def _next_cursor(paging: Any) -> str | None:
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    return str_or_none(cursors.get("after")) if isinstance(cursors, dict) else None


def _retry_after(headers: Mapping[str, str]) -> int:
    """Seconds until Facebook lets us back in: `Retry-After`, else the largest BUC
    `estimated_time_to_regain_access` (minutes), else 60."""
    retry_after = int_or_none(headers.get("Retry-After"))
    if retry_after is not None and retry_after > 0:
        return retry_after
    minutes = 0
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        for entries in usage.values() if isinstance(usage, dict) else ():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict):
                    regain = int_or_none(entry.get("estimated_time_to_regain_access"))
                    minutes = max(minutes, regain or 0)
    except (ValueError, RecursionError):
        pass
    return minutes * 60 if minutes > 0 else 60
