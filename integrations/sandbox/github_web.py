"""GitHub's browser and token endpoints: /login/oauth/authorize and /login/oauth/access_token.

Awkward parts kept on purpose: the token endpoint answers HTTP 200 on errors, form-encoded unless
`Accept: application/json`; codes are single use, expire, and are bound to client, redirect URI
and PKCE challenge; only S256 is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape as xml_escape

from integrations.sandbox import templates
from integrations.sandbox.data import GITHUB_USERS, normalize_github_scopes
from integrations.sandbox.http import Request, Response, Router, add_query
from integrations.sandbox.state import GitHubCode, GitHubToken, Store, random_string

DOCS = "https://docs.github.com"
TOKEN_ERRORS = {
    "bad_verification_code": (
        "The code passed is incorrect or expired.",
        "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
        "#bad-verification-code",
    ),
    "incorrect_client_credentials": (
        "The client_id and/or client_secret passed are incorrect.",
        "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
        "#incorrect-client-credentials",
    ),
    "redirect_uri_mismatch": (
        "The redirect_uri MUST match the registered callback URL for this application.",
        "/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
        "#redirect-uri-mismatch2",
    ),
    "bad_refresh_token": (
        "The refresh token passed is incorrect or expired.",
        "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
        "#bad-refresh-token",
    ),
    "unsupported_grant_type": (
        "The grant type is not supported.",
        "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/",
    ),
}
AUTHORIZE_ERRORS = {
    "access_denied": "The user has denied your application access.",
    "redirect_uri_mismatch": TOKEN_ERRORS["redirect_uri_mismatch"][0],
}
AUTHORIZE_ERROR_URI = (
    DOCS + "/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-authorization-request-errors"
)
CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{43}\Z")
LOOPBACK_HOSTS = ("localhost",)
AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method", "login", "allow_signup", "prompt")

UNKNOWN_CLIENT = "No OAuth application with this client_id exists."


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_allowed(store: Store, uri: str) -> bool:
    """Exact match, GitHub's loopback rule (any port), or a wildcard-matching callback."""
    config = store.config
    if uri in config.github_redirect_uris or uri in config.github_wildcard_redirect_uris:
        return True
    try:
        wanted = urlsplit(uri)
        wanted_port = wanted.port
    except ValueError:
        return False
    for registered in config.github_redirect_uris + config.github_wildcard_redirect_uris:
        reg = urlsplit(registered)
        same = (reg.scheme, reg.path, reg.query) == (wanted.scheme, wanted.path, wanted.query)
        if same and reg.hostname == wanted.hostname and _is_loopback(reg.hostname):
            return True  # RFC 8252 §7.3: the port of a loopback redirect may vary
    for registered in config.github_wildcard_redirect_uris:
        reg = urlsplit(registered)
        host_ok = wanted.hostname == reg.hostname or (wanted.hostname or "").endswith(
            "." + (reg.hostname or "")
        )
        path_ok = wanted.path == reg.path or wanted.path.startswith(reg.path.rstrip("/") + "/")
        if reg.scheme == wanted.scheme and host_ok and reg.port == wanted_port and path_ok:
            return True
    return False


def _split_scopes(value: str | None) -> list[str]:
    return [s for s in re.split(r"[\s,]+", value or "") if s]


def authorize(request: Request) -> Response:
    params, store = request.dialog_params(), request.store
    config = store.config
    if params.get("client_id") != config.github_client_id:
        return templates.error_response("Not Found", UNKNOWN_CLIENT, 404)
    if not config.github_redirect_uris:
        return templates.error_response(
            "Application misconfigured", "This application has no callback URL.", 400)
    state = params.get("state")
    redirect_uri = params.get("redirect_uri") or config.github_redirect_uris[0]
    if not redirect_uri_allowed(store, redirect_uri):
        # GitHub sends the error to the registered callback, never to the unverified URI.
        return _error_redirect(config.github_redirect_uris[0], "redirect_uri_mismatch", state)
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge or method:
        if method != "S256":
            return _error_redirect(redirect_uri, "invalid_request", state,
                                   "code_challenge_method must be S256; plain is not supported.")
        if not CHALLENGE_RE.match(challenge or ""):
            return _error_redirect(redirect_uri, "invalid_request", state,
                                   "code_challenge must be a 43-character base64url S256 value.")
    requested = _split_scopes(params.get("scope"))
    if request.method == "GET":
        fields = {k: params[k] for k in AUTHORIZE_FIELDS if params.get(k) is not None}
        return Response.html(templates.github_consent(
            action=request.path, app_name=config.github_app_name,
            scopes=list(normalize_github_scopes(requested)) + (
                ["offline_access"] if "offline_access" in requested else []),
            users=[(u.login, f"{u.login} ({u.name})") for u in GITHUB_USERS.values()],
            selected=params.get("login"), fields=fields, redirect_uri=redirect_uri,
        ))
    decision = params.get("decision")
    if decision == "cancel":
        return _error_redirect(redirect_uri, "access_denied", state)
    login = params.get("user", "")
    if decision != "authorize" or login not in GITHUB_USERS:
        return templates.error_response(
            "Bad request", "Choose a test user and Authorize or Cancel.", 400)
    with store.lock:
        # Like GitHub's OAuth Apps: a user who authorized before gets the union of what was
        # granted then and what is asked now (all of it when nothing is asked), until the
        # grant is revoked (DELETE /applications/{client_id}/grant).
        granted = store.github_grants.get((config.github_client_id, login), ())
        scopes = normalize_github_scopes([*granted, *requested])
        code = GitHubCode(
            code=random_string(20, "0123456789abcdef"), client_id=config.github_client_id,
            redirect_uri=redirect_uri, code_challenge=challenge, login=login, scopes=scopes,
            offline="offline_access" in requested, issued_at=store.now(),
        )
        store.github_codes[code.code] = code
    return Response.redirect(add_query(redirect_uri, {"code": code.code, "state": state}))


def _error_redirect(uri: str, error: str, state: str | None, description: str | None = None
                    ) -> Response:
    return Response.redirect(add_query(uri, {
        "error": error,
        "error_description": description or AUTHORIZE_ERRORS.get(error, error),
        "error_uri": AUTHORIZE_ERROR_URI,
        "state": state,
    }))


def token_response(request: Request, data: dict) -> Response:
    """GitHub answers form-encoded unless asked for JSON (or XML), errors included, all 200."""
    accept = request.header("Accept").lower()
    if "application/json" in accept:
        return Response.json(data)
    if "application/xml" in accept:
        inner = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in data.items())
        return Response.text(f"<OAuth>{inner}</OAuth>", content_type="application/xml")
    body = urlencode({k: str(v) for k, v in data.items()}).encode()
    return Response(200, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def token_error(request: Request, error: str, description: str | None = None) -> Response:
    default_description, path = TOKEN_ERRORS[error]
    return token_response(request, {"error": error,
                                     "error_description": description or default_description,
                                     "error_uri": DOCS + path})


def access_token(request: Request) -> Response:
    store, config = request.store, request.store.config
    client_id = request.param("client_id") or ""
    secret = request.param("client_secret") or ""
    if client_id != config.github_client_id or not hmac.compare_digest(
        secret.encode(), config.github_client_secret.encode()
    ):
        return token_error(request, "incorrect_client_credentials")
    grant_type = request.param("grant_type") or "authorization_code"
    if grant_type == "refresh_token":
        return _refresh(request)
    if grant_type != "authorization_code":
        return token_error(request, "unsupported_grant_type")
    with store.lock:
        code = store.github_codes.get(request.param("code") or "")
        if (code is None or code.used or code.client_id != client_id
                or store.now() - code.issued_at > config.github_code_ttl_s):
            return token_error(request, "bad_verification_code")
        redirect_uri = request.param("redirect_uri")
        if redirect_uri and redirect_uri != code.redirect_uri:
            return token_error(request, "redirect_uri_mismatch")
        if code.code_challenge:
            verifier = request.param("code_verifier") or ""
            if not hmac.compare_digest(s256(verifier), code.code_challenge):
                # Not documented by GitHub: assumed to be reported as a bad code.
                return token_error(request, "bad_verification_code",
                                   "The code_verifier does not match the code_challenge.")
        code.used = True
        store.github_grants[(client_id, code.login)] = code.scopes
        expiring = (config.github_expiring_tokens or config.github_app_type == "github_app"
                    or code.offline)
        return token_response(request, issue_tokens(store, code.login, code.scopes, expiring))


def _refresh(request: Request) -> Response:
    store = request.store
    with store.lock:
        old = store.github_tokens.get(request.param("refresh_token") or "")
        if (old is None or old.kind != "refresh" or old.revoked
                or old.client_id != store.config.github_client_id
                or (old.expires_at is not None and store.now() >= old.expires_at)):
            return token_error(request, "bad_refresh_token")
        # Rotation: the used refresh token and its access token die at once.
        old.revoked = True
        if old.partner in store.github_tokens:
            store.github_tokens[old.partner].revoked = True
        return token_response(request, issue_tokens(store, old.login, old.scopes, True))


def issue_tokens(store: Store, login: str, scopes: tuple[str, ...], expiring: bool) -> dict:
    """Create an access token (and a refresh token when expiring); returns the response body."""
    config, now = store.config, store.now()
    github_app = config.github_app_type == "github_app"
    if github_app:
        scopes = ()  # GitHub App user tokens carry permissions, not scopes
    access = GitHubToken(
        token=("ghu_" if github_app else "gho_") + random_string(36), kind="access",
        client_id=config.github_client_id, login=login, scopes=scopes, issued_at=now,
        expires_at=now + config.github_token_ttl_s if expiring else None, id=store.next_id(),
    )
    store.github_tokens[access.token] = access
    body: dict = {"access_token": access.token}
    if expiring:
        refresh = GitHubToken(
            token="ghr_" + random_string(76), kind="refresh", client_id=access.client_id,
            login=login, scopes=scopes, issued_at=now,
            expires_at=now + config.github_refresh_token_ttl_s, id=store.next_id(),
            partner=access.token,
        )
        access.partner = refresh.token
        store.github_tokens[refresh.token] = refresh
        body.update(expires_in=config.github_token_ttl_s, refresh_token=refresh.token,
                    refresh_token_expires_in=config.github_refresh_token_ttl_s)
    body.update(scope=",".join(scopes), token_type="bearer")
    return body


def profile_page(request: Request) -> Response:
    user = GITHUB_USERS.get(request.params["login"])
    if user is None:
        return templates.error_response("Not Found", "No such user.", 404)
    return Response.html(templates.github_profile(user.login, user.name))


def register(router: Router) -> None:
    router.add("GET POST", r"/github/login/oauth/authorize", "github.authorize", authorize)
    router.add("POST", r"/github/login/oauth/access_token", "github.token", access_token)
    router.add("GET", r"/github/(?P<login>[A-Za-z0-9-]+)", "github.profile", profile_page)
