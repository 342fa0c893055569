"""GitHub App authentication: the app's JWT, installation tokens and installation reads.

Facts in ../shared/PROVIDERS-APPS-MEDIA.md part D. Plain Python, no Django: every call goes
through the `HttpClient.send()` choke point (pool, timeouts, GET-only retries, size cap). The
JWT is signed with PyJWT (RS256 over `cryptography`), issued 60 s in the past and living 9
minutes (GitHub allows at most 10). Installation tokens are minted here and cached by
`integrations.github.token_cache`, never stored by this client.
"""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import requests
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from integrations import http
from integrations.errors import BadProviderResponse, ProviderMisconfigured
from integrations.github.client import API_VERSION, REST_ACCEPT
from integrations.github.errors import (
    AppAuthFailed,
    InstallationNotFound,
    InstallationSuspended,
    lower,
    raise_for_status,
)
from integrations.github.types import AppInstallation, InstallationToken
from integrations.parsing import int_or_none, iso_datetime, str_or_none
from integrations.provider_client import ProviderClient
from integrations.usage import UsageBudget

logger = logging.getLogger(__name__)

JWT_BACKDATE_S = 60  # GitHub: set iat 60 s in the past against clock drift
JWT_LIFETIME_S = 540  # GitHub: exp at most 10 minutes ahead; keep a minute of margin
MAX_PAGES = 50  # 5,000 repositories or installations at per_page=100
# GitHub's 401 messages for a JWT whose time claims it rejects (D1): worth one re-sign.
CLAIM_ERRORS = ("'expiration time' claim", "'issued at' claim")


class GitHubAppClient(ProviderClient):
    """Calls GitHub as the app (JWT) or as one installation (its token)."""

    provider = "github"

    def __init__(self, app_id: str, private_key: str, *, slug: str, web_url: str, api_url: str,
                 session: requests.Session | None = None,
                 timeout_s: tuple[float, float] = http.DEFAULT_TIMEOUT_S,
                 budget: UsageBudget | None = None) -> None:
        super().__init__(web_url=web_url, session=session, timeout_s=timeout_s, budget=budget)
        self.app_id = str(app_id)
        self.slug = slug
        self.api_url = api_url.rstrip("/")
        self._private_key = private_key
        self._signing_key: Any = None  # parsed once: parsing a PEM costs ~200 ms, signing ~1
        self._skew_s = 0  # GitHub's clock minus ours, learned from a claim error's Date

    def __repr__(self) -> str:
        return f"GitHubAppClient(app_id={self.app_id!r}, api_url={self.api_url!r})"

    def install_url(self, state: str) -> str:
        """The browser URL where an account installs the app; GitHub echoes `state` back."""
        return (f"{self.web_url}/apps/{quote(self.slug, safe='')}/installations/new?"
                + urlencode({"state": state}))

    def create_jwt(self) -> str:
        """A fresh app JWT (cheap: signed per use, never cached)."""
        now = int(self.now().timestamp()) + self._skew_s
        claims = {"iat": now - JWT_BACKDATE_S, "exp": now + JWT_LIFETIME_S, "iss": self.app_id}
        try:
            if self._signing_key is None:
                self._signing_key = load_pem_private_key(self._private_key.encode(), None)
            return jwt.encode(claims, self._signing_key, algorithm="RS256")
        except (ValueError, TypeError, UnsupportedAlgorithm, jwt.PyJWTError):
            # Never a 500 (the start-up check refuses such a key too).
            raise ProviderMisconfigured(
                "The GitHub App's private key cannot sign: an administrator must fix "
                "GITHUB_APP_PRIVATE_KEY (or _FILE).", provider=self.provider) from None

    # --- As the app (JWT) --------------------------------------------------------------

    def mint_installation_token(self, installation_id: int) -> InstallationToken:
        """POST /app/installations/{id}/access_tokens → a token living one hour. Never
        retried by the transport (a POST); 404 unknown, 403 suspended, 401 our JWT."""
        body = self._as_app("POST", f"/app/installations/{int(installation_id)}/access_tokens",
                            expect=201)
        token = str_or_none(body.get("token"))
        expires_at = iso_datetime(body.get("expires_at"))
        if not token or expires_at is None:
            raise BadProviderResponse(provider=self.provider)
        return InstallationToken(token=token, expires_at=expires_at)

    def get_installation(self, installation_id: int) -> AppInstallation:
        """GET /app/installations/{id}: the account it belongs to, as GitHub says."""
        body = self._as_app("GET", f"/app/installations/{int(installation_id)}", expect=200)
        return _installation(body)

    def _as_app(self, method: str, path: str, *, expect: int) -> dict[str, Any]:
        response, body = self._send_as_app(method, path)
        if response.status == 401 and _claim_error(body) and self._learn_skew(response):
            response, body = self._send_as_app(method, path)  # once, re-signed on GitHub's clock
        if response.status == 401:
            logger.error("github refused our GitHub App JWT on %s: check GITHUB_APP_ID and "
                         "the private key (or the server clock)", path.split("/")[1])
            raise AppAuthFailed(provider=self.provider)
        if response.status == 404:
            raise InstallationNotFound(provider=self.provider)
        if response.status == 403 and _says(body, "suspended"):
            raise InstallationSuspended(provider=self.provider)
        raise_for_status(response.status, response.headers, body, self.now())
        if response.status != expect or not isinstance(body, dict):
            raise BadProviderResponse(provider=self.provider)
        return body

    def _send_as_app(self, method: str, path: str) -> tuple[http.HttpResponse, Any]:
        headers = {"Authorization": f"Bearer {self.create_jwt()}", "Accept": REST_ACCEPT,
                   "X-GitHub-Api-Version": API_VERSION}
        return self.send_json(method, self.api_url + path, headers=headers)

    def _learn_skew(self, response: http.HttpResponse) -> bool:
        """octokit's fix for clock drift: re-sign with GitHub's `Date`. True if it moved."""
        try:
            server = parsedate_to_datetime(lower(response.headers).get("date", ""))
        except (TypeError, ValueError):
            return False
        skew = int((server - self.now()).total_seconds())
        if abs(skew - self._skew_s) < 30:
            return False  # our clock was not the problem: the key or the app id is
        logger.warning("github app clock skew: GitHub's clock is %+d s from ours", skew)
        self._skew_s = skew
        return True

    # --- As an installation (its token) or a person (their token) ------------------------

    def installation_repositories(self, token: str) -> tuple[str, ...]:
        """GET /installation/repositories (paginated): the `owner/name` the installation
        can read. 401 means the token died (TokenInvalid)."""
        items = self._pages("/installation/repositories", f"token {token}", "repositories")
        return tuple(name for item in items
                     if isinstance(item, dict) and (name := str_or_none(item.get("full_name"))))

    def user_installations(self, user_token: str) -> tuple[AppInstallation, ...]:
        """GET /user/installations (paginated): the installations of this app the person
        can access (their own account's, their organisations')."""
        items = self._pages("/user/installations", f"Bearer {user_token}", "installations")
        return tuple(_installation(item) for item in items if isinstance(item, dict))

    def _pages(self, path: str, authorization: str, key: str) -> list[Any]:
        headers = {"Authorization": authorization, "Accept": REST_ACCEPT,
                   "X-GitHub-Api-Version": API_VERSION}
        found: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            response, body = self.send_json("GET", self.api_url + path, headers=headers,
                                            params={"per_page": 100, "page": page})
            raise_for_status(response.status, response.headers, body, self.now())
            items = body.get(key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise BadProviderResponse(provider=self.provider)
            found += items
            if not _has_next(response):
                break
        return found


def _installation(body: dict[str, Any]) -> AppInstallation:
    account = body.get("account") if isinstance(body.get("account"), dict) else {}
    installation_id = int_or_none(body.get("id"))
    login = str_or_none(account.get("login"))
    account_id = int_or_none(account.get("id"))
    if installation_id is None or login is None or account_id is None:
        raise BadProviderResponse(provider="github")
    return AppInstallation(
        id=installation_id, account_login=login, account_id=account_id,
        account_type=str_or_none(account.get("type")) or "User",
        repository_selection=str_or_none(body.get("repository_selection")) or "selected",
        suspended=body.get("suspended_at") is not None)


def _has_next(response: http.HttpResponse) -> bool:
    link = lower(response.headers).get("link")
    return bool(link) and any(part.get("rel") == "next"
                              for part in requests.utils.parse_header_links(link))


def _says(body: Any, phrase: str) -> bool:
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and phrase in message.lower()


def _claim_error(body: Any) -> bool:
    return any(_says(body, phrase) for phrase in CLAIM_ERRORS)
