"""The sandbox's GitHub App (PROVIDERS-APPS-MEDIA.md part D, checklist D7).

One app whose RSA key pair is made at start (`SandboxConfig.github_app_private_key`):
- the app's REST calls verify its JWT (RS256 signature with the public key, `iat`/`exp`
  window, `iss` = app id or client id) and refuse a bad one with GitHub's 401 bodies;
- installation tokens (`ghs_`, one hour) from `POST /app/installations/{id}/access_tokens`
  (404 unknown or deleted, 403 suspended), read `GET /installation/repositories`;
- `GET /user/installations` answers only a GitHub App's user token (`ghu_`, config
  `github_app_type=github_app`), like GitHub: an OAuth App token gets 403;
- the install page `/github/apps/{slug}/installations/new` (account and repositories), then the
  redirect to the setup URL with `installation_id`, `setup_action=install` and `state`;
- signed deliveries of `installation`, `installation_repositories` and `release` to the app's
  one webhook URL (`X-GitHub-Hook-Installation-Target-Type: integration`).
"""

from __future__ import annotations

import functools
import json
import uuid
from html import escape
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from integrations.sandbox import github_hooks, templates
from integrations.sandbox.data import (
    GITHUB_ORG_ADMINS,
    GITHUB_ORGS,
    GITHUB_USERS,
    github_account,
    github_repo,
    github_simple_user,
)
from integrations.sandbox.github_api import (
    DOCS,
    PREFIX,
    _page_args,
    _paginate,
    authenticate,
    error,
    iso,
    urls,
)
from integrations.sandbox.http import Request, Response, Router, add_query
from integrations.sandbox.state import AppInstallation, InstallationToken, Store, random_string

APP_HOOK_ID = 500000001
TOKEN_TTL_S = 3600
MAX_JWT_LIFETIME_S = 600
IAT_SKEW_S = 60
PERMISSIONS = {"contents": "read", "metadata": "read"}
EVENTS = ["release"]
UNDECODABLE = "A JSON web token could not be decoded"
EXP_IN_PAST = ("'Expiration time' claim ('exp') must be a numeric value representing the "
               "future time at which the assertion expires")
EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
IAT_INVALID = ("'Issued at' claim ('iat') must be an Integer representing the time that the "
               "assertion was issued")
NOT_AN_APP_TOKEN = ("You must authenticate with an access token authorized to a GitHub App in "
                    "order to list installations")


# --- Authentication ------------------------------------------------------------------------


def _public_key(store: Store) -> Any:
    return _public_key_of(store.config.github_app_private_key)


@functools.lru_cache(maxsize=4)
def _public_key_of(pem: str) -> Any:
    """Parsed once per key: parsing a PEM costs ~200 ms, a verification well under 1."""
    return load_pem_private_key(pem.encode(), password=None).public_key()


def verify_app_jwt(request: Request) -> Response | None:
    """None when the Bearer JWT is the app's and current; else GitHub's 401."""
    scheme, _, value = request.header("Authorization").partition(" ")
    store, config = request.store, request.store.config
    if scheme.lower() != "bearer" or not value.strip():
        return _unauthorized(UNDECODABLE)
    try:
        claims = jwt.decode(value.strip(), _public_key(store), algorithms=["RS256"],
                            options={"verify_exp": False, "verify_iat": False,
                                     "verify_nbf": False, "verify_aud": False})
    except jwt.InvalidTokenError:  # bad signature, another key, not a JWT, alg none
        return _unauthorized(UNDECODABLE)
    iat, exp, iss = claims.get("iat"), claims.get("exp"), claims.get("iss")
    now = store.now()
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > now + IAT_SKEW_S:
        return _unauthorized(IAT_INVALID)
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return _unauthorized(EXP_IN_PAST)
    if exp - iat > MAX_JWT_LIFETIME_S + IAT_SKEW_S or exp - now > MAX_JWT_LIFETIME_S:
        return _unauthorized(EXP_TOO_FAR)
    if str(iss) not in (str(config.github_app_id), config.github_app_client_id):
        return _unauthorized(UNDECODABLE)
    return None


def _unauthorized(message: str) -> Response:
    return Response.json({"message": message, "documentation_url": DOCS}, 401)


def _installation_token(request: Request) -> InstallationToken | Response:
    scheme, _, value = request.header("Authorization").partition(" ")
    store = request.store
    with store.lock:
        token = store.github_installation_tokens.get(value.strip())
        installation = token and store.github_installations.get(token.installation_id)
        if (scheme.lower() not in ("bearer", "token") or token is None
                or store.now() >= token.expires_at or installation is None
                or installation.deleted or installation.suspended_at is not None):
            return error("Bad credentials", 401)
    return token


# --- Shapes --------------------------------------------------------------------------------


def app_json(request: Request) -> dict[str, Any]:
    config = request.store.config
    web = request.base_url + "/github"
    return {"id": config.github_app_id, "slug": config.github_app_slug,
            "client_id": config.github_app_client_id, "name": config.github_app_name,
            "html_url": f"{web}/apps/{config.github_app_slug}", "permissions": PERMISSIONS,
            "events": EVENTS, "installations_count": len(_live(request.store))}


def installation_json(request: Request, installation: AppInstallation) -> dict[str, Any]:
    config = request.store.config
    account = github_account(installation.account)
    links = urls(request, account)
    api = request.base_url + PREFIX
    kind = "Organization" if account.login in GITHUB_ORGS else "User"
    return {
        "id": installation.id, "client_id": config.github_app_client_id,
        "account": github_simple_user(account, **links),
        "repository_selection": installation.selection,
        "access_tokens_url": f"{api}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": (f"{links['web']}/organizations/{account.login}/settings/installations/"
                     f"{installation.id}" if kind == "Organization"
                     else f"{links['web']}/settings/installations/{installation.id}"),
        "app_id": config.github_app_id, "app_slug": config.github_app_slug,
        "target_id": account.id, "target_type": kind, "permissions": PERMISSIONS,
        "events": EVENTS, "created_at": iso(installation.created_at),
        "updated_at": iso(installation.created_at), "single_file_name": None,
        "has_multiple_single_files": False, "single_file_paths": [],
        "suspended_by": (github_simple_user(github_account(installation.sender), **links)
                         if installation.suspended_at else None),
        "suspended_at": iso(installation.suspended_at),
    }


def repositories_of(installation: AppInstallation) -> list[str]:
    if installation.selection == "selected":
        return list(installation.repositories)
    account = github_account(installation.account)
    return [f"{account.login}/{name}"
            for name in account.public_repo_names + account.private_repo_names]


def _repo_json(request: Request, full_name: str) -> dict[str, Any]:
    owner, name = full_name.split("/")
    account = github_account(owner)
    private = name in account.private_repo_names
    names = account.private_repo_names if private else account.public_repo_names
    return github_repo(account, names.index(name), name, private=private,
                       **urls(request, account))


def _live(store: Store) -> list[AppInstallation]:
    with store.lock:
        return [i for i in store.github_installations.values() if not i.deleted]


def _find(store: Store, installation_id: str) -> AppInstallation | None:
    with store.lock:
        found = store.github_installations.get(int(installation_id))
    return None if found is None or found.deleted else found


# --- REST ----------------------------------------------------------------------------------


def get_app(request: Request) -> Response:
    return verify_app_jwt(request) or Response.json(app_json(request))


def list_installations(request: Request) -> Response:
    refused = verify_app_jwt(request)
    if refused:
        return refused
    page, per_page = _page_args(request)
    items = [installation_json(request, i) for i in _live(request.store)]
    chunk, headers = _paginate(request, items, page, per_page)
    return Response.json(chunk, 200, headers)


def get_installation(request: Request) -> Response:
    refused = verify_app_jwt(request)
    if refused:
        return refused
    installation = _find(request.store, request.params["id"])
    if installation is None:
        return error("Not Found", 404, DOCS + "/apps/apps#get-an-installation-for-the-"
                     "authenticated-app")
    return Response.json(installation_json(request, installation))


def access_tokens(request: Request) -> Response:
    refused = verify_app_jwt(request)
    if refused:
        return refused
    store = request.store
    installation = _find(store, request.params["id"])
    if installation is None:
        return error("Not Found", 404, DOCS + "/apps/apps#create-an-installation-access-"
                     "token-for-an-app")
    if installation.suspended_at is not None:
        return error("This installation has been suspended", 403, DOCS)
    with store.lock:
        token = InstallationToken(token="ghs_" + random_string(36),
                                  installation_id=installation.id,
                                  expires_at=store.now() + TOKEN_TTL_S)
        store.github_installation_tokens[token.token] = token
    return Response.json({"token": token.token, "expires_at": iso(token.expires_at),
                          "permissions": PERMISSIONS,
                          "repository_selection": installation.selection}, 201)


def installation_repositories(request: Request) -> Response:
    token = _installation_token(request)
    if isinstance(token, Response):
        return token
    installation = request.store.github_installations[token.installation_id]
    repos = [_repo_json(request, name) for name in repositories_of(installation)]
    page, per_page = _page_args(request)
    chunk, headers = _paginate(request, repos, page, per_page)
    return Response.json({"total_count": len(repos),
                          "repository_selection": installation.selection,
                          "repositories": chunk}, 200, headers)


def user_installations(request: Request) -> Response:
    token = authenticate(request)
    if isinstance(token, Response):
        return token
    if request.store.config.github_app_type != "github_app":
        return error(NOT_AN_APP_TOKEN, 403, DOCS + "/apps/installations")
    visible = [i for i in _live(request.store) if can_see(token.login, i.account)]
    page, per_page = _page_args(request)
    items = [installation_json(request, i) for i in visible]
    chunk, headers = _paginate(request, items, page, per_page)
    return Response.json({"total_count": len(items), "installations": chunk}, 200, headers)


def can_see(login: str, account: str) -> bool:
    return login == account or login in GITHUB_ORG_ADMINS.get(account, ())


# --- The install page ----------------------------------------------------------------------


def install_page(request: Request) -> Response:
    config = request.store.config
    if request.params["slug"] != config.github_app_slug:
        return templates.error_response("Not Found", "No GitHub App with this name.", 404)
    params = request.dialog_params()
    state = params.get("state")
    if request.method == "GET":
        return Response.html(_install_form(request, state))
    account = params.get("account", "")
    if account not in GITHUB_USERS and account not in GITHUB_ORGS:
        return templates.error_response("Bad request", "Choose an account.", 400)
    chosen = request.form_lists.get("repository", [])
    installation = install(request, account, chosen or None,
                           sender=GITHUB_ORG_ADMINS.get(account, (account,))[0])
    if not config.github_app_setup_url:
        return Response.html(templates.page("Installed", "<h1>Installed</h1>"))
    return Response.redirect(add_query(config.github_app_setup_url, {
        "installation_id": str(installation.id), "setup_action": "install", "state": state}))


def _install_form(request: Request, state: str | None) -> str:
    config = request.store.config
    accounts = [("octocat", "octocat (your account)"),
                *((org.login, f"{org.login} (organisation)") for org in GITHUB_ORGS.values())]
    repo_boxes = "".join(
        f"<label><input type=checkbox name=repository value='{escape(name)}'> "
        f"<code>{escape(name)}</code></label>"
        for login, _ in accounts for name in _names(login))
    fields = templates.hidden_inputs({"state": state} if state else {})
    body = (f"<h1>Install {escape(config.github_app_name)}</h1>"
            f"<form method=post action='{escape(request.path)}'>{fields}"
            f"<fieldset><legend>Install on</legend>"
            f"{_account_choices(accounts)}</fieldset>"
            f"<fieldset><legend>Only select repositories (none ticked: all)</legend>"
            f"{repo_boxes}</fieldset>"
            "<div class=actions><button type=submit name=decision value=authorize>Install"
            "</button></div></form>")
    return templates.page(f"Install {config.github_app_name}", body)


def _account_choices(accounts: list[tuple[str, str]]) -> str:
    return "".join(f"<label><input type=radio name=account value='{escape(value)}'"
                   f"{' checked' if index == 0 else ''}> {escape(label)}</label>"
                   for index, (value, label) in enumerate(accounts))


def _names(login: str) -> list[str]:
    account = github_account(login)
    return [f"{account.login}/{n}" for n in account.public_repo_names[:3]
            + account.private_repo_names[:1]]


def install(request: Request, account: str, repositories: list[str] | None, *,
            sender: str) -> AppInstallation:
    """Create an installation (all repositories when `repositories` is None) and deliver
    `installation.created`."""
    owner = github_account(account)
    store = request.store
    picked = []
    for name in repositories or []:
        found = github_hooks.find_repo(name)
        if found and found[0] == owner.login:
            picked.append("/".join(found))
    with store.lock:
        installation = AppInstallation(
            id=store.next_id() + 60000000, account=owner.login, repositories=picked,
            selection="selected" if repositories else "all", created_at=store.now(),
            sender=sender)
        store.github_installations[installation.id] = installation
    deliver(request, "installation", {
        "action": "created", **_event_base(request, installation),
        "repositories": [_short_repo(request, n) for n in repositories_of(installation)]})
    return installation


# --- Deliveries ----------------------------------------------------------------------------


def _event_base(request: Request, installation: AppInstallation) -> dict[str, Any]:
    sender = github_account(installation.sender)
    return {"installation": installation_json(request, installation),
            "sender": github_simple_user(sender, **urls(request, sender))}


def _short_repo(request: Request, full_name: str) -> dict[str, Any]:
    repo = _repo_json(request, full_name)
    return {key: repo[key] for key in ("id", "node_id", "name", "full_name", "private")}


def deliver(request: Request, event: str, payload: dict[str, Any]) -> Any:
    """POST a signed app delivery to the app's webhook URL (none configured: not sent)."""
    config = request.store.config
    if not config.github_app_webhook_url:
        return None
    body = json.dumps(payload, separators=(",", ":")).encode()
    delivery_id = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json", "User-Agent": github_hooks.HOOKSHOT,
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id,
        "X-GitHub-Hook-ID": str(APP_HOOK_ID),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": str(config.github_app_id),
        **github_hooks.signatures(config.github_app_webhook_secret, body),
    }
    delivery = github_hooks.Delivery(id=delivery_id, hook_id=APP_HOOK_ID,
                                     url=config.github_app_webhook_url, event=event, body=body,
                                     headers=headers)
    with request.store.lock:
        request.store.github_deliveries[delivery.id] = delivery
    return github_hooks.send(request, delivery)


def deliver_release(request: Request, full_name: str, payload: dict[str, Any]) -> list[Any]:
    """A published release, to the app, when an active installation covers the repository."""
    sent = []
    for installation in _live(request.store):
        if installation.suspended_at is None and full_name in repositories_of(installation):
            delivery = deliver(request, "release", {
                **payload, "installation": {"id": installation.id,
                                            "node_id": f"MDIz{installation.id}"}})
            if delivery is not None:
                sent.append(delivery)
    return sent


def change_installation(request: Request, installation: AppInstallation, action: str) -> Any:
    """suspend / unsuspend / deleted: change it, forget its tokens, deliver the event."""
    store = request.store
    with store.lock:
        if action == "suspend":
            installation.suspended_at = store.now()
        elif action == "unsuspend":
            installation.suspended_at = None
        elif action == "deleted":
            installation.deleted = True
        if action in ("suspend", "deleted"):
            for key in [k for k, t in store.github_installation_tokens.items()
                        if t.installation_id == installation.id]:
                del store.github_installation_tokens[key]
    return deliver(request, "installation", {"action": action,
                                             **_event_base(request, installation)})


def change_repositories(request: Request, installation: AppInstallation, *,
                        removed: list[str]) -> tuple[Any, list[str]]:
    """Take repositories out of a selected installation: `installation_repositories.removed`."""
    store = request.store
    gone = []
    with store.lock:
        current = repositories_of(installation)
        for name in removed:
            found = github_hooks.find_repo(name)
            full = "/".join(found) if found else None
            if full in current:
                gone.append(full)
        installation.repositories = [n for n in current if n not in gone]
        installation.selection = "selected"
    return deliver(request, "installation_repositories", {
        "action": "removed", **_event_base(request, installation),
        "repository_selection": "selected", "repositories_added": [],
        "repositories_removed": [_short_repo(request, n) for n in gone]}), gone


def register(router: Router) -> None:
    router.add("GET", PREFIX + "/app", "github.app", get_app)
    router.add("GET", PREFIX + "/app/installations", "github.app_installations",
               list_installations)
    router.add("GET", PREFIX + r"/app/installations/(?P<id>[0-9]{1,12})",
               "github.app_installation", get_installation)
    router.add("POST", PREFIX + r"/app/installations/(?P<id>[0-9]{1,12})/access_tokens",
               "github.app_access_tokens", access_tokens)
    router.add("GET", PREFIX + "/installation/repositories", "github.installation_repositories",
               installation_repositories)
    router.add("GET", PREFIX + "/user/installations", "github.user_installations",
               user_installations)
    router.add("GET POST", r"/github/apps/(?P<slug>[A-Za-z0-9-]{1,100})/installations/new",
               "github.app_install", install_page)
