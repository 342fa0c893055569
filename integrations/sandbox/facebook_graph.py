"""The Graph API: /graph/vNN.0/oauth/access_token, debug_token, me, accounts, Pages, feed.

Longer than our ~300-line rule on purpose: it is one emulated API surface whose route table
(`register`, at the bottom) is read top to bottom beside PROVIDERS.md part B; what both Graph
and the dialog share already lives in `facebook_common`. Test-and-development tooling only.
"""

from __future__ import annotations

import base64
import hmac
import re
from datetime import UTC, datetime
from typing import Any

from integrations.sandbox.data import FACEBOOK_PAGES, FACEBOOK_USERS, FACEBOOK_USERS_BY_ID
from integrations.sandbox.facebook_common import (
    authenticate,
    check_proof,
    graph_error,
    graph_response,
    invalid_reason,
    new_user_token,
    page_tasks,
    page_token,
    presented_token,
    resolve,
    token_error_message,
)
from integrations.sandbox.http import Request, Response, Router, add_query
from integrations.sandbox.state import FacebookToken, Post, random_string

GRAPH = r"/graph(?:/v(?P<version>\d+)\.0)?"
NEEDS_APP_TOKEN = ("(#100) You must provide an app access token, or a user access token that is "
                   "an owner or developer of the app")
POST_PERMISSION = ("(#200) If posting to a page, requires both pages_read_engagement and "
                   "pages_manage_posts as an admin with sufficient administrative permission")
SCHEDULE_MIN_S, SCHEDULE_MAX_S = 10 * 60, 30 * 86400


def _unsupported(request: Request, node: str) -> Response:
    return graph_error(
        request, f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        "Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100, subcode=33, error_type="GraphMethodException")


def access_token(request: Request) -> Response:
    store, config = request.store, request.store.config
    if request.param("client_id") != config.facebook_app_id:
        return graph_error(request, "Error validating application. Invalid application ID.", 101)
    secret = request.param("client_secret") or ""
    if not hmac.compare_digest(secret.encode(), config.facebook_app_secret.encode()):
        return graph_error(request, "Error validating client secret.", 1)
    grant_type = request.param("grant_type")
    if grant_type == "client_credentials":
        app_token = FacebookToken(
            token=f"{config.facebook_app_id}|{random_string(27, 'abcdefghijklmnopqrstuvwxyz_-')}",
            type="APP", app_id=config.facebook_app_id, user_key=None, scopes=(),
            issued_at=store.now(), expires_at=None, data_access_expires_at=None)
        with store.lock:
            store.facebook_tokens[app_token.token] = app_token
        return graph_response(request, {"access_token": app_token.token, "token_type": "bearer"})
    if grant_type == "fb_exchange_token":
        return _exchange_long_lived(request)
    return _exchange_code(request)


def _exchange_code(request: Request) -> Response:
    store = request.store
    with store.lock:
        code = store.facebook_codes.get(request.param("code") or "")
        if code is None:
            return graph_error(request, "Invalid verification code format.", 100)
        if code.used:
            return graph_error(request, "This authorization code has been used.", 100,
                               subcode=36009)
        if store.now() - code.issued_at > store.config.facebook_code_ttl_s:
            return graph_error(request, "This authorization code has expired.", 100,
                               subcode=36007)
        redirect_uri = request.param("redirect_uri")
        if redirect_uri is None:
            return graph_error(request, "Missing redirect_uri parameter.", 191)
        if redirect_uri != code.redirect_uri:
            return graph_error(
                request, "Error validating verification code. Please make sure your redirect_uri "
                "is identical to the one you used in the OAuth dialog request", 100,
                subcode=36008)
        code.used = True
    token = new_user_token(store, code.user_key, code.scopes, long_lived=False)
    return graph_response(request, {"access_token": token.token, "token_type": "bearer",
                                    "expires_in": int(token.expires_at - store.now())})


def _exchange_long_lived(request: Request) -> Response:
    store = request.store
    short = resolve(store, request.param("fb_exchange_token") or "")
    if short is None or short.type != "USER" or short.app_id != store.config.facebook_app_id:
        return graph_error(request, "Invalid OAuth access token - Cannot parse access token", 190)
    subcode = invalid_reason(store, short)
    if subcode is not None:
        return graph_error(request, token_error_message(store, short, subcode), 190,
                           subcode=subcode)
    token = new_user_token(store, short.user_key or "", short.scopes, long_lived=True)
    return graph_response(request, {"access_token": token.token, "token_type": "bearer",
                                    "expires_in": int(token.expires_at - store.now())})


def describe(request: Request, token: FacebookToken) -> dict[str, Any]:
    """debug_token's `data` for a known token (HTTP 200 even when it is not valid)."""
    store, config = request.store, request.store.config
    ours = token.app_id == config.facebook_app_id
    data: dict[str, Any] = {
        "app_id": token.app_id, "type": token.type,
        "application": config.facebook_app_name if ours else "Some Other App",
    }
    if token.type == "APP":
        return {**data, "is_valid": True, "scopes": []}
    user = FACEBOOK_USERS[token.user_key or ""]
    data.update(
        data_access_expires_at=int(token.data_access_expires_at or 0),
        expires_at=int(token.expires_at or 0), is_valid=True, issued_at=int(token.issued_at),
        scopes=list(token.scopes), user_id=user.id,
        granular_scopes=[
            {"scope": s, **({"target_ids": [p for p, _ in user.pages]} if s.startswith("pages_")
                            else {})}
            for s in token.scopes if s != "public_profile"
        ],
    )
    if token.type == "PAGE":
        data["profile_id"] = token.page_id
    subcode = invalid_reason(store, token)
    if subcode is not None:
        data["is_valid"] = False
        data["error"] = {"code": 190, "message": token_error_message(store, token, subcode),
                         "subcode": subcode}
    return data


def debug_token(request: Request) -> Response:
    store = request.store
    app = resolve(store, presented_token(request))
    if app is None or app.type != "APP" or app.app_id != store.config.facebook_app_id:
        return graph_error(request, NEEDS_APP_TOKEN, 100)
    bad_proof = check_proof(request, presented_token(request))
    if bad_proof:
        return bad_proof
    value = request.param("input_token")
    if not value:
        return graph_error(request, "(#100) The parameter input_token is required", 100)
    with store.lock:
        token = resolve(store, value)
        if token is None:
            return graph_response(request, {"data": {
                "error": {"code": 190, "message": "Invalid OAuth access token signature."},
                "is_valid": False, "scopes": []}})
        return graph_response(request, {"data": describe(request, token)})


def _fields(request: Request, default: str, known: set[str], node_type: str
            ) -> list[str] | Response:
    # Split at top-level commas only: `attachments{unshimmed_url,type}` is one field.
    fields = [f.strip() for f in re.split(r",(?![^{]*\})", request.param("fields") or default)
              if f.strip()]
    for name in fields:
        if name.split("{")[0].split(".")[0] not in known:
            return graph_error(request, f"(#100) Tried accessing nonexisting field ({name}) on "
                               f"node type ({node_type})", 100)
    return [f.split("{")[0].split(".")[0] for f in fields]


def me(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    if token.type == "PAGE":
        return _page_node(request, token, token.page_id or "")
    return _user_node(request, token, FACEBOOK_USERS[token.user_key or ""].id)


def _user_node(request: Request, token: FacebookToken, user_id: str) -> Response:
    user = FACEBOOK_USERS_BY_ID[user_id]
    fields = _fields(request, "id,name", {"id", "name", "email", "picture", "first_name",
                                          "last_name", "short_name"}, "User")
    if isinstance(fields, Response):
        return fields
    first, _, last = user.name.partition(" ")
    values: dict[str, Any] = {
        "id": user.id, "name": user.name, "first_name": first, "last_name": last,
        "short_name": first,
        "picture": {"data": {"height": 50, "width": 50, "is_silhouette": False,
                             "url": f"{request.base_url}/avatars/{user.key}.svg"}},
    }
    if user.email and "email" in token.scopes:
        values["email"] = user.email  # only with the permission, and only if there is one
    return graph_response(request, {k: values[k] for k in fields if k in values})


def _page_node(request: Request, token: FacebookToken, page_id: str) -> Response:
    page = FACEBOOK_PAGES.get(page_id)
    if page is None:
        return _unsupported(request, page_id)
    fields = _fields(request, "id,name", {"id", "name", "category", "category_list",
                                          "access_token", "tasks", "link", "fan_count"}, "Page")
    if isinstance(fields, Response):
        return fields
    tasks = page_tasks(token.user_key, page_id)
    values: dict[str, Any] = {
        "id": page.id, "name": page.name, "category": page.category,
        "category_list": [{"id": page.category_id, "name": page.category}],
        "link": f"https://www.facebook.com/{page.id}", "fan_count": 42,
    }
    if tasks:
        values["tasks"] = list(tasks)
    if token.type == "PAGE" and token.page_id == page_id:
        values["access_token"] = token.token
    elif token.type == "USER" and tasks and "pages_show_list" in token.scopes:
        values["access_token"] = page_token(request.store, token, page_id).token
    return graph_response(request, {k: values[k] for k in fields if k in values},
                          page_id=page_id if token.type == "PAGE" else None)


def node(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    node_id = request.params["node"]
    if node_id in FACEBOOK_USERS_BY_ID:
        return _user_node(request, token, node_id)
    return _page_node(request, token, node_id)


def _cursor(page_id: str) -> str:
    return base64.urlsafe_b64encode(page_id.encode()).decode().rstrip("=")


def accounts(request: Request) -> Response:
    token = authenticate(request, allow=("USER",))
    if isinstance(token, Response):
        return token
    owner = request.params.get("node", "me")
    user = FACEBOOK_USERS[token.user_key or ""]
    if owner not in ("me", user.id):
        return _unsupported(request, owner)
    fields = _fields(request, "access_token,category,category_list,name,id,tasks",
                     {"access_token", "category", "category_list", "name", "id", "tasks"}, "Page")
    if isinstance(fields, Response):
        return fields
    # Without pages_show_list the edge is simply empty.
    listed = list(user.pages) if "pages_show_list" in token.scopes else []
    try:
        limit = min(max(int(request.query.get("limit", 25)), 1), 100)
    except ValueError:
        limit = 25
    cursors = [_cursor(page_id) for page_id, _ in listed]
    start = cursors.index(request.query["after"]) + 1 if request.query.get("after") in cursors \
        else 0
    chunk = listed[start:start + limit]
    data = []
    for page_id, tasks in chunk:
        page = FACEBOOK_PAGES[page_id]
        values = {"access_token": page_token(request.store, token, page_id).token,
                  "category": page.category,
                  "category_list": [{"id": page.category_id, "name": page.category}],
                  "name": page.name, "id": page.id, "tasks": list(tasks)}
        data.append({k: values[k] for k in fields})
    body: dict[str, Any] = {"data": data}
    if chunk:
        paging: dict[str, Any] = {"cursors": {"before": _cursor(chunk[0][0]),
                                              "after": _cursor(chunk[-1][0])}}
        if start + limit < len(listed):
            paging["next"] = add_query(request.base_url + request.path, {
                **request.query, "limit": str(limit), "after": _cursor(chunk[-1][0])})
        body["paging"] = paging
    return graph_response(request, body)


def _schedule_time(value: str, now: float) -> float | None:
    """Unix seconds, ISO 8601, or a relative `+N minutes|hours|days|weeks` (strtotime-like)."""
    if value.isdigit():
        return float(value)
    relative = re.fullmatch(r"\+?\s*(\d+)\s*(second|minute|hour|day|week)s?", value.strip())
    if relative:
        unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
        return now + int(relative[1]) * unit[relative[2]]
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def feed(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    store, page_id = request.store, request.params["node"]
    if page_id not in FACEBOOK_PAGES:
        return _unsupported(request, page_id)
    allowed = (token.type == "PAGE" and token.page_id == page_id
               and {"pages_manage_posts", "pages_read_engagement"} <= set(token.scopes)
               and "CREATE_CONTENT" in page_tasks(token.user_key, page_id))
    if not allowed:
        return graph_error(request, POST_PERMISSION, 200, status=403)
    message, link = request.param("message"), request.param("link")
    if not message and not link:
        return graph_error(request, "(#100) Missing message or attachment", 100)
    published = (request.param("published") or "true").lower() not in ("false", "0")
    raw_time = request.param("scheduled_publish_time")
    scheduled = None
    if raw_time:
        if published:
            return graph_error(request, "(#100) You cannot specify a scheduled publish time on a "
                               "published post", 100)
        scheduled = _schedule_time(raw_time, store.now())
        if scheduled is None or not (
            SCHEDULE_MIN_S <= scheduled - store.now() <= SCHEDULE_MAX_S
        ):
            return graph_error(request, "(#100) The specified scheduled publish time is invalid.",
                               100, extra={
                                   "error_user_title": "Invalid Scheduled Publish Time",
                                   "error_user_msg": "The scheduled publish time must be between "
                                   "10 minutes and 30 days from the time of the request."})
    with store.lock:
        previous = [p for p in store.posts if p.page_id == page_id and p.published]
        if published and previous and (previous[-1].message, previous[-1].link) == (message, link):
            return graph_error(request, "(#506) Duplicate status message", 506)
        post = Post(id=f"{page_id}_{random_string(16, '0123456789')}", page_id=page_id,
                    message=message, link=link, published=published,
                    scheduled_publish_time=int(scheduled) if scheduled else None,
                    created_time=store.now(), token_user=token.user_key)
        store.posts.append(post)
    return graph_response(request, {"id": post.id}, page_id=page_id)


def _graph_time(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def read_posts(request: Request) -> Response:
    """GET /{page-id}/feed, /published_posts or /scheduled_posts: the Page's posts, newest
    first, filtered by `since` (unix seconds) and limited by `limit` (25, at most 100)."""
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    store, page_id = request.store, request.params["node"]
    if page_id not in FACEBOOK_PAGES:
        return _unsupported(request, page_id)
    if token.type != "PAGE" or token.page_id != page_id \
            or "pages_read_engagement" not in token.scopes:
        return graph_error(request, "(#10) This endpoint requires the 'pages_read_engagement' "
                           "permission and a Page access token.", 10, status=403)
    fields = _fields(request, "created_time,message,id", {"id", "message", "link",
                                                          "attachments", "created_time"}, "Post")
    if isinstance(fields, Response):
        return fields
    attachment_fields = _subfields(request.param("fields") or "", "attachments")
    scheduled = request.params["edge"] == "scheduled_posts"
    since = float(request.query["since"]) if request.query.get("since", "").isdigit() else 0.0
    try:
        limit = min(max(int(request.query.get("limit", 25)), 1), 100)
    except ValueError:
        limit = 25
    with store.lock:
        posts = [p for p in reversed(store.posts) if p.page_id == page_id
                 and p.published != scheduled and p.created_time >= since][:limit]
    data = []
    for post in posts:
        values = {"id": post.id, "message": post.message,
                  "link": post.link if store.config.facebook_post_link_field else None,
                  "attachments": _attachments(post, attachment_fields),
                  "created_time": _graph_time(post.created_time)}
        data.append({k: values[k] for k in fields if values.get(k) is not None})
    return graph_response(request, {"data": data}, page_id=page_id)


def _subfields(fields: str, name: str) -> set[str] | None:
    """The sub-fields asked for in `name{a,b}` within a `fields` list (None: the defaults)."""
    match = re.search(rf"(?:^|,)\s*{name}\{{([^}}]*)\}}", fields)
    return {f.strip() for f in match.group(1).split(",") if f.strip()} if match else None


def _attachments(post: Post, subfields: set[str] | None) -> dict[str, Any] | None:
    """A link post's `attachments` edge as Graph shapes it: the link card, with the URL both
    unshimmed and behind Facebook's l.php redirect. A text-only post has none."""
    if not post.link:
        return None
    item = {"type": "share", "unshimmed_url": post.link,
            "url": add_query("https://l.facebook.com/l.php", {"u": post.link, "h": "AT0sandbox"}),
            "title": post.link, "media_type": "link"}
    keep = subfields or {"type", "unshimmed_url", "url", "title", "media_type"}
    return {"data": [{k: v for k, v in item.items() if k in keep}]}


def _permission_owner(token: FacebookToken, owner: str) -> str | None:
    """The test user whose permissions `owner` names, if this token may manage them."""
    if owner == "me":
        return token.user_key if token.type == "USER" else None
    user = FACEBOOK_USERS_BY_ID.get(owner)
    if user is not None and (token.type == "APP" or token.user_key == user.key):
        return user.key
    return None


def permissions(request: Request) -> Response:
    token = authenticate(request, allow=("USER", "APP"))
    if isinstance(token, Response):
        return token
    store, owner = request.store, request.params.get("node", "me")
    user_key = _permission_owner(token, owner)
    if user_key is None:
        return _unsupported(request, owner)
    permission = request.params.get("permission")
    with store.lock:
        mine = [t for t in store.facebook_tokens.values()
                if t.user_key == user_key and t.app_id == store.config.facebook_app_id]
        if request.method == "GET":
            granted = dict.fromkeys(s for t in mine if t.type == "USER"
                                    and invalid_reason(store, t) is None for s in t.scopes)
            declined = sorted(store.facebook_declined.get(user_key, set()) - set(granted))
            return graph_response(request, {"data": [
                *({"permission": s, "status": "granted"} for s in granted),
                *({"permission": s, "status": "declined"} for s in declined)]})
        for other in mine:
            if permission:
                other.scopes = tuple(s for s in other.scopes if s != permission)
            else:
                other.revoked = True  # the app is removed: user and derived Page tokens die
        if permission:
            store.facebook_declined.setdefault(user_key, set()).add(permission)
    return graph_response(request, {"success": True})


def register(router: Router) -> None:
    router.add("GET POST", GRAPH + r"/oauth/access_token", "facebook.token", access_token)
    router.add("GET", GRAPH + r"/debug_token", "facebook.debug_token", debug_token)
    router.add("GET", GRAPH + r"/me", "facebook.me", me)
    router.add("GET", GRAPH + r"/(?P<node>me|\d+)/accounts", "facebook.accounts", accounts)
    router.add("GET DELETE", GRAPH + r"/(?P<node>me|\d+)/permissions(?:/(?P<permission>\w+))?",
               "facebook.permissions", permissions)
    router.add("POST", GRAPH + r"/(?P<node>\d+)/feed", "facebook.feed", feed)
    router.add("GET", GRAPH + r"/(?P<node>\d+)/(?P<edge>feed|published_posts|scheduled_posts)",
               "facebook.read_posts", read_posts)
    router.add("GET", GRAPH + r"/(?P<node>\d+)", "facebook.page", node)
