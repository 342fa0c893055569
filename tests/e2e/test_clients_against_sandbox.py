"""The real provider clients complete full OAuth exchanges against the running sandbox.

No Django views here: the clients speak HTTP to the sandbox process, the consent pages are
driven by the fixture's form helpers.
"""

import base64
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import (
    AuthorizationFailed,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.facebook import FacebookClient
from integrations.github import GitHubClient
from integrations.http import build_session
from tests.fixtures.sandbox import TEST_CREDENTIALS

pytestmark = pytest.mark.e2e

GH_REDIRECT = "https://app.example.test/auth/github/callback"
FB_REDIRECT = "https://app.example.test/facebook/callback"
GH_SCOPES = ["read:user", "user:email"]
FB_SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]


@pytest.fixture
def sandbox_clean(sandbox):
    sandbox.reset()
    sandbox.register_redirect_uri("github", GH_REDIRECT)
    sandbox.register_redirect_uri("facebook", FB_REDIRECT)
    return sandbox


@pytest.fixture
def github(sandbox_clean):
    client = GitHubClient(
        TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_ID"],
        TEST_CREDENTIALS["SANDBOX_GITHUB_CLIENT_SECRET"],
        web_url=sandbox_clean.github_url, api_url=sandbox_clean.github_api_url,
        session=build_session(backoff_s=0), timeout_s=(2.0, 1.0),
    )
    yield client
    client.close()


@pytest.fixture
def facebook(sandbox_clean):
    client = FacebookClient(
        TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_ID"],
        TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_SECRET"],
        web_url=sandbox_clean.facebook_url, graph_url=sandbox_clean.graph_url,
        session=build_session(backoff_s=0), timeout_s=(2.0, 1.0),
    )
    yield client
    client.close()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def github_code(sandbox, github, user="octocat") -> tuple[str, str]:
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(16)
    url = github.authorize_url(state, challenge, GH_REDIRECT, GH_SCOPES)
    result = sandbox.github_consent(url, user=user)
    assert result["state"] == state
    return result["code"], verifier


def facebook_code(sandbox, facebook, user="alex") -> str:
    state = secrets.token_urlsafe(16)
    result = sandbox.facebook_consent(facebook.dialog_url(state, FB_REDIRECT, FB_SCOPES), user=user)
    assert result["state"] == state
    return result["code"]


# --- GitHub ----------------------------------------------------------------------------------


def test_github_full_exchange_profile_emails_repos_check_and_revoke(sandbox_clean, github):
    code, verifier = github_code(sandbox_clean, github)
    token = github.exchange_code(code, GH_REDIRECT, verifier)
    assert token.access_token
    assert "user:email" in token.scopes or "user" in token.scopes

    with ThreadPoolExecutor(max_workers=2) as pool:  # as the sign-in service does
        profile = pool.submit(github.get_profile, token.access_token)
        email = pool.submit(github.get_primary_verified_email, token.access_token)
    assert (profile.result().id, profile.result().login) == (583231, "octocat")
    assert email.result() == "octocat@github.com"

    first = github.list_repos(token.access_token, page=1)
    assert first.repos and first.page == 1
    if first.has_next:
        second = github.list_repos(token.access_token, page=2)
        assert {r.id for r in second.repos}.isdisjoint({r.id for r in first.repos})

    check = github.check_token(token.access_token)
    assert check.valid is True

    github.revoke_grant(token.access_token)
    assert github.check_token(token.access_token).valid is False
    with pytest.raises(TokenInvalid):
        github.get_profile(token.access_token)
    github.revoke_grant(token.access_token)  # already gone: still fine

    for entry in sandbox_clean.requests("github.user"):
        assert entry["headers"].get("Authorization", "").startswith("Bearer ")
        assert entry["headers"].get("X-GitHub-Api-Version") == "2022-11-28"


def test_github_primary_verified_email_for_mona_and_unverified(sandbox_clean, github):
    code, verifier = github_code(sandbox_clean, github, user="mona")
    mona = github.exchange_code(code, GH_REDIRECT, verifier)
    assert github.get_profile(mona.access_token).email is None
    assert github.get_primary_verified_email(mona.access_token) == "mona@example.com"

    code, verifier = github_code(sandbox_clean, github, user="unverified")
    other = github.exchange_code(code, GH_REDIRECT, verifier)
    assert github.get_primary_verified_email(other.access_token) is None


def test_github_code_is_single_use_and_needs_the_verifier(sandbox_clean, github):
    code, verifier = github_code(sandbox_clean, github)
    with pytest.raises(AuthorizationFailed):
        github.exchange_code(code, GH_REDIRECT, "wrong-" + verifier)
    code, verifier = github_code(sandbox_clean, github)
    github.exchange_code(code, GH_REDIRECT, verifier)
    with pytest.raises(AuthorizationFailed) as info:
        github.exchange_code(code, GH_REDIRECT, verifier)
    assert info.value.provider_code == "bad_verification_code"


def test_github_exchange_is_not_retried_but_api_gets_are(sandbox_clean, github):
    code, verifier = github_code(sandbox_clean, github)
    sandbox_clean.fault("github.token", "5xx", status=502)
    with pytest.raises(ProviderUnavailable):
        github.exchange_code(code, GH_REDIRECT, verifier)
    assert len(sandbox_clean.requests("github.token")) == 1

    token = github.exchange_code(code, GH_REDIRECT, verifier)  # the code was never used
    sandbox_clean.fault("github.user", "5xx", status=503)
    assert github.get_profile(token.access_token).login == "octocat"
    assert len(sandbox_clean.requests("github.user")) == 2


@pytest.mark.parametrize("kind,expected", [
    ("timeout", ProviderTimeout),
    ("html", ProviderUnavailable),
    ("rate_limit", ProviderRateLimited),
    ("invalid_token", TokenInvalid),
])
def test_github_api_faults_become_typed_errors(sandbox_clean, github, kind, expected):
    code, verifier = github_code(sandbox_clean, github)
    token = github.exchange_code(code, GH_REDIRECT, verifier)
    sandbox_clean.fault("github.user", kind, count=5, seconds=1.5)
    with pytest.raises(expected):
        github.get_profile(token.access_token)


# --- Facebook --------------------------------------------------------------------------------


def test_facebook_full_exchange_pages_post_and_revoke(sandbox_clean, facebook):
    sandbox_clean.config(facebook_require_appsecret_proof=True)
    code = facebook_code(sandbox_clean, facebook)
    short = facebook.exchange_code(code, FB_REDIRECT)
    token = facebook.extend_token(short.access_token)
    assert token.expires_at is not None

    info = facebook.debug_token(token.access_token)
    assert info.is_valid and info.app_id == TEST_CREDENTIALS["SANDBOX_FACEBOOK_APP_ID"]
    me = facebook.get_me(token.access_token)
    assert info.user_id == me.id and me.name

    pages = facebook.list_pages(token.access_token)
    assert len(pages) == 2 and all(p.access_token for p in pages)
    bakery = next(p for p in pages if "CREATE_CONTENT" in p.tasks)
    page_token = facebook.get_page_token(token.access_token, bakery.id)
    page_info = facebook.debug_token(page_token)
    assert page_info.is_valid and page_info.type == "PAGE" and page_info.profile_id == bakery.id

    posted = facebook.publish_to_page(bakery.id, page_token, "Fresh bread", "https://example.com/")
    later = facebook.publish_to_page(
        bakery.id, page_token, "Tomorrow", scheduled_at=datetime.now(UTC) + timedelta(days=1)
    )
    assert posted.id.startswith(bakery.id) and not posted.scheduled and later.scheduled
    assert len(sandbox_clean.posts()) == 2

    for entry in sandbox_clean.requests("facebook.me"):
        assert entry["query"].get("appsecret_proof") and "access_token" not in entry["query"]

    facebook.revoke(token.access_token)
    assert facebook.debug_token(token.access_token).is_valid is False
    with pytest.raises(TokenInvalid):
        facebook.get_me(token.access_token)


def test_facebook_sam_manages_exactly_one_page(sandbox_clean, facebook):
    token = facebook.exchange_code(facebook_code(sandbox_clean, facebook, "sam"), FB_REDIRECT)
    assert len(facebook.list_pages(token.access_token)) == 1


def test_facebook_code_reuse_and_redirect_mismatch(sandbox_clean, facebook):
    code = facebook_code(sandbox_clean, facebook)
    with pytest.raises(AuthorizationFailed) as mismatch:
        facebook.exchange_code(code, FB_REDIRECT + "/other")
    assert mismatch.value.provider_code.startswith("360")
    code = facebook_code(sandbox_clean, facebook)
    facebook.exchange_code(code, FB_REDIRECT)
    with pytest.raises(AuthorizationFailed) as reused:
        facebook.exchange_code(code, FB_REDIRECT)
    assert reused.value.provider_code.startswith("360")


def test_facebook_page_post_is_never_retried(sandbox_clean, facebook):
    token = facebook.exchange_code(facebook_code(sandbox_clean, facebook, "sam"), FB_REDIRECT)
    page = facebook.list_pages(token.access_token)[0]
    sandbox_clean.fault("facebook.feed", "5xx", status=502)
    with pytest.raises(ProviderUnavailable):
        facebook.publish_to_page(page.id, page.access_token, "Once only")
    assert len(sandbox_clean.requests("facebook.feed")) == 1


@pytest.mark.parametrize("kind,expected", [
    ("timeout", ProviderTimeout),
    ("html", ProviderUnavailable),
    ("rate_limit", ProviderRateLimited),
    ("invalid_token", TokenInvalid),
])
def test_facebook_graph_faults_become_typed_errors(sandbox_clean, facebook, kind, expected):
    token = facebook.exchange_code(facebook_code(sandbox_clean, facebook), FB_REDIRECT)
    sandbox_clean.fault("facebook.me", kind, count=5, seconds=1.5)
    with pytest.raises(expected):
        facebook.get_me(token.access_token)


def test_facebook_signed_request_from_the_sandbox_verifies(sandbox_clean, facebook):
    value = sandbox_clean.signed_request("112233445566778")
    assert facebook.parse_signed_request(value)["user_id"] == "112233445566778"
