"""Facebook Login's dialog: /facebook/vNN.0/dialog/oauth (Strict Mode exact redirect URIs)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from integrations.sandbox import templates
from integrations.sandbox.data import FACEBOOK_PERMISSIONS, FACEBOOK_USERS
from integrations.sandbox.http import Request, Response, Router, add_query
from integrations.sandbox.state import FacebookCode, random_string

DIALOG_FIELDS = ("client_id", "redirect_uri", "state", "scope", "response_type", "auth_type",
                 "display")
INVALID_APP_ID = "The provided app ID does not look like a valid app ID."
URL_BLOCKED = (
    "This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth "
    "Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid "
    "OAuth Redirect URIs."
)


def _without_state(uri: str) -> str:
    """Strict Mode compares the whole URI except a `state` query parameter."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "state"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_uri_allowed(registered: list[str], uri: str) -> bool:
    wanted = _without_state(uri)
    return any(_without_state(candidate) == wanted for candidate in registered)


def dialog(request: Request) -> Response:
    params, store = request.dialog_params(), request.store
    config = store.config
    if params.get("client_id") != config.facebook_app_id:
        return templates.error_response("Invalid App ID", INVALID_APP_ID, 400)
    redirect_uri = params.get("redirect_uri") or ""
    if not redirect_uri_allowed(config.facebook_redirect_uris, redirect_uri):
        return templates.error_response("URL blocked", URL_BLOCKED, 400)
    if params.get("response_type", "code") != "code":
        return templates.error_response(
            "Unsupported", "The sandbox supports response_type=code only.", 400)
    requested = [s for s in re.split(r"[\s,]+", params.get("scope", "")) if s]
    unknown = [s for s in requested if s not in FACEBOOK_PERMISSIONS]
    if unknown:
        return templates.error_response(
            "Invalid Scopes", "Invalid Scopes: " + ", ".join(unknown) + ". This message is only "
            "shown to developers.", 400)
    state = params.get("state")
    user_key = params.get("user", "")
    rerequest = params.get("auth_type") == "rerequest"
    if request.method == "GET":
        fields = {k: params[k] for k in DIALOG_FIELDS if params.get(k) is not None}
        return Response.html(templates.facebook_consent(
            action=request.path, app_name=config.facebook_app_name,
            scopes=list(dict.fromkeys(requested)),
            users=[(u.key, f"{u.name} ({u.key})") for u in FACEBOOK_USERS.values()],
            selected=None, fields=fields, redirect_uri=redirect_uri,
        ))
    decision = params.get("decision")
    if decision == "cancel":
        return Response.redirect(add_query(redirect_uri, {
            "error": "access_denied", "error_code": "200",
            "error_description": "Permissions error", "error_reason": "user_denied",
            "state": state,
        }, fragment="_=_"))
    if decision != "continue" or user_key not in FACEBOOK_USERS:
        return templates.error_response(
            "Bad request", "Choose a test user and Continue or Cancel.", 400)
    ticked = set(request.form_lists.get("grant", [])) if "granular" in params else set(requested)
    with store.lock:
        earlier = store.facebook_declined.setdefault(user_key, set())
        # Without auth_type=rerequest, a permission declined before is never asked again.
        declined = {s for s in requested if s not in ticked or (s in earlier and not rerequest)}
        declined.discard("public_profile")
        granted = tuple(s for s in dict.fromkeys(requested) if s not in declined)
        earlier.difference_update(granted)
        earlier.update(declined)
        code = FacebookCode(
            code="AQ" + random_string(240), app_id=config.facebook_app_id,
            redirect_uri=redirect_uri, user_key=user_key, scopes=granted,
            declined=tuple(sorted(declined)), issued_at=store.now(),
        )
        store.facebook_codes[code.code] = code
    # Facebook appends `#_=_` to the redirect; front ends must tolerate it.
    return Response.redirect(add_query(redirect_uri, {"code": code.code, "state": state},
                                       fragment="_=_"))


def register(router: Router) -> None:
    router.add("GET POST", r"/facebook(?:/v(?P<version>\d+)\.0)?/dialog/oauth",
               "facebook.dialog", dialog)
