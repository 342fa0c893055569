"""GitHub client: OAuth web flow over requests, REST API over PyGithub, typed results and errors.

Docs: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps and
https://docs.github.com/en/rest (facts in ../shared/PROVIDERS.md part A). Plain Python, no Django.
REST calls go through PyGithub, whose transport `integrations.pygithub_transport` replaces with
this client's pooled `HttpClient.send()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests
from github import GithubException

from integrations import http
from integrations.errors import (
    AuthorizationFailed,
    BadProviderResponse,
    PermissionMissing,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.parsing import int_or_none, iso_datetime, str_or_none, str_tuple
from integrations.pygithub_transport import pygithub_requester

API_VERSION = "2022-11-28"
REST_ACCEPT = "application/vnd.github+json"


@dataclass(frozen=True)
class GitHubToken:
    access_token: str = field(repr=False)
    token_type: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    refresh_token: str | None = field(repr=False)
    refresh_token_expires_at: datetime | None


@dataclass(frozen=True)
class GitHubProfile:
    id: int
    login: str
    name: str | None
    avatar_url: str | None
    html_url: str | None
    email: str | None  # the public profile e-mail: never used to match accounts
    company: str | None
    location: str | None
    bio: str | None


@dataclass(frozen=True)
class GitHubRepo:
    id: int
    name: str
    full_name: str
    html_url: str
    description: str | None
    private: bool
    language: str | None
    stargazers_count: int
    updated_at: datetime | None


@dataclass(frozen=True)
class RepoPage:
    repos: tuple[GitHubRepo, ...]
    page: int
    has_next: bool


@dataclass(frozen=True)
class TokenCheck:
    valid: bool
    scopes: tuple[str, ...]
    expires_at: datetime | None


class GitHubClient(http.HttpClient):
    """Talks to github.com or a GitHub Enterprise Server (or the sandbox): same thing to us."""

    provider = "github"
    now: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))  # test seam

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        web_url: str,
        api_url: str,
        session: requests.Session | None = None,
        timeout_s: tuple[float, float] = http.DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(session=session, timeout_s=timeout_s)
        self.client_id = client_id
        self._client_secret = client_secret
        self.web_url = web_url.rstrip("/")
        self.api_url = api_url.rstrip("/")

    def __repr__(self) -> str:
        return f"GitHubClient(client_id={self.client_id!r}, api_url={self.api_url!r})"

    # --- OAuth web flow (requests) -------------------------------------------------------

    def authorize_url(
        self,
        state: str,
        code_challenge: str,
        redirect_uri: str,
        scopes: list[str] | tuple[str, ...],
        login: str | None = None,
        allow_signup: bool = True,
    ) -> str:
        """The browser URL for GET /login/oauth/authorize, with S256 PKCE."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),  # space-delimited, sent as %20
            "state": state,
            "allow_signup": "true" if allow_signup else "false",
        }
        if code_challenge:  # GitHub accepts only S256; `plain` is not supported
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        if login:
            params["login"] = login
        return f"{self.web_url}/login/oauth/authorize?{urlencode(params, quote_via=quote)}"

    def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str | None
    ) -> GitHubToken:
        """POST /login/oauth/access_token. Never retried: codes are single-use."""
        form = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token_request(form)

    def refresh(self, refresh_token: str) -> GitHubToken:
        """POST /login/oauth/access_token with grant_type=refresh_token (the refresh rotates)."""
        return self._token_request({
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        })

    def _token_request(self, form: dict[str, str]) -> GitHubToken:
        response, body = self.send_json(
            "POST",
            f"{self.web_url}/login/oauth/access_token",
            data=form,
            headers={"Accept": "application/json"},
        )
        # GitHub answers 200 on a bad code: look for `error` before `access_token`.
        if isinstance(body, dict) and body.get("error"):
            raise AuthorizationFailed(
                provider=self.provider, provider_code=_safe_code(body["error"])
            )
        if response.status != 200:
            retry_after_s = _github_retry_after(_lower(response.headers), self.now())
            if response.status in (403, 429) and retry_after_s is not None:
                raise ProviderRateLimited(provider=self.provider, retry_after_s=retry_after_s)
            raise ProviderError(provider=self.provider)
        if not isinstance(body, dict):
            raise BadProviderResponse(provider=self.provider)
        return self._parse_token(body)

    def _parse_token(self, body: dict[str, Any]) -> GitHubToken:
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise BadProviderResponse("GitHub sent no access token.", provider=self.provider)
        now = self.now()
        return GitHubToken(
            access_token=access_token,
            token_type=str(body.get("token_type") or "bearer"),
            scopes=_split_scopes(body.get("scope")),
            expires_at=_expiry(now, body.get("expires_in"), self.provider),
            refresh_token=str_or_none(body.get("refresh_token")),
            refresh_token_expires_at=_expiry(
                now, body.get("refresh_token_expires_in"), self.provider
            ),
        )

    # --- REST API (PyGithub) -------------------------------------------------------------

    def get_profile(self, token: str) -> GitHubProfile:
        """GET /user: the signed-in account. `id` is the stable key, `login` can change."""
        _headers, data = self._rest(token, "/user")
        if not isinstance(data, dict):
            raise BadProviderResponse(provider=self.provider)
        user_id, login = int_or_none(data.get("id")), data.get("login")
        if user_id is None or not isinstance(login, str) or not login:
            raise BadProviderResponse("GitHub sent a profile without an id.", provider="github")
        return GitHubProfile(
            id=user_id,
            login=login,
            name=str_or_none(data.get("name")),
            avatar_url=str_or_none(data.get("avatar_url")),
            html_url=str_or_none(data.get("html_url")),
            email=str_or_none(data.get("email")),
            company=str_or_none(data.get("company")),
            location=str_or_none(data.get("location")),
            bio=str_or_none(data.get("bio")),
        )

    def get_primary_verified_email(self, token: str) -> str | None:
        """GET /user/emails: the address that is primary *and* verified, else None."""
        try:
            _headers, data = self._rest(token, "/user/emails", {"per_page": 100})
        except _NotFound:
            return None  # like allauth: no e-mail addresses available
        for entry in data if isinstance(data, list) else ():
            if not isinstance(entry, dict):
                continue
            email = str_or_none(entry.get("email"))
            # `is True`, not truthiness: a string "false" must not pass as verified.
            if entry.get("primary") is True and entry.get("verified") is True and email:
                return email
        return None

    def list_repos(self, token: str, page: int = 1, per_page: int = 30) -> RepoPage:
        """GET /user/repos?page=&per_page=: one page, and whether GitHub links a next one."""
        page = max(1, int(page))
        per_page = min(100, max(1, int(per_page)))
        headers, data = self._rest(token, "/user/repos", {"page": page, "per_page": per_page})
        if not isinstance(data, list):
            raise BadProviderResponse(provider=self.provider)
        repos = tuple(repo for item in data if (repo := _parse_repo(item)) is not None)
        link = headers.get("link")
        if link is not None:
            has_next = any(
                part.get("rel") == "next" for part in requests.utils.parse_header_links(link)
            )
        else:  # no Link header (some proxies strip it): a full page may have a successor
            has_next = len(data) >= per_page
        return RepoPage(repos=repos, page=page, has_next=has_next)

    def _rest(
        self, token: str, path: str, params: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], Any]:
        """GET `path` through PyGithub, with this client's pooled choke point underneath."""
        requester = pygithub_requester(self, token=token, api_url=self.api_url,
                                       api_version=API_VERSION)
        with self._errors():
            return requester.requestJsonAndCheck(
                "GET", path, parameters=params, headers={"Accept": REST_ACCEPT}
            )

    # --- The app's own API (requests, Basic auth with the app credentials) ---------------

    def check_token(self, token: str) -> TokenCheck:
        """POST /applications/{client_id}/token: 404/422 mean the token is not valid."""
        response, body = self._app_call("POST", "token", token)
        if response.status in (404, 422):
            return TokenCheck(valid=False, scopes=(), expires_at=None)
        if response.status != 200 or not isinstance(body, dict):
            self._raise_for_status(response.status, response.headers, body)
            raise BadProviderResponse(provider=self.provider)
        return TokenCheck(
            valid=True,
            scopes=str_tuple(body.get("scopes")),
            expires_at=iso_datetime(body.get("expires_at")),
        )

    def revoke_grant(self, token: str) -> None:
        """DELETE /applications/{client_id}/grant: 204, or 404 when it is already gone."""
        response, body = self._app_call("DELETE", "grant", token)
        if response.status in (200, 204, 404):
            return
        self._raise_for_status(response.status, response.headers, body)
        raise BadProviderResponse(provider=self.provider)

    def _app_call(self, method: str, what: str, token: str) -> tuple[http.HttpResponse, Any]:
        response, body = self.send_json(
            method,
            f"{self.api_url}/applications/{quote(self.client_id, safe='')}/{what}",
            json_body={"access_token": token},
            headers={"Accept": REST_ACCEPT, "X-GitHub-Api-Version": API_VERSION},
            auth=(self.client_id, self._client_secret),
        )
        if response.status == 401:  # our app credentials, not the user's token
            raise ProviderError(
                "GitHub rejected the application credentials.", provider=self.provider
            )
        return response, body

    # --- Error mapping: the one place --------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except GithubException as exc:
            if exc.status == 404:
                raise _NotFound(provider=self.provider) from None
            self._raise_for_status(exc.status, exc.headers or {}, exc.data)
            raise ProviderError(provider=self.provider) from None

    def _raise_for_status(self, status: int, headers: Any, body: Any) -> None:
        """Map a REST error status (and its headers) to a typed error; returns on 2xx."""
        if status < 400:
            return
        headers = _lower(headers)
        if status >= 500:
            raise ProviderUnavailable(provider=self.provider)
        if status == 401:
            raise TokenInvalid(provider=self.provider)
        if status in (403, 429):
            retry_after_s = _github_retry_after(headers, self.now())
            if retry_after_s is not None or _rate_limit_message(body):
                raise ProviderRateLimited(provider=self.provider, retry_after_s=retry_after_s or 60)
            raise PermissionMissing(provider=self.provider, missing=_missing_scopes(headers))
        if status == 404:
            raise _NotFound(provider=self.provider)
        raise ProviderError(provider=self.provider)


class _NotFound(ProviderError):
    """404 from the REST API (GitHub also answers 404 for a token that may not see a resource)."""

    default_message = "The provider could not find what was asked for."


# --- Lenient parsing helpers ----------------------------------------------------------------


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


def _safe_code(value: Any) -> str:
    """Provider error codes are snake_case words; keep only that much of whatever was sent."""
    text = str(value)[:64]
    return "".join(c for c in text if c.isalnum() or c in "_-.") or "unknown"


def _split_scopes(value: Any) -> tuple[str, ...]:
    """`scope` comes back comma-separated (`repo,gist`), although it was requested with spaces."""
    if not isinstance(value, str):
        return ()
    return tuple(s.strip() for s in value.replace(" ", ",").split(",") if s.strip())


def _expiry(now: datetime, seconds: Any, provider: str) -> datetime | None:
    """`expires_in`-style fields may be ints or strings ("28800"); absent means no expiry."""
    if seconds is None or seconds == "":
        return None
    value = int_or_none(seconds)
    if value is None or value < 0:
        raise BadProviderResponse("The provider sent an unreadable expiry.", provider=provider)
    return now + timedelta(seconds=value)


def _parse_repo(item: Any) -> GitHubRepo | None:
    if not isinstance(item, dict):
        return None
    repo_id, name = int_or_none(item.get("id")), str_or_none(item.get("name"))
    if repo_id is None or name is None:
        return None
    return GitHubRepo(
        id=repo_id,
        name=name,
        full_name=str_or_none(item.get("full_name")) or name,
        html_url=str_or_none(item.get("html_url")) or "",
        description=str_or_none(item.get("description")),
        private=item.get("private") is True,
        language=str_or_none(item.get("language")),
        stargazers_count=int_or_none(item.get("stargazers_count")) or 0,
        updated_at=iso_datetime(item.get("updated_at")),
    )


def _github_retry_after(headers: dict[str, str], now: datetime) -> int | None:
    """Seconds to wait, from `retry-after` or (remaining 0) `x-ratelimit-reset`; None if neither
    says we are rate limited."""
    retry_after = int_or_none(headers.get("retry-after"))
    if retry_after is not None:
        return max(1, retry_after)
    if headers.get("x-ratelimit-remaining") == "0":
        reset = int_or_none(headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(1, reset - int(now.timestamp()))
        return 60
    return None


def _rate_limit_message(body: Any) -> bool:
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return False
    lowered = message.lower()
    return "rate limit" in lowered


def _missing_scopes(headers: dict[str, str]) -> tuple[str, ...]:
    accepted = _split_scopes(headers.get("x-accepted-oauth-scopes"))
    granted = set(_split_scopes(headers.get("x-oauth-scopes")))
    return tuple(s for s in accepted if s not in granted)
