"""Repository webhooks in GitHubClient (create/delete against `responses`) and the Django-free
signature check `verify_signature`."""

import hashlib
import hmac
import json

import pytest
import requests
from responses import matchers

from integrations.errors import (
    PermissionMissing,
    ProviderRateLimited,
    ProviderUnavailable,
    TokenInvalid,
)
from integrations.github import RepoHook, verify_signature
from integrations.github.errors import Forbidden, NotFound

from .conftest import GH_API

TOKEN = "gho_SENTINELACCESS"
SECRET = "SENTINELHOOKSECRET-0123456789abcdef0123456789abcdef"
HOOKS = f"{GH_API}/repos/octocat/Hello-World/hooks"
HOOK_BODY = {"type": "Repository", "id": 12345678, "name": "web", "active": True,
             "events": ["release"],
             "config": {"url": "https://bridge.test/api/v1/github/webhook?automation=3",
                        "content_type": "json", "insecure_ssl": "0", "secret": "********"}}
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json",
           "X-GitHub-Api-Version": "2022-11-28"}


def create(github_client):
    return github_client.create_repo_hook(
        TOKEN, "octocat/Hello-World", url=HOOK_BODY["config"]["url"], secret=SECRET,
        events=("release",))


def test_create_repo_hook_posts_a_json_hook_with_the_secret(github_client, rsps):
    rsps.post(HOOKS, status=201, json=HOOK_BODY, match=[
        matchers.header_matcher(HEADERS),
        matchers.json_params_matcher({
            "name": "web", "active": True, "events": ["release"],
            "config": {"url": HOOK_BODY["config"]["url"], "content_type": "json",
                       "secret": SECRET, "insecure_ssl": "0"}}),
    ])
    assert create(github_client) == RepoHook(id=12345678, url=HOOK_BODY["config"]["url"],
                                             events=("release",), active=True)


@pytest.mark.parametrize(("status", "body", "error"), [
    (404, {"message": "Not Found"}, NotFound),
    (403, {"message": "Must have admin rights to Repository."}, Forbidden),
    (401, {"message": "Bad credentials"}, TokenInvalid),
    (502, {"message": "Server Error"}, ProviderUnavailable),
])
def test_create_repo_hook_maps_refusals_to_typed_errors(github_client, rsps, status, body,
                                                        error):
    rsps.post(HOOKS, status=status, json=body)
    with pytest.raises(error):
        create(github_client)


def test_create_repo_hook_is_never_retried(github_client, rsps):
    rsps.post(HOOKS, body=requests.ConnectionError("reset"))
    with pytest.raises(ProviderUnavailable):
        create(github_client)
    assert len(rsps.calls) == 1


def test_create_repo_hook_without_the_scope_names_it(github_client, rsps):
    rsps.post(HOOKS, status=403, json={"message": "Forbidden"},
              headers={"X-Accepted-OAuth-Scopes": "admin:repo_hook, repo, write:repo_hook",
                       "X-OAuth-Scopes": "read:user, user:email"})
    with pytest.raises(PermissionMissing) as raised:
        create(github_client)
    assert "admin:repo_hook" in raised.value.missing


def test_create_repo_hook_rate_limited(github_client, rsps):
    rsps.post(HOOKS, status=403, json={"message": "API rate limit exceeded"},
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1777636860"})
    with pytest.raises(ProviderRateLimited):
        create(github_client)


def test_delete_repo_hook_accepts_204_and_an_already_deleted_hook(github_client, rsps):
    rsps.delete(f"{HOOKS}/12345678", status=204, match=[matchers.header_matcher(HEADERS)])
    rsps.delete(f"{HOOKS}/12345678", status=404, json={"message": "Not Found"})
    github_client.delete_repo_hook(TOKEN, "octocat/Hello-World", 12345678)
    github_client.delete_repo_hook(TOKEN, "octocat/Hello-World", 12345678)


def test_delete_repo_hook_without_rights_raises(github_client, rsps):
    rsps.delete(f"{HOOKS}/12345678", status=403, json={"message": "Forbidden"})
    with pytest.raises(Forbidden):
        github_client.delete_repo_hook(TOKEN, "octocat/Hello-World", 12345678)


# --- verify_signature ------------------------------------------------------------------------

BODY = json.dumps({"action": "published", "release": {"tag_name": "v1.2.0"}}).encode()


def github_signature(secret: str, body: bytes) -> str:
    """What GitHub sends, computed independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_verify_signature_accepts_githubs_signature():
    assert verify_signature(SECRET, BODY, github_signature(SECRET, BODY)) is True


def test_verify_signature_refuses_a_flipped_body_byte():
    flipped = bytes([BODY[0] ^ 1]) + BODY[1:]
    assert verify_signature(SECRET, flipped, github_signature(SECRET, BODY)) is False


def test_verify_signature_refuses_another_hooks_secret():
    assert verify_signature(SECRET, BODY, github_signature("another-secret", BODY)) is False


@pytest.mark.parametrize("header", [
    None, "", "sha256=", "sha256=zz", "sha1=" + hmac.new(SECRET.encode(), BODY,
                                                         hashlib.sha1).hexdigest(),
    github_signature(SECRET, BODY).upper(), github_signature(SECRET, BODY)[7:],
])
def test_verify_signature_refuses_missing_legacy_or_malformed_headers(header):
    assert verify_signature(SECRET, BODY, header) is False


def test_verify_signature_refuses_when_there_is_no_secret():
    assert verify_signature("", BODY, github_signature("", BODY)) is False
    assert verify_signature(None, BODY, github_signature("", BODY)) is False
