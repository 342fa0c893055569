"""Test users, repositories and Pages. Read-only: per-run state lives in `state.Store`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class GitHubUser:
    login: str
    id: int
    name: str | None
    email: str | None  # the public profile address, often null
    emails: tuple[dict, ...]  # what /user/emails answers
    company: str | None = None
    blog: str = ""
    location: str | None = None
    bio: str | None = None
    public_repo_names: tuple[str, ...] = ()
    private_repo_names: tuple[str, ...] = ()
    created_at: str = "2011-01-25T18:44:36Z"


def _email(address: str, *, primary: bool, verified: bool, visibility: str | None) -> dict:
    return {"email": address, "primary": primary, "verified": verified, "visibility": visibility}


_LANGUAGES = ("Python", "JavaScript", "Go", "Rust", "Ruby", None, "TypeScript")
_OCTOCAT_REPOS = (  # 35 public repositories: two pages at per_page=30
    "Hello-World", "Spoon-Knife", "linguist", "octocat.github.io", "git-consortium",
    "hello-worId", "test-repo1", "boysenberry-repo-1", "oauth-demo", "dotfiles",
    *(f"sample-project-{n:02d}" for n in range(1, 26)),
)

GITHUB_USERS: dict[str, GitHubUser] = {
    user.login: user
    for user in (
        GitHubUser(
            login="octocat",
            id=583231,
            name="The Octocat",
            email="octocat@github.com",
            emails=(
                _email("octocat@github.com", primary=True, verified=True, visibility="public"),
                _email("583231+octocat@users.noreply.github.com", primary=False, verified=True,
                       visibility=None),
            ),
            company="@github",
            blog="https://github.blog",
            location="San Francisco",
            bio="There once was...",
            public_repo_names=_OCTOCAT_REPOS,
            private_repo_names=("secret-plans", "private-notes"),
        ),
        GitHubUser(
            login="mona",
            id=9919,
            name="Mona Lisa Octocat",
            email=None,
            emails=(
                _email("mona@example.com", primary=True, verified=True, visibility="private"),
                _email("mona-old@example.com", primary=False, verified=False, visibility=None),
            ),
            location="Paris",
            public_repo_names=("mona-lisa", "smile", "louvre-guide"),
            created_at="2013-04-02T09:12:00Z",
        ),
        GitHubUser(
            login="unverified",
            id=1000001,
            name="Una Verified",
            email=None,
            emails=(
                _email("unverified@example.com", primary=True, verified=False, visibility=None),
            ),
            created_at="2024-02-29T12:00:00Z",
        ),
    )
}


# Organisations (accounts an app can be installed on, not test users who sign in).
GITHUB_ORGS: dict[str, GitHubUser] = {
    org.login: org
    for org in (
        GitHubUser(login="mona-org", id=7770001, name="Mona's Organisation", email=None,
                   emails=(), public_repo_names=("gallery", "website"),
                   private_repo_names=("internal-notes",), created_at="2015-05-05T05:05:05Z"),
    )
}
# Who administers each organisation (and so sees its app installations).
GITHUB_ORG_ADMINS: dict[str, tuple[str, ...]] = {"mona-org": ("mona",)}


def github_account(login: str) -> GitHubUser | None:
    """A user or an organisation, by login (case-insensitive, like GitHub)."""
    for account in (*GITHUB_USERS.values(), *GITHUB_ORGS.values()):
        if account.login.lower() == login.lower():
            return account
    return None


def github_repo(user: GitHubUser, index: int, name: str, *, private: bool, api: str,
                web: str, avatar: str) -> dict:
    """A repository object shaped like GitHub's (enough fields for PyGithub and our client)."""
    repo_id = user.id * 1000 + index + (500 if private else 0)
    updated = datetime(2026, 6, 30, 12, 0, tzinfo=UTC) - timedelta(days=index * 3 + private)
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    full_name = f"{user.login}/{name}"
    return {
        "id": repo_id,
        "node_id": f"R_sandbox{repo_id}",
        "name": name,
        "full_name": full_name,
        "private": private,
        "owner": github_simple_user(user, api=api, web=web, avatar=avatar),
        "html_url": f"{web}/{full_name}",
        "description": None if index % 4 == 3 else f"Sandbox repository {name}",
        "fork": False,
        "url": f"{api}/repos/{full_name}",
        "homepage": None,
        "language": _LANGUAGES[index % len(_LANGUAGES)],
        "stargazers_count": (index * 37) % 1500,
        "watchers_count": (index * 37) % 1500,
        "forks_count": index % 9,
        "open_issues_count": index % 5,
        "default_branch": "main",
        "visibility": "private" if private else "public",
        "archived": False,
        "created_at": user.created_at,
        "updated_at": stamp,
        "pushed_at": stamp,
    }


def github_simple_user(user: GitHubUser, *, api: str, web: str, avatar: str) -> dict:
    """GitHub's "Simple User" schema, every required field (PROVIDERS.md A7 and A9)."""
    base = f"{api}/users/{user.login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": f"U_sandbox{user.id}",
        "avatar_url": avatar,
        "gravatar_id": "",
        "url": base,
        "html_url": f"{web}/{user.login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": "Organization" if user.login in GITHUB_ORGS else "User",
        "user_view_type": "public",
        "site_admin": False,
    }


@dataclass(frozen=True)
class FacebookPage:
    id: str
    name: str
    category: str
    category_id: str


@dataclass(frozen=True)
class FacebookUser:
    id: str  # app-scoped ids are strings
    key: str  # the short name used by the consent form and the control API
    name: str
    email: str | None
    pages: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())  # (page id, tasks)


FULL_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
EDITOR_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT")
ANALYST_TASKS = ("ANALYZE",)

FACEBOOK_PAGES: dict[str, FacebookPage] = {
    page.id: page
    for page in (
        FacebookPage("1000000000000101", "Alex's Bakery", "Bakery", "2218"),
        FacebookPage("1000000000000102", "Alex Photography", "Photographer", "2208"),
        FacebookPage("1000000000000201", "Sam's Garage", "Automotive Repair Shop", "2193"),
        FacebookPage("1000000000000301", "Robin Runs", "Sports Club", "2245"),
        FacebookPage("1000000000000302", "City Marathon Stats", "Sports & Recreation", "2248"),
    )
}

FACEBOOK_USERS: dict[str, FacebookUser] = {
    user.key: user
    for user in (
        FacebookUser(
            id="112233445566778", key="alex", name="Alex Admin", email="alex@example.com",
            pages=(("1000000000000101", FULL_TASKS), ("1000000000000102", EDITOR_TASKS)),
        ),
        FacebookUser(
            id="223344556677889", key="sam", name="Sam Single", email=None,
            pages=(("1000000000000201", FULL_TASKS),),
        ),
        # Robin can post to one Page and only read insights of the other (task filtering).
        FacebookUser(
            id="334455667788990", key="robin", name="Robin Analyst", email="robin@example.com",
            pages=(("1000000000000301", FULL_TASKS), ("1000000000000302", ANALYST_TASKS)),
        ),
    )
}

FACEBOOK_USERS_BY_ID: dict[str, FacebookUser] = {user.id: user for user in FACEBOOK_USERS.values()}

FACEBOOK_PERMISSIONS = frozenset({
    "public_profile", "email", "openid", "pages_show_list", "pages_read_engagement",
    "pages_manage_posts", "pages_manage_metadata", "pages_manage_engagement",
    "pages_read_user_content", "business_management", "read_insights",
    "instagram_basic", "instagram_content_publish",
})

# Instagram professional accounts linked to Pages: one Page has one, the others none.
INSTAGRAM_ACCOUNTS: dict[str, tuple[str, str]] = {
    "1000000000000201": ("17841400000000201", "samsgarage"),  # page id: (ig user id, username)
}
INSTAGRAM_PAGES: dict[str, str] = {ig: page for page, (ig, _) in INSTAGRAM_ACCOUNTS.items()}

# GitHub scopes that imply others (a request for `user,user:email` is stored as `user`).
GITHUB_IMPLIED_SCOPES: dict[str, frozenset[str]] = {
    "repo": frozenset({"repo:status", "repo_deployment", "public_repo", "repo:invite",
                       "security_events"}),
    "user": frozenset({"read:user", "user:email", "user:follow"}),
    "admin:org": frozenset({"write:org", "read:org", "manage_runners:org"}),
    "write:org": frozenset({"read:org"}),
    "admin:public_key": frozenset({"write:public_key", "read:public_key"}),
    "write:public_key": frozenset({"read:public_key"}),
    "admin:repo_hook": frozenset({"write:repo_hook", "read:repo_hook"}),
    "write:repo_hook": frozenset({"read:repo_hook"}),
    "admin:gpg_key": frozenset({"write:gpg_key", "read:gpg_key"}),
    "write:gpg_key": frozenset({"read:gpg_key"}),
    "write:packages": frozenset({"read:packages"}),
}
GITHUB_SCOPES = frozenset(
    {"gist", "notifications", "workflow", "delete_repo", "admin:org_hook", "codespace",
     "project", "read:project", "admin:enterprise", "delete:packages", "read:audit_log"}
    | set(GITHUB_IMPLIED_SCOPES)
    | set().union(*GITHUB_IMPLIED_SCOPES.values())
)


def normalize_github_scopes(requested: list[str]) -> tuple[str, ...]:
    """Known scopes in request order, without duplicates or scopes implied by another."""
    wanted = [scope for scope in dict.fromkeys(requested) if scope in GITHUB_SCOPES]
    implied = set().union(*(GITHUB_IMPLIED_SCOPES.get(scope, frozenset()) for scope in wanted))
    return tuple(scope for scope in wanted if scope not in implied)
