"""In-memory sandbox state, guarded by one lock. Lost on reset, and on restart unless the sandbox
runs with `--state-file` (persistence.py keeps the tokens and posts there)."""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from integrations.sandbox.config import SandboxConfig

ALNUM = string.ascii_letters + string.digits
REQUEST_LOG_LIMIT = 2000
FAULT_KINDS = ("timeout", "5xx", "html", "rate_limit", "invalid_token",
               # Instagram (see instagram.py): the next container fails or expires, the
               # publishing quota reads as used up.
               "container_error", "container_expired", "quota_exhausted")


def random_string(length: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class GitHubCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    login: str
    scopes: tuple[str, ...]
    offline: bool
    issued_at: float
    used: bool = False


@dataclass
class GitHubToken:
    token: str
    kind: str  # "access" or "refresh"
    client_id: str
    login: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    id: int
    revoked: bool = False
    partner: str | None = None  # the refresh token of an access token, and vice versa


@dataclass
class FacebookCode:
    code: str
    app_id: str
    redirect_uri: str
    user_key: str
    scopes: tuple[str, ...]
    declined: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class FacebookToken:
    token: str
    type: str  # USER, PAGE or APP
    app_id: str
    user_key: str | None
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None  # 0 = never (long-lived Page tokens); None for APP tokens
    data_access_expires_at: float | None
    long_lived: bool = False
    page_id: str | None = None
    parent: str | None = None  # the user token a Page token was derived from
    revoked: bool = False


@dataclass
class AppInstallation:
    """An installation of the sandbox's GitHub App on a user or an organisation."""

    id: int
    account: str  # login
    repositories: list[str]  # canonical owner/name
    selection: str  # "all" or "selected"
    created_at: float
    sender: str
    suspended_at: float | None = None
    deleted: bool = False


@dataclass
class InstallationToken:
    token: str
    installation_id: int
    expires_at: float


@dataclass
class Fault:
    endpoint: str
    kind: str
    remaining: int
    options: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "kind": self.kind, "remaining": self.remaining,
                **self.options}


@dataclass
class Post:
    id: str
    page_id: str
    message: str | None
    link: str | None
    published: bool
    scheduled_publish_time: int | None
    created_time: float
    token_user: str | None
    photo_id: str | None = None  # a photo post (POST /{page-id}/photos)
    image_bytes: int | None = None  # the size of the image fetched for it


@dataclass
class Hook:
    """A repository webhook (github_hooks)."""

    id: int
    repo: str  # canonical full_name, e.g. octocat/Hello-World
    url: str
    secret: str
    content_type: str
    events: tuple[str, ...]
    active: bool
    created_at: str


@dataclass
class Store:
    """All mutable state. Handlers take `lock` around every read-modify-write."""

    config: SandboxConfig
    initial_config: SandboxConfig = field(init=False)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock_offset_s: float = 0.0
    latency_ms: int = 0
    github_codes: dict[str, GitHubCode] = field(default_factory=dict)
    github_tokens: dict[str, GitHubToken] = field(default_factory=dict)
    github_grants: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    github_rate_used: dict[str, tuple[int, int]] = field(default_factory=dict)
    facebook_codes: dict[str, FacebookCode] = field(default_factory=dict)
    facebook_tokens: dict[str, FacebookToken] = field(default_factory=dict)
    facebook_page_tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    facebook_declined: dict[str, set[str]] = field(default_factory=dict)
    facebook_calls: deque = field(default_factory=deque)
    posts: list[Post] = field(default_factory=list)
    instagram_containers: dict[str, Any] = field(default_factory=dict)  # instagram.Container
    instagram_media: list[Any] = field(default_factory=list)  # instagram.Media, oldest first
    github_hooks: dict[int, Hook] = field(default_factory=dict)
    github_deliveries: dict[str, Any] = field(default_factory=dict)  # github_hooks.Delivery
    github_installations: dict[int, AppInstallation] = field(default_factory=dict)
    github_installation_tokens: dict[str, InstallationToken] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: deque = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.initial_config = self.config.copy()

    # The clock is shifted through the control API so expiry can be tested without sleeping.
    def now(self) -> float:
        return time.time() + self.clock_offset_s

    def next_id(self) -> int:
        return next(self._ids)

    def reset(self) -> None:
        with self.lock:
            config = self.initial_config.copy()
            fresh = Store(config=config)
            fresh.initial_config = self.initial_config
            for name in self.__dataclass_fields__:
                if name not in ("lock", "initial_config"):
                    setattr(self, name, getattr(fresh, name))

    # --- faults ---------------------------------------------------------------------------
    def add_fault(self, endpoint: str, kind: str, count: int, options: dict[str, Any]) -> Fault:
        fault = Fault(endpoint=endpoint, kind=kind, remaining=count, options=options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, endpoint: str) -> Fault | None:
        """The first pending fault for this endpoint, counted down by one call."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint == endpoint and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # --- request log ----------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    def logged(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.requests if endpoint in (None, e["endpoint"])]
