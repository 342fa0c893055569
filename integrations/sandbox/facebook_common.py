"""Shared Graph machinery: error JSON, usage headers, token lookup and appsecret_proof checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from integrations.sandbox.data import FACEBOOK_USERS
from integrations.sandbox.http import Request, Response
from integrations.sandbox.state import ALNUM, FacebookToken, Store, random_string

DEFAULT_VERSION = "v25.0"
APP_CALL_BUDGET = 2000  # calls per rolling hour that make X-App-Usage reach 100%
PROOF_MAX_AGE_S = 300
SUBCODE_MESSAGES = {
    458: "Error validating access token: The user has not authorized application {app_id}.",
    460: "Error validating access token: The session has been invalidated because the user "
         "changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired on {when}. The current time is {now}.",
    467: "Error validating access token: The session is invalid because the user logged out.",
}


def version(request: Request) -> str:
    found = request.params.get("version")
    return f"v{found}.0" if found else DEFAULT_VERSION


def fbtrace_id() -> str:
    return random_string(11, ALNUM + "_-")


def graph_headers(request: Request, page_id: str | None = None) -> dict[str, str]:
    """X-App-Usage on every answer; X-Business-Use-Case-Usage for Page-token calls."""
    store = request.store
    now = time.monotonic()
    with store.lock:
        calls = store.facebook_calls
        calls.append(now)
        while calls and now - calls[0] > 3600:
            calls.popleft()
        percent = min(len(calls) * 100 // APP_CALL_BUDGET, 100)
    usage = {"call_count": percent, "total_time": percent // 2, "total_cputime": percent // 3}
    headers = {
        "X-App-Usage": json.dumps(usage),
        "facebook-api-version": version(request),
        "x-fb-trace-id": fbtrace_id(),
        "x-fb-rev": "1000000001",
        "Cache-Control": "private, no-cache, no-store, must-revalidate",
    }
    if page_id:
        headers["X-Business-Use-Case-Usage"] = json.dumps({page_id: [{
            "type": "pages", **usage, "estimated_time_to_regain_access": 0}]})
    return headers


def graph_response(request: Request, data: Any, status: int = 200,
                   page_id: str | None = None) -> Response:
    return Response.json(data, status, graph_headers(request, page_id),
                         content_type="application/json; charset=UTF-8")


def graph_error(request: Request, message: str, code: int, *, status: int = 400,
                subcode: int | None = None, error_type: str = "OAuthException",
                extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
                ) -> Response:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra or {})
    error["fbtrace_id"] = fbtrace_id()
    all_headers = {**graph_headers(request), **(headers or {})}
    if code in (100, 190, 102):
        short = message.replace('"', "'")
        all_headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{short}"'
    return Response.json({"error": error}, status, all_headers,
                         content_type="application/json; charset=UTF-8")


def token_error_message(store: Store, token: FacebookToken | None, subcode: int) -> str:
    expired = token.expires_at if token and token.expires_at else store.now()
    return SUBCODE_MESSAGES.get(subcode, "Invalid OAuth access token data.").format(
        app_id=store.config.facebook_app_id,
        when=_fb_date(expired),
        now=_fb_date(store.now()),
    )


def _fb_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")


def presented_token(request: Request) -> str:
    value = request.param("access_token")
    if value:
        return value
    scheme, _, rest = request.header("Authorization").partition(" ")
    return rest.strip() if scheme.lower() in ("bearer", "oauth") else ""


def resolve(store: Store, value: str) -> FacebookToken | None:
    """A stored token, or the literal `APPID|SECRET` app token."""
    config = store.config
    literal = f"{config.facebook_app_id}|{config.facebook_app_secret}"
    if value and hmac.compare_digest(value.encode(), literal.encode()):
        return FacebookToken(token=value, type="APP", app_id=config.facebook_app_id,
                             user_key=None, scopes=(), issued_at=0, expires_at=None,
                             data_access_expires_at=None)
    return store.facebook_tokens.get(value)


def invalid_reason(store: Store, token: FacebookToken) -> int | None:
    """The 190 subcode that makes this token unusable, or None when it is valid."""
    if token.revoked:
        return 458
    if token.expires_at and store.now() >= token.expires_at:
        return 463
    return None


def check_proof(request: Request, token_value: str) -> Response | None:
    """Verify appsecret_proof whenever it is sent (with appsecret_time: at most 5 minutes old)."""
    config = request.store.config
    proof = request.param("appsecret_proof")
    if not proof:
        if config.facebook_require_appsecret_proof:
            return graph_error(request, "API calls from the server require an appsecret_proof "
                               "argument", 100, error_type="GraphMethodException")
        return None
    message = token_value
    stamp = request.param("appsecret_time")
    if stamp is not None:
        try:
            seconds = int(stamp)
        except ValueError:
            seconds = None
        # Wall-clock time on purpose: the client signs with its own clock, not the sandbox's.
        if seconds is None or abs(time.time() - seconds) > PROOF_MAX_AGE_S:
            return graph_error(request, "Invalid appsecret_time provided in the API argument",
                               100, error_type="GraphMethodException")
        message = f"{token_value}|{seconds}"
    expected = hmac.new(config.facebook_app_secret.encode(), message.encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(proof.lower().encode(), expected.encode()):
        return graph_error(request, "Invalid appsecret_proof provided in the API argument", 100,
                           error_type="GraphMethodException")
    return None


def authenticate(request: Request, *, allow: tuple[str, ...] = ("USER", "PAGE")
                 ) -> FacebookToken | Response:
    """The presented token, valid and with a correct proof, or the Graph error to answer."""
    store = request.store
    value = presented_token(request)
    if not value:
        return graph_error(request, "An active access token must be used to query information "
                           "about the current user.", 2500)
    with store.lock:
        token = resolve(store, value)
        if token is None:
            return graph_error(request, "Invalid OAuth access token - Cannot parse access token",
                               190)
        subcode = invalid_reason(store, token)
    if subcode is not None:
        return graph_error(request, token_error_message(store, token, subcode), 190,
                           subcode=subcode)
    bad_proof = check_proof(request, value)
    if bad_proof:
        return bad_proof
    if token.type not in allow:
        return graph_error(request, "An active access token must be used to query information "
                           "about the current user.", 2500)
    return token


def new_user_token(store: Store, user_key: str, scopes: tuple[str, ...], *, long_lived: bool,
                   app_id: str | None = None) -> FacebookToken:
    config, now = store.config, store.now()
    ttl = config.facebook_long_lived_ttl_s if long_lived else config.facebook_short_lived_ttl_s
    token = FacebookToken(
        token="EAA" + random_string(180), type="USER",
        app_id=app_id or config.facebook_app_id, user_key=user_key,
        scopes=tuple(dict.fromkeys(("public_profile", *scopes))), issued_at=now,
        expires_at=now + ttl, data_access_expires_at=now + config.facebook_data_access_ttl_s,
        long_lived=long_lived,
    )
    with store.lock:
        store.facebook_tokens[token.token] = token
    return token


def page_token(store: Store, parent: FacebookToken, page_id: str) -> FacebookToken:
    """The Page token derived from a user token (the same one each time for that user token).

    From a long-lived user token it never expires (expires_at 0); otherwise it dies with it.
    """
    with store.lock:
        existing = store.facebook_page_tokens.get((parent.token, page_id))
        if existing and existing in store.facebook_tokens:
            return store.facebook_tokens[existing]
        token = FacebookToken(
            token="EAA" + random_string(190), type="PAGE", app_id=parent.app_id,
            user_key=parent.user_key, scopes=parent.scopes, issued_at=store.now(),
            expires_at=0 if parent.long_lived else parent.expires_at,
            data_access_expires_at=parent.data_access_expires_at, long_lived=parent.long_lived,
            page_id=page_id, parent=parent.token,
        )
        store.facebook_tokens[token.token] = token
        store.facebook_page_tokens[(parent.token, page_id)] = token.token
        return token


def page_tasks(user_key: str | None, page_id: str) -> tuple[str, ...]:
    user = FACEBOOK_USERS.get(user_key or "")
    for candidate, tasks in user.pages if user else ():
        if candidate == page_id:
            return tasks
    return ()
