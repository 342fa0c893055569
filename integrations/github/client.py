"""GitHub client: OAuth web flow over requests, REST API over PyGithub, typed results and errors.

Docs: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps and
https://docs.github.com/en/rest (facts in ../shared/PROVIDERS.md part A). Plain Python, no Django.
REST calls go through PyGithub, whose transport `integrations.pygithub_transport` replaces with
this client's pooled `HttpClient.send()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import requests
from github import GithubException

from integrations import http
from integrations.errors import (
    AuthorizationFailed,
    BadProviderResponse,
    ProviderError,
    ProviderMisconfigured,
    ProviderRateLimited,
)
from integrations.github.errors import NotFound, lower, raise_for_status, retry_after_s, safe_code
from integrations.github.parsing import (
    parse_hook,
    parse_profile,
    parse_repo,
    parse_token,
    primary_verified_email,
    rate_limit_usage,
)
from integrations.github.types import GitHubProfile, GitHubToken, RepoHook, RepoPage
from integrations.parsing import iso_datetime, str_tuple
from integrations.provider_client import ProviderClient
from integrations.pygithub_transport import pygithub_requester
from integrations.token_check import TokenCheck
from integrations.usage import UsageBudget, token_budget_key

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
REST_ACCEPT = "application/vnd.github+json"


class GitHubClient(ProviderClient):
    """Talks to github.com or a GitHub Enterprise Server (or the sandbox): same thing to us."""

    provider = "github"

    def __init__(self, client_id: str, client_secret: str, *, web_url: str, api_url: str,
                 session: requests.Session | None = None,
                 timeout_s: tuple[float, float] = http.DEFAULT_TIMEOUT_S,
                 budget: UsageBudget | None = None) -> None:
        super().__init__(web_url=web_url, session=session, timeout_s=timeout_s, budget=budget)
        self.client_id = client_id
        self._client_secret = client_secret
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
                provider=self.provider, provider_code=safe_code(body["error"])
            )
        if response.status != 200:
            wait_s = retry_after_s(lower(response.headers), self.now())
            if response.status in (403, 429) and wait_s is not None:
                raise ProviderRateLimited(provider=self.provider, retry_after_s=wait_s)
            raise ProviderError(provider=self.provider)
        if not isinstance(body, dict):
            raise BadProviderResponse(provider=self.provider)
        return parse_token(body, self.now())

    # --- REST API (PyGithub) -------------------------------------------------------------

    def get_profile(self, token: str, *, new_token: bool = False) -> GitHubProfile:
        """GET /user: the signed-in account. `id` is the stable key, `login` can change. The
        answer's headers say which scopes the token really holds and when it expires.

        `new_token`: just minted by this sign-in, so no budget can be recorded under it yet:
        not asked (a cache round trip saved)."""
        headers, data = self._rest(token, "/user", ask_budget=not new_token)
        return parse_profile(data, lower(headers))

    def get_primary_verified_email(self, token: str, *, new_token: bool = False) -> str | None:
        """GET /user/emails: the address that is primary *and* verified, else None.

        `new_token`: as for `get_profile`, which a sign-in calls at the same moment with the
        same token: its answer reports the budget, this one's is not stored as well."""
        try:
            _headers, data = self._rest(token, "/user/emails", {"per_page": 100},
                                        ask_budget=not new_token, report_usage=not new_token)
        except NotFound:
            return None  # like allauth: no e-mail addresses available
        return primary_verified_email(data)

    def list_repos(self, token: str, page: int = 1, per_page: int = 30) -> RepoPage:
        """GET /user/repos?page=&per_page=: one page, and whether GitHub links a next one."""
        page = max(1, int(page))
        per_page = min(100, max(1, int(per_page)))
        headers, data = self._rest(token, "/user/repos", {"page": page, "per_page": per_page})
        if not isinstance(data, list):
            raise BadProviderResponse(provider=self.provider)
        repos = tuple(repo for item in data if (repo := parse_repo(item)) is not None)
        link = headers.get("link")
        if link is not None:
            has_next = any(
                part.get("rel") == "next" for part in requests.utils.parse_header_links(link)
            )
        else:  # no Link header (some proxies strip it): a full page may have a successor
            has_next = len(data) >= per_page
        return RepoPage(repos=repos, page=page, has_next=has_next)

    def _rest(
        self, token: str, path: str, params: dict[str, Any] | None = None, *,
        ask_budget: bool = True, report_usage: bool = True,
    ) -> tuple[dict[str, Any], Any]:
        """GET `path` through PyGithub, with this client's pooled choke point underneath. The
        token's rate-limit budget is asked first and updated from every answer (A8)."""
        key = token_budget_key(token)
        if ask_budget:
            self.check_budget(key)
        requester = pygithub_requester(self, token=token, api_url=self.api_url,
                                       api_version=API_VERSION)
        with self._errors(key, report_usage=report_usage):
            headers, data = requester.requestJsonAndCheck(
                "GET", path, parameters=params, headers={"Accept": REST_ACCEPT}
            )
        if report_usage:
            self.record_usage(rate_limit_usage(lower(headers), key))
        return headers, data

    # --- Repository webhooks (requests: PyGithub's hook calls would hide the status) -----

    def create_repo_hook(self, token: str, repository: str, *, url: str, secret: str,
                         events: tuple[str, ...]) -> RepoHook:
        """POST /repos/{owner}/{repo}/hooks (JSON deliveries, signed with `secret`). Never
        retried: a second POST would make a second hook. 404/403 mean no admin rights."""
        response, body = self.send_json(
            "POST", self._hooks_url(repository), headers=self._rest_headers(token),
            json_body={"name": "web", "active": True, "events": list(events),
                       "config": {"url": url, "content_type": "json", "secret": secret,
                                  "insecure_ssl": "0"}},
        )
        raise_for_status(response.status, response.headers, body, self.now())
        return parse_hook(body)

    def delete_repo_hook(self, token: str, repository: str, hook_id: int) -> None:
        """DELETE /repos/{owner}/{repo}/hooks/{hook_id}: 204, or 404 when already gone."""
        response, body = self.send_json(
            "DELETE", f"{self._hooks_url(repository)}/{int(hook_id)}",
            headers=self._rest_headers(token))
        if response.status == 404:
            return
        raise_for_status(response.status, response.headers, body, self.now())

    def _hooks_url(self, repository: str) -> str:
        owner, _, name = repository.partition("/")
        return f"{self.api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}/hooks"

    @staticmethod
    def _rest_headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": REST_ACCEPT,
                "X-GitHub-Api-Version": API_VERSION}

    # --- The app's own API (requests, Basic auth with the app credentials) ---------------

    def check_token(self, token: str) -> TokenCheck:
        """POST /applications/{client_id}/token: 404/422 mean the token is not valid."""
        response, body = self._app_call("POST", "token", token)
        if response.status in (404, 422):
            return TokenCheck(valid=False, scopes=(), expires_at=None)
        if response.status != 200 or not isinstance(body, dict):
            raise_for_status(response.status, response.headers, body, self.now())
            raise BadProviderResponse(provider=self.provider)
        return TokenCheck(
            valid=True,
            scopes=str_tuple(body.get("scopes")),
            expires_at=iso_datetime(body.get("expires_at")),
        )

    def revoke_token(self, token: str) -> None:
        """DELETE /applications/{client_id}/token: this one token (the person's other sessions
        keep theirs); 204, or 404/422 when it is already gone."""
        response, body = self._app_call("DELETE", "token", token)
        if response.status in (200, 204, 404, 422):
            return
        raise_for_status(response.status, response.headers, body, self.now())
        raise BadProviderResponse(provider=self.provider)

    def revoke_grant(self, token: str) -> None:
        """DELETE /applications/{client_id}/grant: 204, or 404 when it is already gone."""
        response, body = self._app_call("DELETE", "grant", token)
        if response.status in (200, 204, 404):
            return
        raise_for_status(response.status, response.headers, body, self.now())
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
            logger.error("github refused our app credentials on /applications/%s: check "
                         "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET", what)
            raise ProviderMisconfigured(provider=self.provider)
        return response, body

    # --- Error mapping: the one place --------------------------------------------------

    @contextmanager
    def _errors(self, budget_key: str, *, report_usage: bool = True) -> Iterator[None]:
        """PyGithub's exceptions as typed errors (`integrations.github.errors`); an error's
        usage headers count too."""
        try:
            yield
        except GithubException as exc:
            if report_usage:
                self.record_usage(rate_limit_usage(lower(exc.headers or {}), budget_key))
            if exc.status == 404:
                raise NotFound(provider=self.provider) from None
            raise_for_status(exc.status, exc.headers or {}, exc.data, self.now())
            raise ProviderError(provider=self.provider) from None
