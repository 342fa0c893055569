"""GitHubClient against `responses`: what is sent (matchers) and how every answer is read."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers

from integrations.errors import (
    AuthorizationFailed,
    BadProviderResponse,
    PermissionMissing,
    ProviderError,
    ProviderMisconfigured,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.github import GitHubProfile, GitHubToken, TokenCheck

from .conftest import GH_API, GH_CLIENT_ID, GH_SECRET, GH_WEB, NOW

TOKEN_URL = f"{GH_WEB}/login/oauth/access_token"
TOKEN = "gho_SENTINELACCESS"
REFRESH = "ghr_SENTINELREFRESH"
CODE = "SENTINELCODE"
VERIFIER = "SENTINELVERIFIER-" + "v" * 30
REDIRECT = "https://app.test/auth/github/callback"
BASIC = "Basic " + base64.b64encode(f"{GH_CLIENT_ID}:{GH_SECRET}".encode()).decode()
REST_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "X-GitHub-Api-Version": "2022-11-28",
    "Accept": "application/vnd.github+json",
}


def rest(path):
    return f"{GH_API}{path}"


def all_text(exc):
    return f"{exc} {exc!r} {exc.message} {exc.args}"


# --- authorize_url ---------------------------------------------------------------------------


def test_authorize_url_carries_pkce_state_and_space_separated_scopes(github_client):
    url = github_client.authorize_url(
        "st4te", "chall3nge", REDIRECT, ["read:user", "user:email"], login="octocat",
        allow_signup=False,
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{GH_WEB}/login/oauth/authorize"
    assert "scope=read%3Auser%20user%3Aemail" in parts.query  # %20, not +
    assert parse_qs(parts.query) == {
        "client_id": [GH_CLIENT_ID],
        "redirect_uri": [REDIRECT],
        "scope": ["read:user user:email"],
        "state": ["st4te"],
        "code_challenge": ["chall3nge"],
        "code_challenge_method": ["S256"],
        "allow_signup": ["false"],
        "login": ["octocat"],
    }
    assert GH_SECRET not in url


def test_authorize_url_defaults_allow_signup_and_omits_login(github_client):
    query = parse_qs(urlsplit(github_client.authorize_url("s", "c", REDIRECT, [])).query)
    assert query["allow_signup"] == ["true"]
    assert "login" not in query


def test_authorize_url_without_challenge_sends_no_pkce_params(github_client):
    query = parse_qs(urlsplit(github_client.authorize_url("s", None, REDIRECT, ["x"])).query)
    assert "code_challenge" not in query and "code_challenge_method" not in query


def test_exchange_code_without_verifier_omits_it(github_client, rsps):
    rsps.post(TOKEN_URL, match=[matchers.urlencoded_params_matcher({
        "client_id": GH_CLIENT_ID, "client_secret": GH_SECRET, "code": CODE,
        "redirect_uri": REDIRECT,
    })], json={"access_token": TOKEN})
    assert github_client.exchange_code(CODE, REDIRECT, None).access_token == TOKEN


# --- exchange_code / refresh -----------------------------------------------------------------


def test_exchange_code_posts_the_form_with_verifier_and_reads_string_numbers(github_client, rsps):
    rsps.post(TOKEN_URL, match=[
        matchers.urlencoded_params_matcher({
            "client_id": GH_CLIENT_ID, "client_secret": GH_SECRET, "code": CODE,
            "redirect_uri": REDIRECT, "code_verifier": VERIFIER,
        }),
        matchers.header_matcher({"Accept": "application/json"}),
        matchers.query_string_matcher(""),
    ], json={
        "access_token": TOKEN, "token_type": "bearer", "scope": "repo,gist, user:email",
        "expires_in": "28800", "refresh_token": REFRESH, "refresh_token_expires_in": 15897600,
        "unexpected": "extra fields are fine",
    })
    token = github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert token == GitHubToken(
        access_token=TOKEN, token_type="bearer", scopes=("repo", "gist", "user:email"),
        expires_at=NOW + timedelta(hours=8), refresh_token=REFRESH,
        refresh_token_expires_at=NOW + timedelta(seconds=15897600),
    )
    assert token.expires_at.tzinfo is UTC


def test_exchange_code_non_expiring_token_has_no_expiry(github_client, rsps):
    rsps.post(TOKEN_URL, json={"access_token": TOKEN, "scope": "", "token_type": "bearer"})
    token = github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert token.scopes == () and token.expires_at is None and token.refresh_token is None


@pytest.mark.parametrize("error", [
    "bad_verification_code", "incorrect_client_credentials", "redirect_uri_mismatch",
    "unverified_user_email",
])
def test_exchange_code_200_with_error_is_authorization_failed(github_client, rsps, error):
    rsps.post(TOKEN_URL, status=200, json={
        "error": error, "error_description": f"about {CODE}", "error_uri": "https://docs",
        "access_token": TOKEN,  # even if present: error wins
    })
    with pytest.raises(AuthorizationFailed) as info:
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert info.value.provider_code == error
    assert CODE not in all_text(info.value) and TOKEN not in all_text(info.value)


def test_exchange_code_without_access_token_is_bad_response(github_client, rsps):
    rsps.post(TOKEN_URL, json={"token_type": "bearer"})
    with pytest.raises(BadProviderResponse):
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)


def test_exchange_code_unreadable_expiry_is_bad_response(github_client, rsps):
    rsps.post(TOKEN_URL, json={"access_token": TOKEN, "expires_in": "eight hours"})
    with pytest.raises(BadProviderResponse):
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_exchange_code_is_never_retried(github_client, rsps, status):
    rsps.post(TOKEN_URL, status=status, body="bad gateway")
    with pytest.raises(ProviderUnavailable):
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert len(rsps.calls) == 1


def test_exchange_code_timeout(github_client, rsps):
    rsps.post(TOKEN_URL, body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert len(rsps.calls) == 1


def test_exchange_code_html_body_is_unavailable(github_client, rsps):
    rsps.post(TOKEN_URL, body="<html><body>Unicorn</body></html>", content_type="text/html")
    with pytest.raises(ProviderUnavailable):
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)


def test_exchange_code_rate_limited(github_client, rsps):
    rsps.post(TOKEN_URL, status=429, headers={"Retry-After": "42"}, json={"message": "slow"})
    with pytest.raises(ProviderRateLimited) as info:
        github_client.exchange_code(CODE, REDIRECT, VERIFIER)
    assert info.value.retry_after_s == 42


def test_refresh_sends_refresh_grant(github_client, rsps):
    rsps.post(TOKEN_URL, match=[
        matchers.urlencoded_params_matcher({
            "client_id": GH_CLIENT_ID, "client_secret": GH_SECRET,
            "grant_type": "refresh_token", "refresh_token": REFRESH,
        }),
        matchers.header_matcher({"Accept": "application/json"}),
    ], json={"access_token": "ghu_new", "refresh_token": "ghr_new", "expires_in": 28800,
             "refresh_token_expires_in": "15897600", "scope": "", "token_type": "bearer"})
    token = github_client.refresh(REFRESH)
    assert token.access_token == "ghu_new" and token.refresh_token == "ghr_new"
    assert token.expires_at == NOW + timedelta(seconds=28800)


def test_refresh_bad_refresh_token_is_authorization_failed(github_client, rsps):
    rsps.post(TOKEN_URL, json={"error": "bad_refresh_token", "error_description": "nope"})
    with pytest.raises(AuthorizationFailed) as info:
        github_client.refresh(REFRESH)
    assert info.value.provider_code == "bad_refresh_token"
    assert len(rsps.calls) == 1


# --- REST: /user, /user/emails, /user/repos ----------------------------------------------------


USER = {
    "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==", "name": "The Octocat",
    "avatar_url": "https://avatars.test/u/583231", "html_url": "https://github.test/octocat",
    "email": None, "company": "@github", "location": "San Francisco", "bio": None,
    "type": "User", "site_admin": False,
}


def test_get_profile_sends_bearer_api_version_and_accept(github_client, rsps):
    rsps.get(rest("/user"), json=USER, match=[matchers.header_matcher(REST_HEADERS)])
    assert github_client.get_profile(TOKEN) == GitHubProfile(
        id=583231, login="octocat", name="The Octocat", avatar_url="https://avatars.test/u/583231",
        html_url="https://github.test/octocat", email=None, company="@github",
        location="San Francisco", bio=None,
    )


def test_get_profile_accepts_string_id_and_missing_optional_fields(github_client, rsps):
    rsps.get(rest("/user"), json={"id": "42", "login": "mona"})
    profile = github_client.get_profile(TOKEN)
    assert profile.id == 42 and profile.name is None and profile.html_url is None


@pytest.mark.parametrize("body", [{"login": "x"}, {"id": 1}, {"id": "abc", "login": "x"}, [1]])
def test_get_profile_without_identity_is_bad_response(github_client, rsps, body):
    rsps.get(rest("/user"), json=body)
    with pytest.raises(BadProviderResponse):
        github_client.get_profile(TOKEN)


def test_get_profile_401_is_token_invalid(github_client, rsps):
    rsps.get(rest("/user"), status=401, json={
        "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
    })
    with pytest.raises(TokenInvalid) as info:
        github_client.get_profile(TOKEN)
    assert TOKEN not in all_text(info.value)


def test_primary_rate_limit_uses_reset_header(github_client, rsps):
    reset = int(NOW.timestamp()) + 120
    rsps.get(rest("/user"), status=403, json={"message": "API rate limit exceeded for user."},
             headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    with pytest.raises(ProviderRateLimited) as info:
        github_client.get_profile(TOKEN)
    assert info.value.retry_after_s == 120


def test_secondary_rate_limit_uses_retry_after(github_client, rsps):
    rsps.get(rest("/user"), status=429, headers={"retry-after": "30"},
             json={"message": "You have exceeded a secondary rate limit"})
    with pytest.raises(ProviderRateLimited) as info:
        github_client.get_profile(TOKEN)
    assert info.value.retry_after_s == 30


def test_403_with_missing_scopes_is_permission_missing(github_client, rsps):
    rsps.get(rest("/user/emails"), status=403, json={"message": "Resource not accessible"},
             headers={"X-OAuth-Scopes": "read:user", "X-Accepted-OAuth-Scopes": "user, user:email"})
    with pytest.raises(PermissionMissing) as info:
        github_client.get_primary_verified_email(TOKEN)
    assert info.value.missing == ("user", "user:email")


def test_rest_get_is_retried_on_502_then_unavailable(github_client, rsps):
    rsps.get(rest("/user"), status=502, body="<html>bad gateway</html>")
    with pytest.raises(ProviderUnavailable):
        github_client.get_profile(TOKEN)
    assert len(rsps.calls) == 3


def test_rest_get_recovers_after_a_503(github_client, rsps):
    rsps.get(rest("/user"), status=503)
    rsps.get(rest("/user"), json=USER)
    assert github_client.get_profile(TOKEN).login == "octocat"
    assert len(rsps.calls) == 2


def test_rest_timeout_is_provider_timeout(github_client, rsps):
    rsps.get(rest("/user"), body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderTimeout):
        github_client.get_profile(TOKEN)


def test_rest_html_200_is_unavailable(github_client, rsps):
    rsps.get(rest("/user"), body="<!DOCTYPE html><title>Sign in</title>", content_type="text/html")
    with pytest.raises(ProviderUnavailable):
        github_client.get_profile(TOKEN)


def test_rest_other_4xx_is_a_generic_provider_error(github_client, rsps):
    rsps.get(rest("/user"), status=418, json={"message": f"teapot {TOKEN}"})
    with pytest.raises(ProviderError) as info:
        github_client.get_profile(TOKEN)
    assert type(info.value) is ProviderError
    assert TOKEN not in all_text(info.value) and "teapot" not in all_text(info.value)


def test_primary_verified_email_picks_the_address_that_is_both(github_client, rsps):
    rsps.get(rest("/user/emails"), match=[
        matchers.header_matcher(REST_HEADERS), matchers.query_param_matcher({"per_page": "100"}),
    ], json=[
        {"email": "old@example.test", "primary": False, "verified": True, "visibility": None},
        {"email": "mona@example.test", "primary": True, "verified": True, "visibility": "private",
         "extra": 1},
    ])
    assert github_client.get_primary_verified_email(TOKEN) == "mona@example.test"


@pytest.mark.parametrize("emails", [
    [],
    [{"email": "u@example.test", "primary": True, "verified": False}],
    [{"email": "u@example.test", "primary": "true", "verified": "true"}],
    [{"email": "a@example.test", "primary": False, "verified": True},
     {"email": "b@example.test", "primary": True, "verified": False}],
    [{"primary": True, "verified": True}],
])
def test_primary_verified_email_is_none_without_a_primary_verified_address(
    github_client, rsps, emails
):
    rsps.get(rest("/user/emails"), json=emails)
    assert github_client.get_primary_verified_email(TOKEN) is None


def test_primary_verified_email_404_means_none(github_client, rsps):
    rsps.get(rest("/user/emails"), status=404, json={"message": "Not Found"})
    assert github_client.get_primary_verified_email(TOKEN) is None


REPO = {
    "id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World",
    "html_url": "https://github.test/octocat/Hello-World", "description": "My first repo",
    "private": False, "language": "Python", "stargazers_count": 80,
    "updated_at": "2011-01-26T19:14:43Z", "owner": {"login": "octocat"},
}


def test_list_repos_sends_page_and_reads_the_link_header(github_client, rsps):
    rsps.get(rest("/user/repos"), match=[
        matchers.header_matcher(REST_HEADERS),
        matchers.query_param_matcher({"page": "2", "per_page": "30"}),
    ], json=[REPO, {"id": "7", "name": "tiny"}, {"no": "id"}], headers={
        "Link": f'<{GH_API}/user/repos?page=3>; rel="next", <{GH_API}/user/repos?page=5>; '
                'rel="last"',
    })
    page = github_client.list_repos(TOKEN, page=2)
    assert page.page == 2 and page.has_next is True
    first, second = page.repos
    assert first.full_name == "octocat/Hello-World" and first.stargazers_count == 80
    assert first.updated_at == datetime(2011, 1, 26, 19, 14, 43, tzinfo=UTC)
    assert second.id == 7 and second.full_name == "tiny" and second.updated_at is None


def test_list_repos_last_page_has_no_next(github_client, rsps):
    rsps.get(rest("/user/repos"), match=[
        matchers.query_param_matcher({"page": "3", "per_page": "100"}),
    ], json=[REPO], headers={"Link": f'<{GH_API}/user/repos?page=1>; rel="first"'})
    page = github_client.list_repos(TOKEN, page=3, per_page=500)
    assert page.has_next is False and len(page.repos) == 1


def test_list_repos_not_a_list_is_bad_response(github_client, rsps):
    rsps.get(rest("/user/repos"), json={"message": "huh"})
    with pytest.raises(BadProviderResponse):
        github_client.list_repos(TOKEN)


# --- check_token / revoke_grant (Basic auth with the app credentials) ------------------------


CHECK_URL = rest(f"/applications/{GH_CLIENT_ID}/token")
GRANT_URL = rest(f"/applications/{GH_CLIENT_ID}/grant")
APP_MATCH = [
    matchers.header_matcher({"Authorization": BASIC, "X-GitHub-Api-Version": "2022-11-28",
                             "Accept": "application/vnd.github+json"}),
    matchers.json_params_matcher({"access_token": TOKEN}),
]


def test_check_token_valid(github_client, rsps):
    rsps.post(CHECK_URL, match=APP_MATCH, json={
        "id": 1, "scopes": ["read:user", "user:email"], "token": TOKEN,
        "expires_at": "2026-05-01T20:00:00Z", "app": {"client_id": GH_CLIENT_ID},
    })
    assert github_client.check_token(TOKEN) == TokenCheck(
        valid=True, scopes=("read:user", "user:email"),
        expires_at=datetime(2026, 5, 1, 20, tzinfo=UTC),
    )


def test_check_token_null_scopes_and_expiry(github_client, rsps):
    rsps.post(CHECK_URL, json={"scopes": None, "expires_at": None})
    assert github_client.check_token(TOKEN) == TokenCheck(valid=True, scopes=(), expires_at=None)


@pytest.mark.parametrize("status", [404, 422])
def test_check_token_404_or_422_means_invalid(github_client, rsps, status):
    rsps.post(CHECK_URL, status=status, json={"message": "Not Found"})
    assert github_client.check_token(TOKEN) == TokenCheck(valid=False, scopes=(), expires_at=None)


def test_check_token_502_is_not_retried(github_client, rsps):
    rsps.post(CHECK_URL, status=502)
    with pytest.raises(ProviderUnavailable):
        github_client.check_token(TOKEN)
    assert len(rsps.calls) == 1


def test_check_token_with_wrong_app_credentials_is_a_provider_error(github_client, rsps):
    rsps.post(CHECK_URL, status=401, json={"message": "Bad credentials"})
    with pytest.raises(ProviderError) as info:
        github_client.check_token(TOKEN)
    # Our app credentials, not the user's token (which may be fine): a configuration fault.
    assert type(info.value) is ProviderMisconfigured
    assert GH_SECRET not in all_text(info.value)


@pytest.mark.parametrize("status", [204, 404])
def test_revoke_grant_accepts_204_and_already_gone(github_client, rsps, status):
    rsps.delete(GRANT_URL, status=status, match=APP_MATCH)
    assert github_client.revoke_grant(TOKEN) is None


def test_revoke_grant_errors(github_client, rsps):
    rsps.delete(GRANT_URL, status=500, json={"message": "oops"})
    with pytest.raises(ProviderUnavailable):
        github_client.revoke_grant(TOKEN)
    assert len(rsps.calls) == 1


def test_revoke_grant_timeout(github_client, rsps):
    rsps.delete(GRANT_URL, body=requests.exceptions.ConnectTimeout())
    with pytest.raises(ProviderTimeout):
        github_client.revoke_grant(TOKEN)


# --- No secrets in reprs ----------------------------------------------------------------------


def test_reprs_never_show_tokens_or_secrets(github_client):
    token = GitHubToken(TOKEN, "bearer", ("repo",), None, REFRESH, None)
    text = f"{token!r} {token} {github_client!r} {github_client}"
    assert TOKEN not in text and REFRESH not in text and GH_SECRET not in text
    assert "repo" in text


def test_pygithub_debug_logs_mask_the_token(github_client, rsps, caplog):
    rsps.get(rest("/user"), json=USER)
    with caplog.at_level("DEBUG"):
        github_client.get_profile(TOKEN)
    assert "/user" in caplog.text
    assert TOKEN not in caplog.text
