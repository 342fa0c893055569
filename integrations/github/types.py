"""What the GitHub client answers: frozen values, never `Response` objects or raw dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class GitHubToken:
    access_token: str = field(repr=False)
    token_type: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    refresh_token: str | None = field(repr=False)
    refresh_token_expires_at: datetime | None


@dataclass(frozen=True)
class GitHubProfile:
    id: int
    login: str
    name: str | None
    avatar_url: str | None
    html_url: str | None
    email: str | None  # the public profile e-mail: never used to match accounts
    company: str | None
    location: str | None
    bio: str | None
    # What the /user answer's headers say about the token that read it (A7): the scopes it
    # holds (None: no `X-OAuth-Scopes` header, e.g. a GitHub App token) and when it expires.
    token_scopes: tuple[str, ...] | None = None
    token_expires_at: datetime | None = None


@dataclass(frozen=True)
class GitHubRepo:
    id: int
    name: str
    full_name: str
    html_url: str
    description: str | None
    private: bool
    language: str | None
    stargazers_count: int
    updated_at: datetime | None


@dataclass(frozen=True)
class RepoPage:
    repos: tuple[GitHubRepo, ...]
    page: int
    has_next: bool


@dataclass(frozen=True)
class RepoHook:
    """A repository webhook as GitHub reports it (its secret is never sent back)."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class InstallationToken:
    """A GitHub App installation token: one hour of access, never stored in the database."""

    token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class AppInstallation:
    """An installation of the app, as GitHub (not a setup URL) describes it."""

    id: int
    account_login: str
    account_id: int
    account_type: str  # "User" or "Organization"
    repository_selection: str  # "all" or "selected"
    suspended: bool
