"""How injected faults look on the Facebook side (dialog HTML, Graph error JSON)."""

from __future__ import annotations

import json
from typing import Any

from integrations.sandbox import templates
from integrations.sandbox.facebook_common import (
    graph_error,
    graph_response,
    presented_token,
    resolve,
    token_error_message,
)
from integrations.sandbox.facebook_graph import describe
from integrations.sandbox.http import Request, Response, Router

RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try "
           "again.",
}
ERROR_HTML = (
    "<!DOCTYPE html><html><head><title>Facebook | Error</title></head><body>"
    "<h1>Sorry, something went wrong.</h1><p>We're working on it and we'll get it fixed as soon "
    "as we can.</p></body></html>"
)


def render_fault(request: Request, kind: str, options: dict[str, Any]) -> Response | None:
    status = int(options.get("status", 0))
    if request.endpoint == "facebook.dialog" and kind in ("5xx", "timeout", "rate_limit"):
        return Response.html(templates.error_page("Sorry, something went wrong.",
                                                  "Please try again later."), status or 500)
    if kind == "timeout":
        return graph_error(request, "(#2) Service temporarily unavailable", 2, status=504,
                           extra={"is_transient": True})
    if kind == "5xx":
        return graph_error(request, "An unexpected error has occurred. Please retry your request "
                           "later.", 2, status=status or 500, extra={"is_transient": True})
    if kind == "html":
        return Response.html(ERROR_HTML, status or 200)
    if kind == "rate_limit":
        return _rate_limited(request, int(options.get("code", 4)), status or 400, options)
    if kind == "invalid_token":
        subcode = int(options.get("subcode", 463))
        return _invalid_token(request, subcode, bool(options.get("revoke")))
    return None


def _rate_limited(request: Request, code: int, status: int, options: dict[str, Any]) -> Response:
    full = {"call_count": 100, "total_time": 100, "total_cputime": 100}
    headers = {"X-App-Usage": json.dumps(full)}
    if code in (32, 80001):
        regain = int(options.get("estimated_time_to_regain_access", 5))
        page_id = request.params.get("node") or "0"
        headers = {"X-Business-Use-Case-Usage": json.dumps({page_id: [{
            "type": "pages", **full, "estimated_time_to_regain_access": regain}]})}
    message = RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached")
    return graph_error(request, message, code, status=status, extra={"is_transient": True},
                       headers=headers)


def _invalid_token(request: Request, subcode: int, revoke: bool) -> Response:
    store = request.store
    value = request.param("input_token") if request.endpoint == "facebook.debug_token" else None
    value = value or request.param("fb_exchange_token") or presented_token(request)
    token = resolve(store, value or "")
    if revoke and token is not None:
        with store.lock:
            token.revoked = True
    message = token_error_message(store, token, subcode)
    if request.endpoint == "facebook.debug_token":
        # debug_token reports a bad input token inside a 200 answer.
        data = describe(request, token) if token else {"scopes": []}
        data.update(is_valid=False, error={"code": 190, "message": message, "subcode": subcode})
        return graph_response(request, {"data": data})
    return graph_error(request, message, 190, subcode=subcode)


def register(router: Router) -> None:
    router.fault_renderers["facebook"] = render_fault
