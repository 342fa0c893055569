"""GitHub's REST API under /github/api/v3 (like GitHub Enterprise Server), and its faults.

Longer than our ~300-line rule on purpose: it is one emulated API surface whose route table
(`register`, at the bottom) is read top to bottom beside PROVIDERS.md part A.
Test-and-development tooling only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.data import GITHUB_USERS, GitHubUser, github_repo, github_simple_user
from integrations.sandbox.github_web import issue_tokens, token_error
from integrations.sandbox.http import Request, Response, Router
from integrations.sandbox.state import GitHubToken, Store

PREFIX = "/github/api/v3"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
UNICORN = (
    "<!DOCTYPE html><html><head><title>Unicorn! &middot; GitHub</title></head><body>"
    "<h1>No server is currently available to service your request.</h1></body></html>"
)


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def urls(request: Request, user: GitHubUser) -> dict[str, str]:
    return {"api": request.base_url + PREFIX, "web": request.base_url + "/github",
            "avatar": f"{request.base_url}/avatars/{user.login}.svg"}


def error(message: str, status: int, doc: str = DOCS, headers: dict | None = None) -> Response:
    return Response.json({"message": message, "documentation_url": doc, "status": str(status)},
                         status, headers)


def rate_headers(store: Store, login: str | None, *, count: bool = True) -> dict[str, str]:
    """The x-ratelimit-* headers, counting one call against the user's hourly budget."""
    now = int(store.now())
    with store.lock:
        window_start, used = store.github_rate_used.get(login or "", (now, 0))
        if now - window_start >= 3600:
            window_start, used = now, 0
        used += 1 if count else 0
        store.github_rate_used[login or ""] = (window_start, used)
    return {
        "x-ratelimit-limit": str(RATE_LIMIT),
        "x-ratelimit-remaining": str(max(RATE_LIMIT - used, 0)),
        "x-ratelimit-used": str(used),
        "x-ratelimit-reset": str(window_start + 3600),
        "x-ratelimit-resource": "core",
    }


def authenticate(request: Request) -> GitHubToken | Response:
    scheme, _, value = request.header("Authorization").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not value.strip():
        return error("Requires authentication", 401, headers=rate_headers(request.store, None))
    store = request.store
    with store.lock:
        token = store.github_tokens.get(value.strip())
        if (token is None or token.kind != "access" or token.revoked
                or (token.expires_at is not None and store.now() >= token.expires_at)):
            return error("Bad credentials", 401, headers=rate_headers(store, None))
    return token


def api_response(request: Request, token: GitHubToken, data: Any, status: int = 200,
                 headers: dict[str, str] | None = None, accepted: str = "") -> Response:
    extra = {
        **rate_headers(request.store, token.login),
        "X-OAuth-Scopes": ", ".join(token.scopes),
        "X-Accepted-OAuth-Scopes": accepted,
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Api-Version-Selected": request.header("X-GitHub-Api-Version") or "2022-11-28",
        **(headers or {}),
    }
    if token.expires_at is not None:
        extra["github-authentication-token-expiration"] = datetime.fromtimestamp(
            token.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Response.json(data, status, extra)


# Tokens with either scope see the private profile fields (PROVIDERS.md A7, "Private User").
PRIVATE_PROFILE_SCOPES = frozenset({"user", "read:user"})


def get_user(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    user = GITHUB_USERS[token.login]
    links = urls(request, user)
    public_count = len(user.public_repo_names)
    private_count = len(user.private_repo_names)
    data = {
        **github_simple_user(user, **links),
        "name": user.name, "company": user.company, "blog": user.blog,
        "location": user.location, "email": user.email, "hireable": None, "bio": user.bio,
        "twitter_username": None, "public_repos": public_count, "public_gists": 1,
        "followers": 20, "following": 0, "created_at": user.created_at,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    scopes = set(token.scopes)
    if scopes & PRIVATE_PROFILE_SCOPES:  # the "Private User" schema, as on GitHub
        data.update({
            # Real answers carry it since 2025 (PROVIDERS.md A7): the address GitHub notifies,
            # the primary one, which may be private (so never on the public shape).
            "notification_email": _primary_email(user),
            "private_gists": 0, "total_private_repos": private_count,
            "owned_private_repos": private_count, "disk_usage": 10000, "collaborators": 0,
            "two_factor_authentication": True,
            "plan": {"name": "free", "space": 976562499, "collaborators": 0,
                     "private_repos": 10000},
        })
    return api_response(request, token, data)


def _primary_email(user) -> str | None:
    return next((e["email"] for e in user.emails if e["primary"]), None)


def _page_args(request: Request) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        try:
            return int(request.query.get(name, default))
        except ValueError:
            return default
    return max(number("page", 1), 1), min(max(number("per_page", 30), 1), 100)


def _paginate(request: Request, items: list, page: int, per_page: int) -> tuple[list, dict]:
    """One page of `items` and the Link header pointing at the neighbouring pages."""
    last = max(math.ceil(len(items) / per_page), 1)
    base = request.base_url + request.path

    def url(number: int) -> str:
        return base + "?" + urlencode({**request.query, "page": number, "per_page": per_page})

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    start = (page - 1) * per_page
    return items[start:start + per_page], ({"Link": ", ".join(links)} if links else {})


def get_emails(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    allowed = {"user", "user:email"} & set(token.scopes)
    if not allowed and request.store.config.github_app_type == "oauth_app":
        return error("Not Found", 404, DOCS + "/users/emails")
    page, per_page = _page_args(request)
    emails = list(GITHUB_USERS[token.login].emails)
    chunk, headers = _paginate(request, emails, page, per_page)
    return api_response(request, token, chunk, headers=headers, accepted="user, user:email")


def get_repos(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    user = GITHUB_USERS[token.login]
    links = urls(request, user)
    repos = [github_repo(user, i, name, private=False, **links)
             for i, name in enumerate(user.public_repo_names)]
    if "repo" in token.scopes or request.store.config.github_app_type == "github_app":
        repos += [github_repo(user, i, name, private=True, **links)
                  for i, name in enumerate(user.private_repo_names)]
    sort = request.query.get("sort", "full_name")
    key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}.get(
        sort, "full_name")
    default_direction = "asc" if key == "full_name" else "desc"
    reverse = request.query.get("direction", default_direction) == "desc"
    repos.sort(key=lambda repo: (repo[key].lower(), repo["id"]), reverse=reverse)
    page, per_page = _page_args(request)
    chunk, headers = _paginate(request, repos, page, per_page)
    return api_response(request, token, chunk, headers=headers)


def _app_client(request: Request) -> Response | None:
    """Basic auth with client_id:client_secret, and the path's client_id must be that app."""
    config = request.store.config
    scheme, _, value = request.header("Authorization").partition(" ")
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        user = password = ""
    if scheme.lower() != "basic" or user != config.github_client_id or not hmac.compare_digest(
        password.encode(), config.github_client_secret.encode()
    ):
        return error("Bad credentials", 401, headers=rate_headers(request.store, None))
    if request.params["client_id"] != config.github_client_id:
        return error("Not Found", 404, headers=rate_headers(request.store, None))
    return None


def _body_token(request: Request, *, allow_expired: bool = False
                ) -> tuple[GitHubToken | None, Response | None]:
    value = request.json.get("access_token") if isinstance(request.json, dict) else None
    if not isinstance(value, str) or not value:
        return None, error('Invalid request.\n\n"access_token" wasn\'t supplied.', 422,
                           DOCS + "/apps/oauth-applications")
    store = request.store
    token = store.github_tokens.get(value)
    expired = token is not None and token.expires_at is not None and (
        store.now() >= token.expires_at)
    if token is None or token.kind != "access" or token.revoked or (
            expired and not allow_expired):
        return None, error("Not Found", 404, DOCS + "/apps/oauth-applications#check-a-token")
    return token, None


def authorization(request: Request, token: GitHubToken) -> dict[str, Any]:
    user = GITHUB_USERS[token.login]
    config = request.store.config
    return {
        "id": token.id, "url": f"{request.base_url}{PREFIX}/authorizations/{token.id}",
        "scopes": list(token.scopes), "token": token.token,
        "token_last_eight": token.token[-8:],
        "hashed_token": hashlib.sha256(token.token.encode()).hexdigest(),
        "app": {"client_id": config.github_client_id, "name": config.github_app_name,
                "url": request.base_url},
        "note": None, "note_url": None, "fingerprint": None,
        "created_at": iso(token.issued_at), "updated_at": iso(token.issued_at),
        "expires_at": iso(token.expires_at),
        "user": github_simple_user(user, **urls(request, user)),
        "installation": None,
    }


def application_token(request: Request) -> Response:
    """POST checks, PATCH resets (new token, old one dead), DELETE revokes one token."""
    denied = _app_client(request)
    if denied:
        return denied
    store = request.store
    with store.lock:
        # Revoking still works with an expired token (the grant outlives it).
        token, problem = _body_token(request, allow_expired=request.method == "DELETE")
        if problem or token is None:
            return problem or error("Not Found", 404)
        if request.method == "DELETE":
            token.revoked = True
            return Response(204)
        if request.method == "PATCH":
            token.revoked = True
            fresh = issue_tokens(store, token.login, token.scopes, token.expires_at is not None)
            token = store.github_tokens[fresh["access_token"]]
    return Response.json(authorization(request, token), 200, rate_headers(store, None))


def application_grant(request: Request) -> Response:
    """Revoke the whole authorization: every token of that user for this app stops working."""
    denied = _app_client(request)
    if denied:
        return denied
    store = request.store
    with store.lock:
        token, problem = _body_token(request, allow_expired=True)
        if problem or token is None:
            return problem or error("Not Found", 404)
        for other in store.github_tokens.values():
            if other.login == token.login and other.client_id == token.client_id:
                other.revoked = True
        store.github_grants.pop((token.client_id, token.login), None)
    return Response(204, b"", rate_headers(store, None))


def rate_limit(request: Request) -> Response:
    token = authenticate(request)
    login = None if isinstance(token, Response) else token.login
    headers = rate_headers(request.store, login, count=False)
    core = {"limit": RATE_LIMIT, "remaining": int(headers["x-ratelimit-remaining"]),
            "used": int(headers["x-ratelimit-used"]), "reset": int(headers["x-ratelimit-reset"])}
    return Response.json({"resources": {"core": core}, "rate": core}, 200, headers)


def render_fault(request: Request, kind: str, options: dict[str, Any]) -> Response | None:
    store = request.store
    status = int(options.get("status", 0))
    if kind == "timeout":
        return error("We couldn't respond to your request in time.", 504)
    if kind == "5xx":
        return error("Server Error", status or 502)
    if kind == "html":
        return Response.html(UNICORN, status or 200)
    if kind == "rate_limit":
        reset = int(store.now()) + int(options.get("reset_in_s", 60))
        headers = {"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-remaining": "0",
                   "x-ratelimit-used": str(RATE_LIMIT), "x-ratelimit-reset": str(reset),
                   "x-ratelimit-resource": "core"}
        if (status or 403) == 429:
            headers["retry-after"] = str(int(options.get("retry_after", 60)))
            return error("You have exceeded a secondary rate limit. Please wait a few minutes "
                         "before you try again.", 429, headers=headers)
        return error("API rate limit exceeded for user ID 583231. (But here's the good news: "
                     "Authenticated requests get a higher rate limit.)", 403,
                     DOCS + "/overview/rate-limits-for-the-rest-api", headers)
    if kind == "invalid_token":
        if options.get("revoke"):
            _revoke_presented(request)
        if request.endpoint == "github.token":
            refresh = request.param("grant_type") == "refresh_token"
            return token_error(request, "bad_refresh_token" if refresh else "bad_verification_code")
        if request.endpoint in ("github.check_token", "github.grant"):
            return error("Not Found", 404)
        return error("Bad credentials", 401)
    return None


def _revoke_presented(request: Request) -> None:
    _, _, value = request.header("Authorization").partition(" ")
    body = request.json.get("access_token") if isinstance(request.json, dict) else None
    with request.store.lock:
        for candidate in (value.strip(), body):
            token = request.store.github_tokens.get(candidate or "")
            if token:
                token.revoked = True


def register(router: Router) -> None:
    router.add("GET", PREFIX + "/user", "github.user", get_user)
    router.add("GET", PREFIX + "/user/emails", "github.emails", get_emails)
    router.add("GET", PREFIX + "/user/repos", "github.repos", get_repos)
    router.add("GET", PREFIX + "/rate_limit", "github.rate_limit", rate_limit)
    router.add("POST", PREFIX + r"/applications/(?P<client_id>[^/]+)/token",
               "github.check_token", application_token)
    router.add("PATCH", PREFIX + r"/applications/(?P<client_id>[^/]+)/token",
               "github.reset_token", application_token)
    router.add("DELETE", PREFIX + r"/applications/(?P<client_id>[^/]+)/token",
               "github.revoke_token", application_token)
    router.add("DELETE", PREFIX + r"/applications/(?P<client_id>[^/]+)/grant",
               "github.grant", application_grant)
    router.fault_renderers["github"] = render_fault
