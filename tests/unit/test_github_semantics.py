"""GitHub answers read as they mean (issue 16, items 3 and 4), with bodies and headers written
from PROVIDERS.md A4, A7 and A8: what a 403 that is not a rate limit means, and where the
granted scopes and the token expiry really come from."""

from datetime import UTC, datetime

import pytest

from integrations.errors import PermissionMissing, ProviderError, ProviderRateLimited
from integrations.github.errors import Forbidden

from .conftest import GH_API

TOKEN = "gho_SENTINELACCESS"
USER = {"id": 583231, "login": "octocat", "name": "The Octocat"}


def rest(path):
    return f"{GH_API}{path}"


# --- Item 3: a 403 that is not a rate limit ---------------------------------------------------


@pytest.mark.parametrize(("granted", "accepted", "missing"), [
    ("read:user", "user, user:email", ("user", "user:email")),
    ("", "repo", ("repo",)),
    ("read:user, gist", "public_repo, repo", ("public_repo", "repo")),
])
def test_403_for_a_scope_the_token_lacks_names_it(github_client, rsps, granted, accepted,
                                                  missing):
    rsps.get(rest("/user/repos"), status=403, json={"message": "Must have admin rights"},
             headers={"X-OAuth-Scopes": granted, "X-Accepted-OAuth-Scopes": accepted})
    with pytest.raises(PermissionMissing) as info:
        github_client.list_repos(TOKEN)
    assert info.value.missing == missing
    assert all(scope in info.value.message for scope in missing)
    assert "Must have admin rights" not in info.value.message


@pytest.mark.parametrize(("granted", "accepted"), [
    ("user", "user:email"),            # `user` implies user:email
    ("repo, user", "repo"),            # the scope is there: the refusal is about something else
    ("repo", "public_repo"),
])
def test_403_with_the_scope_granted_is_a_provider_error_not_a_permission(github_client, rsps,
                                                                         granted, accepted):
    rsps.get(rest("/user/emails"), status=403, json={"message": "Resource not accessible"},
             headers={"X-OAuth-Scopes": granted, "X-Accepted-OAuth-Scopes": accepted})
    with pytest.raises(ProviderError) as info:
        github_client.get_primary_verified_email(TOKEN)
    # Not permission_missing; typed Forbidden (automations read it as no admin rights).
    assert isinstance(info.value, Forbidden) and info.value.code == "provider_error"


def test_403_without_scope_headers_is_a_provider_error(github_client, rsps):
    """GitHub App tokens carry no scope headers: nothing says a scope is missing."""
    rsps.get(rest("/user"), status=403,
             json={"message": "Resource not accessible by integration"})
    with pytest.raises(ProviderError) as info:
        github_client.get_profile(TOKEN)
    # Not permission_missing; typed Forbidden (automations read it as no admin rights).
    assert isinstance(info.value, Forbidden) and info.value.code == "provider_error"


@pytest.mark.parametrize(("headers", "wait_s"), [
    ({}, 60),
    ({"Retry-After": "900"}, 900),
])
def test_too_many_failed_logins_is_rate_limited_with_retry_after(github_client, rsps, headers,
                                                                wait_s):
    rsps.get(rest("/user"), status=403, headers=headers, json={
        "message": "Maximum number of login attempts exceeded. Please try again later.",
        "documentation_url": "https://docs.github.com/rest"})
    with pytest.raises(ProviderRateLimited) as info:
        github_client.get_profile(TOKEN)
    assert info.value.retry_after_s == wait_s
    assert info.value.response_headers() == {"Retry-After": str(wait_s)}


def test_secondary_limit_403_without_headers_is_rate_limited(github_client, rsps):
    rsps.get(rest("/user"), status=403, json={
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
    with pytest.raises(ProviderRateLimited):
        github_client.get_profile(TOKEN)


# --- Item 4: scopes and expiry from the /user read --------------------------------------------


def test_profile_carries_the_scopes_the_token_really_holds(github_client, rsps):
    rsps.get(rest("/user"), json=USER, headers={"X-OAuth-Scopes": "read:user, user:email"})
    profile = github_client.get_profile(TOKEN)
    assert profile.token_scopes == ("read:user", "user:email")


def test_profile_without_a_scope_header_says_unknown_not_none_granted(github_client, rsps):
    rsps.get(rest("/user"), json=USER)
    assert github_client.get_profile(TOKEN).token_scopes is None


def test_profile_with_an_empty_scope_header_holds_no_scopes(github_client, rsps):
    rsps.get(rest("/user"), json=USER, headers={"X-OAuth-Scopes": ""})
    assert github_client.get_profile(TOKEN).token_scopes == ()


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-06-01 12:00:00 UTC", datetime(2026, 6, 1, 12, 0, tzinfo=UTC)),
    ("2026-06-01 05:00:00 -0700", datetime(2026, 6, 1, 12, 0, tzinfo=UTC)),
    ("not a date", None),
])
def test_token_expiry_comes_from_the_expiration_header(github_client, rsps, value, expected):
    rsps.get(rest("/user"), json=USER,
             headers={"github-authentication-token-expiration": value})
    assert github_client.get_profile(TOKEN).token_expires_at == expected
