"""Facebook client: Login dialog, token exchange and inspection, Pages, signed_request.

Docs: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
https://developers.facebook.com/docs/graph-api (facts in ../shared/PROVIDERS.md part B).
Plain Python, no Django. The Graph version is in every URL: unversioned calls follow the App
Dashboard default, not ours.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests

from integrations import http
from integrations import signed_request as _signed_request
from integrations.errors import (
    BadProviderResponse,
    PermissionMissing,
    ProviderError,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.facebook.errors import app_token_error, graph_error
from integrations.facebook.instagram import InstagramMixin
from integrations.facebook.parsing import (
    graph_usage,
    next_cursor,
    page_path,
    parse_page,
    parse_post_summary,
    parse_token,
    parse_token_info,
)
from integrations.facebook.types import (
    FacebookPage,
    FacebookToken,
    FacebookUser,
    PagePostResult,
    PagePostSummary,
    TokenInfo,
)
from integrations.parsing import id_str, str_or_none
from integrations.provider_client import ProviderClient
from integrations.usage import APP_BUDGET, UsageBudget

MAX_PAGES_FOLLOWED = 20


def schedule_form(scheduled_at: datetime | None) -> dict[str, str]:
    """The form fields that schedule a feed or photo post (none to publish now)."""
    if scheduled_at is None:
        return {}
    if scheduled_at.tzinfo is None:
        raise ValueError("scheduled_at must be timezone-aware")
    return {"published": "false", "scheduled_publish_time": str(int(scheduled_at.timestamp()))}


class FacebookClient(InstagramMixin, ProviderClient):
    """Talks to Facebook Login and the Graph API (or the sandbox), at one Graph version."""

    provider = "facebook"

    def __init__(self, app_id: str, app_secret: str, *, web_url: str, graph_url: str,
                 graph_version: str = "v25.0", session: requests.Session | None = None,
                 timeout_s: tuple[float, float] = http.DEFAULT_TIMEOUT_S,
                 budget: UsageBudget | None = None) -> None:
        super().__init__(web_url=web_url, session=session, timeout_s=timeout_s, budget=budget)
        self.app_id = str(app_id)
        self._app_secret = app_secret
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
        return parse_token(body, self.now())

    def extend_token(self, token: str) -> FacebookToken:
        """grant_type=fb_exchange_token: a short-lived user token for a ~60-day one."""
        body = self._graph("POST", "oauth/access_token", data={
            "grant_type": "fb_exchange_token",
            "client_id": self.app_id,
            "client_secret": self._app_secret,
            "fb_exchange_token": token,
        })
        return parse_token(body, self.now())

    def debug_token(self, token: str) -> TokenInfo:
        """GET /debug_token with the app token. A token issued to another app is not valid;
        a top-level error is ProviderMisconfigured (our credentials), never TokenInvalid."""
        # The app token gets a proof too: "Require App Secret" applies to every server call.
        try:
            body = self._graph(
                "GET", "debug_token", params={"input_token": token},
                token=f"{self.app_id}|{self._app_secret}",
            )
        except ProviderError as exc:
            # A top-level error judges our app token; only `data` judges the user's token.
            raise app_token_error(exc) from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise BadProviderResponse(provider=self.provider)
        return parse_token_info(data, app_id=self.app_id)

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
            pages.extend(parse_page(item) for item in body["data"])
            after = next_cursor(body.get("paging"))
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
            "GET", page_path(page_id), params={"fields": "access_token"}, token=user_token
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
        form.update(schedule_form(scheduled_at))
        body = self._graph("POST", f"{page_path(page_id)}/feed", data=form, token=page_token)
        post_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if post_id is None:
            raise BadProviderResponse(provider=self.provider)
        return PagePostResult(id=post_id, scheduled=scheduled_at is not None)

    def publish_photo(
        self, page_id: str, page_token: str, image_url: str, caption: str,
        scheduled_at: datetime | None = None,
    ) -> PagePostResult:
        """POST /{page_id}/photos with a public image URL Facebook fetches (PROVIDERS-APPS-MEDIA
        E1): a photo post whose story is `post_id`. Never retried, like a feed post."""
        form = {"url": image_url, "caption": caption, **schedule_form(scheduled_at)}
        body = self._graph("POST", f"{page_path(page_id)}/photos", data=form, token=page_token)
        photo_id = id_str(body.get("id") if isinstance(body, dict) else None)
        if photo_id is None:
            raise BadProviderResponse(provider=self.provider)
        post_id = id_str(body.get("post_id")) or photo_id
        return PagePostResult(id=post_id, scheduled=scheduled_at is not None, photo_id=photo_id)

    def list_page_posts(
        self, page_id: str, page_token: str, *, since: datetime, scheduled: bool = False,
    ) -> tuple[PagePostSummary, ...]:
        """GET /{page_id}/published_posts (or /scheduled_posts) created since `since`, newest
        first, one page of up to 100: enough to find a post we may just have made. The link is
        asked for twice: Graph no longer answers `link` for every post type, while
        `attachments{unshimmed_url}` carries it (without Facebook's l.php redirect)."""
        edge = "scheduled_posts" if scheduled else "published_posts"
        body = self._graph("GET", f"{page_path(page_id)}/{edge}", params={
            "fields": "id,message,link,attachments{unshimmed_url},created_time", "limit": "100",
            "since": str(int(since.timestamp())),
        }, token=page_token)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise BadProviderResponse(provider=self.provider)
        return tuple(parse_post_summary(item) for item in body["data"])

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
        never in the URL; `appsecret_proof` rides along with every token-bearing call. The
        app's budget is asked first (except for a code exchange: the code would expire) and
        updated from every answer's usage headers (B13)."""
        if not exchange:
            self.check_budget(APP_BUDGET)
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
        self.record_usage(graph_usage(response.headers, self.now()))
        try:
            body, unreadable = response.json(), None
        except ProviderUnavailable as exc:  # HTML or non-JSON: reported after a 5xx status
            body, unreadable = None, exc
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise graph_error(body["error"], response.headers, exchange=exchange)
        if response.status >= 500:
            raise ProviderUnavailable(provider=self.provider)
        if unreadable is not None:
            raise unreadable
        if response.status >= 400:
            raise ProviderError(provider=self.provider)
        return body
