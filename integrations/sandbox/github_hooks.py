"""GitHub's repository webhooks: the hooks API and signed deliveries (control calls).

REST: https://docs.github.com/rest/repos/webhooks (create, list, get, delete per repository).
Deliveries: https://docs.github.com/webhooks/webhook-events-and-payloads — a JSON POST with
`X-GitHub-Event`, `X-GitHub-Delivery` (a GUID that a redelivery keeps), `X-Hub-Signature-256`
(HMAC-SHA256 of the body with the hook's secret) and `User-Agent: GitHub-Hookshot/…`.
Only a repository's owner administers its hooks here (octocat yes on its own, mona no).
Not emulated: the `ping` GitHub sends when a hook is created (it would race the request that
creates it); `POST /repos/{owner}/{repo}/hooks/{id}/pings` sends one on demand.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib import error as urlerror
from urllib import request as urlrequest
from urllib.parse import urlencode

from integrations.sandbox.data import github_account, github_repo, github_simple_user
from integrations.sandbox.github_api import DOCS, PREFIX, api_response, authenticate, error, urls
from integrations.sandbox.http import Request, Response, Router
from integrations.sandbox.state import GitHubToken, Hook

HOOKSHOT = "GitHub-Hookshot/5f1a3c2"
DELIVERY_TIMEOUT_S = 10  # GitHub gives a receiver ten seconds
HOOK_DOCS = DOCS + "/repos/webhooks"
# Which token scopes may read / write / delete hooks (admin:repo_hook implies the other two).
READ_SCOPES = {"repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"}
WRITE_SCOPES = {"repo", "admin:repo_hook", "write:repo_hook"}
DELETE_SCOPES = {"repo", "admin:repo_hook"}


@dataclass
class Delivery:
    id: str
    hook_id: int
    url: str
    event: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None


def _now_iso(request: Request) -> str:
    return datetime.fromtimestamp(request.store.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_repo(full_name: str) -> tuple[str, str] | None:
    """(owner login, canonical repository name), matching case-insensitively like GitHub."""
    owner, _, name = full_name.partition("/")
    user = github_account(owner)
    if user is None:
        return None
    for candidate in user.public_repo_names + user.private_repo_names:
        if candidate.lower() == name.lower():
            return user.login, candidate
    return None


def _repo_access(request: Request, scopes: set[str]) -> tuple[GitHubToken, str] | Response:
    """The token and canonical repository, or GitHub's answer: 404 for a repository the user
    cannot administer (GitHub hides it), 404 with the accepted scopes for a token lacking them."""
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    found = find_repo(f"{request.params['owner']}/{request.params['repo']}")
    accepted = ", ".join(sorted(scopes))
    headers = {"X-Accepted-OAuth-Scopes": accepted, "X-OAuth-Scopes": ", ".join(token.scopes)}
    if found is None or found[0] != token.login or not scopes & set(token.scopes):
        return error("Not Found", 404, HOOK_DOCS, headers)
    return token, f"{found[0]}/{found[1]}"


def hook_json(request: Request, hook: Hook) -> dict[str, Any]:
    base = f"{request.base_url}{PREFIX}/repos/{hook.repo}/hooks/{hook.id}"
    return {
        "type": "Repository", "id": hook.id, "name": "web", "active": hook.active,
        "events": list(hook.events),
        "config": {"url": hook.url, "content_type": hook.content_type, "insecure_ssl": "0",
                   **({"secret": "********"} if hook.secret else {})},
        "created_at": hook.created_at, "updated_at": hook.created_at,
        "url": base, "test_url": base + "/test", "ping_url": base + "/pings",
        "deliveries_url": base + "/deliveries",
        "last_response": {"code": None, "status": "unused", "message": None},
    }


def hooks(request: Request) -> Response:
    """GET lists, POST creates (`config.url` required; `events` default to push)."""
    access = _repo_access(request, WRITE_SCOPES if request.method == "POST" else READ_SCOPES)
    if isinstance(access, Response):
        return access
    token, repo = access
    store = request.store
    if request.method == "GET":
        with store.lock:
            found = [hook_json(request, h) for h in store.github_hooks.values() if h.repo == repo]
        return api_response(request, token, found, accepted="admin:repo_hook, read:repo_hook, "
                                                             "repo, write:repo_hook")
    body = request.json if isinstance(request.json, dict) else {}
    config = body.get("config") if isinstance(body.get("config"), dict) else {}
    url, events = config.get("url"), body.get("events", ["push"])
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return error("Validation Failed", 422, HOOK_DOCS + "#create-a-repository-webhook")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        return error("Validation Failed", 422, HOOK_DOCS + "#create-a-repository-webhook")
    with store.lock:
        hook = Hook(id=store.next_id() + 400000000, repo=repo, url=url,
                    secret=str(config.get("secret") or ""),
                    content_type=str(config.get("content_type") or "form"),
                    events=tuple(events), active=bool(body.get("active", True)),
                    created_at=_now_iso(request))
        store.github_hooks[hook.id] = hook
    return api_response(request, token, hook_json(request, hook), 201)


def hook_detail(request: Request) -> Response:
    """GET one hook, DELETE it (204; 404 when it is not this repository's)."""
    access = _repo_access(request, DELETE_SCOPES if request.method == "DELETE" else READ_SCOPES)
    if isinstance(access, Response):
        return access
    token, repo = access
    store = request.store
    with store.lock:
        hook = store.github_hooks.get(int(request.params["hook_id"]))
        if hook is None or hook.repo != repo:
            return error("Not Found", 404, HOOK_DOCS)
        if request.method == "DELETE":
            del store.github_hooks[hook.id]
            return Response(204)
    return api_response(request, token, hook_json(request, hook))


def hook_ping(request: Request) -> Response:
    access = _repo_access(request, READ_SCOPES)
    if isinstance(access, Response):
        return access
    with request.store.lock:
        hook = request.store.github_hooks.get(int(request.params["hook_id"]))
    if hook is None or hook.repo != access[1]:
        return error("Not Found", 404, HOOK_DOCS)
    deliver(request, hook, "ping", ping_payload(request, hook))
    return Response(204)


# --- Deliveries ----------------------------------------------------------------------------


def ping_payload(request: Request, hook: Hook) -> dict[str, Any]:
    owner, name = hook.repo.split("/")
    return {"zen": "Design for failure.", "hook_id": hook.id,
            "hook": hook_json(request, hook), "repository": _repository(request, owner, name),
            "sender": _user(request, owner)}


def release_payload(request: Request, repo: str, tag: str, name: str) -> dict[str, Any]:
    owner, repo_name = repo.split("/")
    links = urls(request, github_account(owner))
    release_id = request.store.next_id() + 100000000
    stamp = _now_iso(request)
    return {
        "action": "published",
        "release": {
            "id": release_id, "node_id": f"RE_sandbox{release_id}", "tag_name": tag,
            "target_commitish": "main", "name": name, "draft": False, "prerelease": False,
            "url": f"{links['api']}/repos/{repo}/releases/{release_id}",
            "html_url": f"{links['web']}/{repo}/releases/tag/{tag}",
            "author": _user(request, owner), "created_at": stamp, "published_at": stamp,
            "body": f"Release {tag}", "assets": [],
        },
        "repository": _repository(request, owner, repo_name),
        "sender": _user(request, owner),
    }


def _user(request: Request, login: str) -> dict[str, Any]:
    user = github_account(login)
    return github_simple_user(user, **urls(request, user))


def _repository(request: Request, owner: str, name: str) -> dict[str, Any]:
    user = github_account(owner)
    private = name in user.private_repo_names
    names = user.private_repo_names if private else user.public_repo_names
    return github_repo(user, names.index(name), name, private=private, **urls(request, user))


def signed_headers(hook: Hook, event: str, delivery_id: str, body: bytes) -> dict[str, str]:
    owner, _ = hook.repo.split("/")
    headers = {
        "Content-Type": "application/json" if hook.content_type == "json"
        else "application/x-www-form-urlencoded",
        "User-Agent": HOOKSHOT, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id,
        "X-GitHub-Hook-ID": str(hook.id),
        "X-GitHub-Hook-Installation-Target-Type": "repository",
        "X-GitHub-Hook-Installation-Target-ID": str(github_account(owner).id),
    }
    if hook.secret:
        headers.update(signatures(hook.secret, body))
    return headers


def signatures(secret: str, body: bytes) -> dict[str, str]:
    """GitHub's two signature headers of a delivery body (the legacy SHA-1 one too)."""
    key = secret.encode()
    return {"X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()}


def deliver(request: Request, hook: Hook, event: str, payload: dict[str, Any]) -> Delivery:
    body = json.dumps(payload, separators=(",", ":")).encode()
    if hook.content_type != "json":  # GitHub's form encoding: payload=<json>
        body = urlencode({"payload": body.decode()}).encode()
    delivery_id = str(uuid.uuid4())
    delivery = Delivery(id=delivery_id, hook_id=hook.id, url=hook.url, event=event, body=body,
                        headers=signed_headers(hook, event, delivery_id, body))
    with request.store.lock:
        request.store.github_deliveries[delivery.id] = delivery
    return send(request, delivery)


def send(request: Request, delivery: Delivery) -> Delivery:
    """POST the delivery to the hook's URL (outside the lock) and log it with the answer."""
    outbound = urlrequest.Request(delivery.url, data=delivery.body,  # noqa: S310 (http only)
                                  method="POST", headers=delivery.headers)
    try:
        with urlrequest.urlopen(outbound, timeout=DELIVERY_TIMEOUT_S) as answer:  # noqa: S310
            delivery.status = answer.status
    except urlerror.HTTPError as exc:
        delivery.status = exc.code
    except (urlerror.URLError, TimeoutError, ConnectionError):
        delivery.status = None  # GitHub shows "We couldn't deliver this payload"
    request.store.log_request({
        "endpoint": "github.webhook_delivery", "method": "POST", "path": delivery.url,
        "query": {}, "headers": dict(delivery.headers), "form": {}, "json": None,
        "body": delivery.body.decode("utf-8", "replace")[:10000],
        "time": request.store.now(), "delivery": delivery.id, "hook_id": delivery.hook_id,
        "status": delivery.status,
    })
    return delivery


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "hook_id": delivery.hook_id, "url": delivery.url,
            "event": delivery.event, "status": delivery.status}


def register(router: Router) -> None:
    repo = PREFIX + r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/hooks"
    router.add("GET POST", repo, "github.hooks", hooks)
    router.add("GET DELETE", repo + r"/(?P<hook_id>[0-9]{1,12})", "github.hook", hook_detail)
    router.add("POST", repo + r"/(?P<hook_id>[0-9]{1,12})/pings", "github.hook_ping", hook_ping)
