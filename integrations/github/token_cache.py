"""Installation tokens, shared by every process: one mint per installation per hour.

A small object with one job (EXAMPLES-ROUND3 §1). Tokens live in the shared cache (Redis in
production), sealed by the caller's `seal`/`unseal` (Fernet), until ~5 minutes before GitHub's
`expires_at`; never in the database, task arguments or logs. A miss takes a short lock in the
cache (`add`, atomic in Redis and in the in-memory cache), re-reads, and mints only if the
entry is still stale, so 20 concurrent jobs make one mint; the others wait for the entry.
A failed early refresh keeps serving the old token until its real expiry. Plain Python: the
cache is anything with Django's `get`/`set`/`add`/`delete`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from integrations.errors import ProviderError, ProviderUnavailable
from integrations.github.errors import AppAuthFailed, InstallationNotFound, InstallationSuspended
from integrations.github.types import InstallationToken

logger = logging.getLogger(__name__)

# Refusals that make a still-valid cached token worthless too: GitHub revoked it.
FINAL_REFUSALS = (InstallationNotFound, InstallationSuspended, AppAuthFailed)


class SharedCache(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...
    def add(self, key: str, value: Any, timeout: float | None = None) -> bool: ...
    def delete(self, key: str) -> Any: ...


class Minter(Protocol):
    def mint_installation_token(self, installation_id: int) -> InstallationToken: ...


@dataclass(frozen=True)
class _Cached:
    token: str
    expires_at: float  # unix seconds, GitHub's


class InstallationTokenCache:
    """`token(installation_id)`: a valid installation token, minted at most once at a time."""

    refresh_margin_s = 300  # mint again this long before GitHub's expires_at
    lock_timeout_s = 20  # a minter that died frees the lock after this
    wait_s = 15.0  # how long a caller waits for another process's mint
    poll_s = 0.05
    clock: Callable[[], float] = staticmethod(time.time)  # test seams
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, minter: Minter, cache: SharedCache, *, namespace: str,
                 seal: Callable[[str], str] = str, unseal: Callable[[str], str] = str) -> None:
        self.minter = minter
        self.cache = cache
        self.namespace = namespace  # e.g. the app id: two apps never share an entry
        self._seal, self._unseal = seal, unseal

    def token(self, installation_id: int) -> str:
        cached = self._read(installation_id)
        if cached is not None and self._fresh(cached):
            return cached.token
        return self._refresh(installation_id, cached)

    def forget(self, installation_id: int) -> None:
        """Drop the cached token (the installation was suspended or deleted)."""
        self.cache.delete(self._key(installation_id))

    def _refresh(self, installation_id: int, stale: _Cached | None) -> str:
        deadline = time.monotonic() + self.wait_s
        lock_key, owner = self._key(installation_id) + ":lock", secrets.token_hex(8)
        unseen = 0  # lock refused yet not there: the cache is down (it fails open)
        while True:
            if self.cache.add(lock_key, owner, timeout=self.lock_timeout_s):
                try:
                    return self._mint_locked(installation_id, stale)
                finally:
                    # Not compare-and-delete: a mint outliving lock_timeout_s is already
                    # an outage, and the worst case is one extra mint.
                    if self.cache.get(lock_key) == owner:
                        self.cache.delete(lock_key)
            unseen = unseen + 1 if self.cache.get(lock_key) is None else 0
            if unseen >= 3:
                logger.warning("installation %s: cache unavailable, minting unshared",
                               installation_id)
                return self.minter.mint_installation_token(installation_id).token
            self.sleep(self.poll_s)
            current = self._read(installation_id)
            if current is not None and self._fresh(current):
                return current.token
            if time.monotonic() >= deadline:
                if stale is not None and self._valid(stale):
                    return stale.token
                raise ProviderUnavailable("Another worker is fetching GitHub's installation "
                                          "token; try again in a moment.", provider="github")

    def _mint_locked(self, installation_id: int, stale: _Cached | None) -> str:
        current = self._read(installation_id)
        if current is not None and self._fresh(current):
            return current.token  # minted while we waited for the lock
        try:
            minted = self.minter.mint_installation_token(installation_id)
        except FINAL_REFUSALS:
            self.forget(installation_id)
            raise
        except ProviderError:
            if stale is not None and self._valid(stale):
                logger.warning("installation %s: early token refresh failed, using the "
                               "current token until it expires", installation_id)
                return stale.token
            raise
        self._write(installation_id, minted)
        logger.info("installation %s: token minted", installation_id)
        return minted.token

    def _read(self, installation_id: int) -> _Cached | None:
        entry = self.cache.get(self._key(installation_id))
        if not isinstance(entry, dict):
            return None
        try:
            return _Cached(self._unseal(entry["token"]), float(entry["expires_at"]))
        except Exception:  # unreadable (a rotated key, an old shape): mint a new one
            return None

    def _write(self, installation_id: int, minted: InstallationToken) -> None:
        expires_at = minted.expires_at.astimezone(UTC).timestamp()
        ttl = expires_at - self.clock()
        if ttl <= 1:
            return
        self.cache.set(self._key(installation_id),
                       {"token": self._seal(minted.token), "expires_at": expires_at},
                       timeout=ttl)

    def _fresh(self, cached: _Cached) -> bool:
        return cached.expires_at - self.refresh_margin_s > self.clock()

    def _valid(self, cached: _Cached) -> bool:
        return cached.expires_at - 10 > self.clock()

    def _key(self, installation_id: int) -> str:
        return f"github-app:{self.namespace}:installation-token:{int(installation_id)}"
