"""The session principal, cached: the user, its GitHub account (without tokens) and the Page flag.

Building the session user's query (an `Exists` over permissions, a join, two deferred columns)
cost more than running it, on every request. The principal is kept in the shared cache instead,
stamped with versions that every change able to alter it moves (`invalidate_user`,
`invalidate_all`, wired to model signals in `api.apps`):

* `principal:v:<id>`, one user's version: the user row (staff, active, superuser, password),
  its GitHub account, its direct permissions and groups;
* `principal:gen`, everyone's: a group's permissions, a deleted group or permission;
* a fingerprint of SECRET_KEY and its fallbacks (the session hashes kept are made with them).

One read fetches the versions and the entry together (one round trip on Redis). An entry whose
stamp is not the current one is never served: it is read again from the database. Versions move
right away and again once the transaction commits, so a request that read the old rows before
the commit can only store them under a version nobody reads any more: a revoked permission does
not outlive the request that revoked it.

No password hash is cached: the restored user answers Django's session check from the session
hashes computed when the entry was made, and reads `password` from the database if asked.
"""

from __future__ import annotations

import secrets
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.crypto import salted_hmac

from integrations.models import GitHubAccount
from integrations.models.facebook import HOLDS_PAGE_PERMISSION

ENTRY_TTL_S = 300  # bounds the life of an entry whose invalidation Redis lost
VERSION_TTL_S = 7 * 24 * 3600
GENERATION_KEY = "principal:gen"
_ACCOUNT_SECRETS = frozenset({"access_token", "refresh_token"})
_USER_SECRETS = frozenset({"password"})


def _version_key(user_id) -> str:
    return f"principal:v:{user_id}"


def _entry_key(user_id) -> str:
    return f"principal:{user_id}"


def _new_version() -> str:
    return secrets.token_hex(8)


def _secrets_fingerprint() -> str:
    """Changes when SECRET_KEY or its fallbacks do: the cached session hashes depend on them."""
    return _fingerprint(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=4)
def _fingerprint(secret_key: str, fallbacks: tuple[str, ...]) -> str:
    keys = "\n".join([secret_key, *fallbacks])
    return salted_hmac("api.principal.secrets", keys, algorithm="sha256").hexdigest()[:16]


def get_principal(user_id, *, load):
    """The session user from the cache while its entry's stamp is current, else from
    `load(user_id)` (the database; None when it may not authenticate, never cached). Without a
    shared cache (settings.PRINCIPAL_CACHE off) always from the database."""
    if not settings.PRINCIPAL_CACHE:
        return load(user_id)
    version_key, entry_key = _version_key(user_id), _entry_key(user_id)
    found = cache.get_many([version_key, GENERATION_KEY, entry_key])
    stamp = (_current(version_key, found), _current(GENERATION_KEY, found),
             _secrets_fingerprint())
    entry = found.get(entry_key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp and entry.get("id") == user_id:
        return restore(entry)
    user = load(user_id)
    if user is not None:
        cache.set(entry_key, {**snapshot(user), "stamp": stamp}, ENTRY_TTL_S)
    return user


def _current(key: str, found: dict) -> str:
    """The version under `key`; a missing one (first use, evicted) is created."""
    version = found.get(key)
    if version is None:
        version = _new_version()
        if not cache.add(key, version, VERSION_TTL_S):
            version = cache.get(key) or version
    return version


def snapshot(user) -> dict:
    """What restores `user`: its columns and its account's, never a token or the password."""
    account = user._state.fields_cache.get("github_account")
    return {
        "id": user.pk,
        "user": _columns(user, _USER_SECRETS),
        "account": None if account is None else _columns(account, _ACCOUNT_SECRETS),
        "holds": getattr(user, HOLDS_PAGE_PERMISSION, None),
        "session_hashes": [user.get_session_auth_hash(),
                           *user.get_session_auth_fallback_hash()],
    }


def restore(entry: dict):
    """The user as the query would have loaded it: same columns, the account attached (its
    tokens deferred: read from the database on use), the Page flag set."""
    User = get_user_model()
    user = User.from_db(DEFAULT_DB_ALIAS, list(entry["user"]), list(entry["user"].values()))
    if entry["holds"] is not None:
        setattr(user, HOLDS_PAGE_PERMISSION, entry["holds"])
    account = None
    if entry["account"] is not None:
        columns = entry["account"]
        account = GitHubAccount.from_db(DEFAULT_DB_ALIAS, list(columns), list(columns.values()))
        account._state.fields_cache["user"] = user
    user._state.fields_cache["github_account"] = account
    current, *fallbacks = entry["session_hashes"]
    # Django's session check asks these; the password itself stays out of the cache.
    user.get_session_auth_hash = partial(_session_hash, user, current)
    user.get_session_auth_fallback_hash = partial(_fallback_hashes, user, tuple(fallbacks))
    return user


def _session_hash(user, cached: str) -> str:
    """The cached hash, until the password is read or set (a password change must sign the
    session with the new one)."""
    if "password" in user.__dict__:
        return type(user).get_session_auth_hash(user)
    return cached


def _fallback_hashes(user, cached: tuple[str, ...]):
    if "password" in user.__dict__:
        return type(user).get_session_auth_fallback_hash(user)
    return iter(cached)


def _columns(instance, left_out: frozenset[str]) -> dict:
    loaded = instance.__dict__
    return {field.attname: loaded[field.attname] for field in instance._meta.concrete_fields
            if field.attname not in left_out and field.attname in loaded}


def invalidate_user(user_id) -> None:
    """One user's principal is stale from now on (and again once the transaction commits)."""
    _bump(_version_key(user_id))


def invalidate_all() -> None:
    """Every principal is stale (a group's permissions changed, a permission was deleted)."""
    _bump(GENERATION_KEY)


def _bump(key: str, using: str = DEFAULT_DB_ALIAS) -> None:
    _set_version(key)
    connection = connections[using]
    if connection.in_atomic_block and not any(
            getattr(callback, "key", None) == key for _, callback, _ in connection.run_on_commit):
        # A request that read the old rows before the commit stored them under the version
        # just set: move it again once the new rows are visible (once per transaction).
        transaction.on_commit(_SetVersion(key), using=using)


class _SetVersion:
    """An on-commit callback that says which key it moves (one per key and transaction)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self) -> None:
        _set_version(self.key)


def _set_version(key: str) -> None:
    cache.set(key, _new_version(), VERSION_TTL_S)


# --- What moves the versions: every change that could alter a principal ---------------------

# Saved alone at every sign-in (Django's update_last_login); nothing a principal decides by.
_BOOKKEEPING_ONLY = frozenset({"last_login"})


def _user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= _BOOKKEEPING_ONLY:
        return
    invalidate_user(instance.pk)  # staff, active, superuser, password, name, deletion


def _account_changed(sender, instance, **kwargs) -> None:
    invalidate_user(instance.user_id)  # profile, scopes, token expiry, unlink


def _user_relation_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A user's groups or direct permissions, from either side (`user.groups.add(g)` or
    `group.user_set.add(u)`); a reverse `clear()` does not say whose, so everyone's."""
    if not action.startswith("post_"):
        return
    if not reverse:
        invalidate_user(instance.pk)
    elif pk_set is None:
        invalidate_all()
    else:
        for user_id in pk_set:
            invalidate_user(user_id)


def _shared_changed(sender, **kwargs) -> None:
    """A group's permissions, a group or a permission deleted or renamed: whose is unknown."""
    if kwargs.get("action", "post_").startswith("post_"):
        invalidate_all()


def connect_signals() -> None:
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    User = get_user_model()
    uid = "api.principal"
    post_save.connect(_user_changed, sender=User, dispatch_uid=uid)
    post_delete.connect(_user_changed, sender=User, dispatch_uid=uid)
    post_save.connect(_account_changed, sender=GitHubAccount, dispatch_uid=uid)
    post_delete.connect(_account_changed, sender=GitHubAccount, dispatch_uid=uid)
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(_user_relation_changed, sender=through, dispatch_uid=uid)
    m2m_changed.connect(_shared_changed, sender=Group.permissions.through, dispatch_uid=uid)
    for model in (Group, Permission):
        post_save.connect(_shared_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_shared_changed, sender=model, dispatch_uid=uid)
