"""The sandbox's state in a file, so a restarted sandbox still knows the tokens it issued.

`make run` passes `--state-file` (under its run directory): the backend's database keeps the
GitHub and Facebook tokens across a restart, and without this the sandbox would answer them as
invalid ("Missing permissions: …" on /facebook) although nothing was revoked. Kept: issued
tokens and grants, Page tokens, declined permissions, Page posts, repository hooks, the GitHub
App's installations (not its tokens: minted again), the shifted clock and the runtime config
knobs. Not kept: unused authorization codes (minutes-long anyway),
the request log, pending faults, latency, rate-limit counters and recorded webhook deliveries.
JSON, written atomically after each request that may have changed it, and on shutdown.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from integrations.sandbox.config import RUNTIME_KEYS
from integrations.sandbox.state import (
    AppInstallation,
    FacebookToken,
    GitHubToken,
    Hook,
    Post,
    Store,
)

VERSION = 1


def _load(cls: type, values: dict[str, Any]) -> Any:
    """A dataclass from its `asdict`, with the tuples JSON turned into lists turned back."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return cls(**{name: tuple(value) if isinstance(value, list)
                  and str(fields[name].type).startswith("tuple") else value
                  for name, value in values.items() if name in fields})


def snapshot(store: Store) -> dict[str, Any]:
    with store.lock:
        next_id = next(store._ids)
        store._ids = itertools.count(next_id)  # peeked, not used up
        return {
            "version": VERSION,
            "next_id": next_id,
            "clock_offset_s": store.clock_offset_s,
            "config": {key: getattr(store.config, key) for key in RUNTIME_KEYS},
            "github_tokens": [dataclasses.asdict(t) for t in store.github_tokens.values()],
            "github_grants": [[client, login, list(scopes)]
                              for (client, login), scopes in store.github_grants.items()],
            "facebook_tokens": [dataclasses.asdict(t) for t in store.facebook_tokens.values()],
            "facebook_page_tokens": [[parent, page, token] for (parent, page), token
                                     in store.facebook_page_tokens.items()],
            "facebook_declined": {user: sorted(scopes)
                                  for user, scopes in store.facebook_declined.items()},
            "posts": [dataclasses.asdict(p) for p in store.posts],
            "github_hooks": [dataclasses.asdict(h) for h in store.github_hooks.values()],
            "github_installations": [dataclasses.asdict(i)
                                     for i in store.github_installations.values()],
        }


def restore(store: Store, data: dict[str, Any]) -> None:
    if data.get("version") != VERSION:
        raise ValueError(f"unknown sandbox state version {data.get('version')!r}")
    with store.lock:
        store._ids = itertools.count(int(data["next_id"]))
        store.clock_offset_s = float(data["clock_offset_s"])
        store.config.update({k: v for k, v in data["config"].items() if k in RUNTIME_KEYS})
        store.github_tokens = {t["token"]: _load(GitHubToken, t) for t in data["github_tokens"]}
        store.github_grants = {(client, login): tuple(scopes)
                               for client, login, scopes in data["github_grants"]}
        store.facebook_tokens = {t["token"]: _load(FacebookToken, t)
                                 for t in data["facebook_tokens"]}
        store.facebook_page_tokens = {(parent, page): token
                                      for parent, page, token in data["facebook_page_tokens"]}
        store.facebook_declined = {user: set(scopes)
                                   for user, scopes in data["facebook_declined"].items()}
        store.posts = [_load(Post, p) for p in data["posts"]]
        store.github_hooks = {h["id"]: _load(Hook, h) for h in data["github_hooks"]}
        store.github_installations = {i["id"]: _load(AppInstallation, i)
                                      for i in data.get("github_installations", [])}


class StateFile:
    """Loads the store from `path` at start and saves it there (mode 0600: tokens)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._saved: str | None = None

    def load_into(self, store: Store) -> bool:
        """True if an earlier state was restored; a missing file is a fresh start."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return False
        restore(store, json.loads(text))
        self._saved = text
        return True

    def save(self, store: Store) -> None:
        with self._lock:  # around the snapshot too: an older one is never written last
            text = json.dumps(snapshot(store), sort_keys=True)
            if text == self._saved:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sandbox-state-")
            with os.fdopen(fd, "w") as out:  # mkstemp's file is 0600 already
                out.write(text)
            os.replace(tmp, self.path)
            self._saved = text
