"""The control API under /_sandbox/ (JSON in, JSON out). See README.md for the reference."""

from __future__ import annotations

from typing import Any

from integrations.sandbox import github_app, github_hooks, instagram, templates
from integrations.sandbox.data import (
    FACEBOOK_USERS,
    GITHUB_ORG_ADMINS,
    GITHUB_USERS,
    github_account,
    normalize_github_scopes,
)
from integrations.sandbox.facebook_common import new_user_token
from integrations.sandbox.github_web import issue_tokens
from integrations.sandbox.http import Request, Response, Router
from integrations.sandbox.signed_request import build_signed_request
from integrations.sandbox.state import FAULT_KINDS

PREFIX = "/_sandbox"


def _body(request: Request) -> dict[str, Any]:
    if isinstance(request.json, dict):
        return request.json
    return dict(request.form)


def _bad(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status)


def provider_endpoints(router: Router) -> list[str]:
    names = {r.endpoint for r in router.routes
             if not r.endpoint.startswith(("control.", "static."))}
    return sorted(names)


class ControlAPI:
    """One method per control call; `router` is consulted for the valid endpoint names."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def health(self, request: Request) -> Response:
        base = request.base_url
        return Response.json({
            "status": "ok",
            "github_url": base + "/github", "github_api_url": base + "/github/api/v3",
            "facebook_url": base + "/facebook", "graph_url": base + "/graph",
            "endpoints": provider_endpoints(self.router), "fault_kinds": list(FAULT_KINDS),
        })

    def reset(self, request: Request) -> Response:
        request.store.reset()
        return Response.json({"status": "reset"})

    def faults(self, request: Request) -> Response:
        store = request.store
        if request.method == "DELETE":
            with store.lock:
                store.faults.clear()
            return Response(204)
        if request.method == "POST":
            body = dict(_body(request))
            endpoint, kind = body.pop("endpoint", None), body.pop("kind", None)
            count = body.pop("count", 1)
            if endpoint not in provider_endpoints(self.router):
                return _bad(f"unknown endpoint {endpoint!r}")
            if kind not in FAULT_KINDS:
                return _bad(f"unknown kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
            if not isinstance(count, int) or count < 1:
                return _bad("count must be a positive integer")
            fault = store.add_fault(endpoint, kind, count, body)
            return Response.json(fault.as_dict(), 201)
        with store.lock:
            return Response.json({"faults": [f.as_dict() for f in store.faults]})

    def latency(self, request: Request) -> Response:
        if request.method == "POST":
            ms = _body(request).get("ms")
            if not isinstance(ms, int) or ms < 0:
                return _bad("ms must be a non-negative integer")
            request.store.latency_ms = ms
        return Response.json({"ms": request.store.latency_ms})

    def requests_log(self, request: Request) -> Response:
        if request.method == "DELETE":
            with request.store.lock:
                request.store.requests.clear()
            return Response(204)
        return Response.json({"requests": request.store.logged(request.query.get("endpoint"))})

    def redirect_uris(self, request: Request) -> Response:
        store = request.store
        config = store.config
        if request.method in ("POST", "DELETE"):
            body = _body(request)
            provider, uri = body.get("provider"), body.get("uri")
            uris = body.get("uris") or ([uri] if uri else [])
            if provider not in ("github", "facebook") or not all(
                isinstance(u, str) and u for u in uris
            ) or not uris:
                return _bad("expected {provider: github|facebook, uri: str} or uris: [str]")
            with store.lock:
                if provider == "github" and body.get("wildcard"):
                    target = config.github_wildcard_redirect_uris
                elif provider == "github":
                    target = config.github_redirect_uris
                else:
                    target = config.facebook_redirect_uris
                for item in uris:
                    if request.method == "POST" and item not in target:
                        target.append(item)
                    elif request.method == "DELETE" and item in target:
                        target.remove(item)
        return Response.json({
            "github": config.github_redirect_uris,
            "github_wildcard": config.github_wildcard_redirect_uris,
            "facebook": config.facebook_redirect_uris,
        })

    def config_view(self, request: Request) -> Response:
        store = request.store
        if request.method == "POST":
            try:
                with store.lock:
                    store.config.update(_body(request))
            except ValueError as exc:
                return _bad(str(exc))
        return Response.json(store.config.public_view())

    def clock(self, request: Request) -> Response:
        store = request.store
        if request.method == "POST":
            body = _body(request)
            advance, offset = body.get("advance_s"), body.get("offset_s")
            if isinstance(advance, int | float) and not isinstance(advance, bool):
                store.clock_offset_s += advance
            elif isinstance(offset, int | float) and not isinstance(offset, bool):
                store.clock_offset_s = float(offset)
            else:
                return _bad("expected {advance_s: number} or {offset_s: number}")
        return Response.json({"now": store.now(), "offset_s": store.clock_offset_s})

    def tokens(self, request: Request) -> Response:
        """Mint a token without the browser dance (for tests that start mid-flow)."""
        store, body = request.store, _body(request)
        provider, user = body.get("provider"), body.get("user")
        scopes = body.get("scopes") or []
        if not isinstance(scopes, list):
            return _bad("scopes must be a list")
        if provider == "github" and user in GITHUB_USERS:
            with store.lock:
                data = issue_tokens(store, user, normalize_github_scopes(scopes),
                                    bool(body.get("expiring")))
            return Response.json(data, 201)
        if provider == "facebook" and user in FACEBOOK_USERS:
            token = new_user_token(store, user, tuple(scopes),
                                   long_lived=bool(body.get("long_lived", True)),
                                   app_id=body.get("app_id"))
            return Response.json({"access_token": token.token, "token_type": "bearer",
                                  "expires_in": int((token.expires_at or 0) - store.now())}, 201)
        return _bad("expected {provider: github|facebook, user: <test user>, scopes?: [...]}")

    def posts(self, request: Request) -> Response:
        with request.store.lock:
            return Response.json({"posts": [vars(p).copy() for p in request.store.posts]})

    def instagram_media(self, request: Request) -> Response:
        """Published Instagram media and every container made (test assertions)."""
        store = request.store
        with store.lock:
            return Response.json({
                "media": [vars(m).copy() for m in store.instagram_media],
                "containers": [{**vars(c), "status_code": instagram.container_status(store, c)}
                               for c in store.instagram_containers.values()]})

    def github_releases(self, request: Request) -> Response:
        """Publish a release: a signed `release` delivery to every active hook of the repo."""
        body = _body(request)
        repo, tag = body.get("repo"), body.get("tag")
        name = body.get("name") or tag
        found = github_hooks.find_repo(repo) if isinstance(repo, str) else None
        if found is None or not isinstance(tag, str) or not tag or not isinstance(name, str):
            return _bad("expected {repo: owner/name of a sandbox repository, tag: str, name?: str}")
        full_name = "/".join(found)
        payload = github_hooks.release_payload(request, full_name, tag, name)
        with request.store.lock:
            targets = [h for h in request.store.github_hooks.values() if h.repo == full_name
                       and h.active and ({"release", "*"} & set(h.events))]
        sent = [github_hooks.deliver(request, hook, "release", payload) for hook in targets]
        sent += github_app.deliver_release(request, full_name, payload)
        return Response.json({"deliveries": [github_hooks.delivery_json(d) for d in sent]})

    # --- the GitHub App --------------------------------------------------------------------
    def github_app_view(self, request: Request) -> Response:
        """The app's credentials (private key included: this is a local stand-in), and POST
        {webhook_url?, setup_url?, webhook_secret?} to change where it delivers."""
        config = request.store.config
        if request.method == "POST":
            body = _body(request)
            values = {f"github_app_{k}": body[k] for k in ("webhook_url", "setup_url",
                                                           "webhook_secret") if k in body}
            try:
                with request.store.lock:
                    config.update(values)
            except ValueError as exc:
                return _bad(str(exc))
        return Response.json({
            **github_app.app_json(request), "webhook_secret": config.github_app_webhook_secret,
            "private_key": config.github_app_private_key,
            "webhook_url": config.github_app_webhook_url,
            "setup_url": config.github_app_setup_url})

    def github_installations(self, request: Request) -> Response:
        """GET lists; POST {account, repositories?} installs as that account's owner would."""
        if request.method == "GET":
            return Response.json({"installations": [
                {**github_app.installation_json(request, i),
                 "repositories": github_app.repositories_of(i), "deleted": i.deleted}
                for i in request.store.github_installations.values()]})
        body = _body(request)
        account, repositories = body.get("account"), body.get("repositories")
        if (github_account(account or "") is None if isinstance(account, str) else True) or (
                repositories is not None and not (isinstance(repositories, list) and all(
                    isinstance(r, str) for r in repositories))):
            return _bad("expected {account: a sandbox user or organisation, repositories?: "
                        "[owner/name]}")
        owner = github_account(account).login
        sender = GITHUB_ORG_ADMINS.get(owner, (owner,))[0]
        installation = github_app.install(request, owner, repositories, sender=sender)
        return Response.json({"id": installation.id,
                              "repositories": github_app.repositories_of(installation)}, 201)

    def github_installation_action(self, request: Request) -> Response:
        """suspend, unsuspend, uninstall (delivers `installation` deleted), or
        remove-repositories {repositories: [...]} (delivers `installation_repositories`)."""
        with request.store.lock:
            installation = request.store.github_installations.get(int(request.params["id"]))
        if installation is None or installation.deleted:
            return _bad("unknown installation", 404)
        action = request.params["action"]
        if action == "remove-repositories":
            names = _body(request).get("repositories")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                return _bad("expected {repositories: [owner/name]}")
            delivery, _gone = github_app.change_repositories(request, installation,
                                                             removed=names)
        else:
            event = {"uninstall": "deleted"}.get(action, action)
            delivery = github_app.change_installation(request, installation, event)
        sent = [delivery] if delivery is not None else []
        return Response.json({"deliveries": [github_hooks.delivery_json(d) for d in sent]})

    def github_redeliver(self, request: Request) -> Response:
        """Send a delivery again: same body, headers and X-GitHub-Delivery, as GitHub does."""
        with request.store.lock:
            delivery = request.store.github_deliveries.get(str(_body(request).get("delivery")))
        if delivery is None:
            return _bad("unknown delivery", 404)
        github_hooks.send(request, delivery)
        return Response.json({"deliveries": [github_hooks.delivery_json(delivery)]})

    def hooks_list(self, request: Request) -> Response:
        with request.store.lock:
            found = [github_hooks.hook_json(request, h)
                     for h in request.store.github_hooks.values()]
        return Response.json({"hooks": found})

    def signed_request(self, request: Request) -> Response:
        body = dict(_body(request))
        user_id = body.pop("user_id", None)
        if not user_id:
            return _bad("user_id is required")
        secret = request.store.config.facebook_app_secret
        return Response.json({"signed_request": build_signed_request(str(user_id), secret,
                                                                     **body)})

    def avatar(self, request: Request) -> Response:
        svg = templates.avatar_svg(request.params["name"])
        return Response(200, svg.encode(), {"Content-Type": "image/svg+xml",
                                            "Cache-Control": "public, max-age=3600"})


def register(router: Router) -> None:
    views = ControlAPI(router)
    routes = [
        ("GET", r"(?:/|/health)?", "health"),
        ("POST", "/reset", "reset"),
        ("GET POST DELETE", "/faults", "faults"),
        ("GET POST", "/latency", "latency"),
        ("GET DELETE", "/requests", "requests_log"),
        ("GET POST DELETE", "/redirect-uris", "redirect_uris"),
        ("GET POST", "/config", "config_view"),
        ("GET POST", "/clock", "clock"),
        ("POST", "/tokens", "tokens"),
        ("GET", "/posts", "posts"),
        ("GET", "/instagram/media", "instagram_media"),
        ("POST", "/signed-request", "signed_request"),
        ("POST", "/github/releases", "github_releases"),
        ("POST", "/github/redeliver", "github_redeliver"),
        ("GET", "/github/hooks", "hooks_list"),
        ("GET POST", "/github/app", "github_app_view"),
        ("GET POST", "/github/installations", "github_installations"),
        ("POST", r"/github/installations/(?P<id>[0-9]{1,12})/(?P<action>suspend|unsuspend|"
                 r"uninstall|remove-repositories)", "github_installation_action"),
    ]
    for methods, path, name in routes:
        router.add(methods, PREFIX + path, f"control.{name}", getattr(views, name))
    router.add("GET", r"/avatars/(?P<name>[A-Za-z0-9_-]{1,40})\.svg", "static.avatar",
               views.avatar)
