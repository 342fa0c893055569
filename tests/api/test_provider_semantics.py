"""Provider answers as the API tells them (issue 16): our words in `message`, the provider's
for people apart in `provider_message`; our own misconfiguration never blamed on the link; a
bad code answered alike for both providers."""

import pytest

from integrations.errors import AuthorizationFailed, ProviderMisconfigured, TokenInvalid
from integrations.facebook.errors import graph_error
from integrations.models import FacebookPageLink, PagePost
from tests.fixtures.facebook import assert_error, link
from tests.fixtures.github import run_revocations

pytestmark = pytest.mark.django_db


def post(client, message="Hello", key="key-1"):
    return client.post("/api/v1/facebook/page/posts", {"message": message}, format="json",
                       headers={"Idempotency-Key": key})


def test_a_refused_post_shows_facebooks_words_for_people_apart_from_ours(staff_client, linked):
    linked.fail["publish_to_page"] = graph_error({
        "message": "(#368) The action attempted has been deemed abusive or is otherwise "
                   "disallowed", "code": 368, "fbtrace_id": "A1",
        "error_user_title": "Post blocked", "error_user_msg": "<b>Try again</b> later\x00"}, {})
    body = assert_error(post(staff_client), 422, "content_rejected")
    assert "abusive" not in body["message"] and "<b>" not in body["message"]
    assert body["provider_message"] == "Post blocked: Try again later"
    recorded = PagePost.objects.get()
    assert recorded.error_code == "content_rejected" and "abusive" not in recorded.error_message


def test_a_graph_permission_error_on_posting_says_what_to_grant(staff_client, linked):
    linked.fail["publish_to_page"] = graph_error({
        "message": "(#200) If posting to a page, requires both pages_read_engagement and "
                   "pages_manage_posts permission", "code": 200}, {})
    body = assert_error(post(staff_client), 403, "permission_missing")
    assert body["missing"] == ["pages_read_engagement", "pages_manage_posts"]
    assert "link the Page again" in body["message"]


def test_our_app_credentials_refused_while_linking_is_502_misconfigured(staff_client,
                                                                       fake_facebook):
    fake_facebook.fail["debug_token"] = ProviderMisconfigured(provider="facebook")
    assert_error(link(staff_client), 502, "provider_misconfigured")
    assert not FacebookPageLink.objects.filter(facebook_user_id__gt="").exists()


@pytest.mark.parametrize("failing", ["exchange_code", "extend_token"])
def test_an_invalid_or_expired_facebook_code_is_authorization_failed_like_github(
        staff_client, fake_facebook, failing):
    fake_facebook.fail[failing] = (
        AuthorizationFailed(provider="facebook", provider_code="36007")
        if failing == "exchange_code" else TokenInvalid(provider="facebook", subcode=463))
    assert_error(link(staff_client), 400, "authorization_failed")


def test_sign_in_stores_the_scopes_and_expiry_the_user_read_saw(api_client, github):
    from integrations.models import GitHubAccount
    from tests.fixtures.github import (
        API,
        GITHUB,
        callback,
        emails,
        expiring_token_body,
        profile,
        start,
    )

    github.post(f"{GITHUB}/login/oauth/access_token", json=expiring_token_body(scope=""))
    github.get(f"{API}/user", json=profile(), headers={
        "X-OAuth-Scopes": "read:user, user:email",
        "github-authentication-token-expiration": "2030-01-02 03:04:05 UTC"})
    github.get(f"{API}/user/emails", json=emails())
    response = callback(api_client, code="the-code", state=start(api_client)["state"])
    assert response.status_code == 200, response.content
    account = GitHubAccount.objects.get()
    assert account.scope_list == ["read:user", "user:email"]
    assert account.token_expires_at.isoformat() == "2030-01-02T03:04:05+00:00"
    assert response.json()["user"]["github"]["scopes"] == ["read:user", "user:email"]


# --- Item 10: a sign-in that fails after the code exchange revokes the fresh token ----------


def _revoke_call(github, status=204):
    import base64

    from responses import matchers

    from tests.fixtures.github import ACCESS_TOKEN, API

    basic = base64.b64encode(b"test-github-client-id:SENTINELCS-github-client-secret").decode()
    return github.delete(
        f"{API}/applications/test-github-client-id/token", status=status,
        match=[matchers.json_params_matcher({"access_token": ACCESS_TOKEN}),
               matchers.header_matcher({"Authorization": f"Basic {basic}"})])


def test_sign_in_failing_after_the_exchange_revokes_the_fresh_token(api_client, github):
    from integrations.models import GitHubAccount
    from tests.fixtures.github import API, GITHUB, callback, profile, start

    github.post(f"{GITHUB}/login/oauth/access_token",
                json={"access_token": "gho_SENTINELAT" + "a" * 26, "scope": "read:user"})
    github.get(f"{API}/user", json=profile())
    github.get(f"{API}/user/emails", status=503, json={"message": "Server Error"})
    revoke = _revoke_call(github)
    response = callback(api_client, code="the-code", state=start(api_client)["state"])
    assert_error(response, 502, "provider_unavailable")
    assert not GitHubAccount.objects.exists()
    assert revoke.call_count == 0  # the worker revokes it
    assert run_revocations() == ["revoked"]
    assert revoke.call_count == 1


def test_a_failed_revoke_never_hides_the_sign_in_error(api_client, github, caplog):
    from tests.fixtures.github import ACCESS_TOKEN, API, GITHUB, callback, start

    github.post(f"{GITHUB}/login/oauth/access_token", json={"access_token": ACCESS_TOKEN})
    github.get(f"{API}/user", status=401, json={"message": "Bad credentials"})
    github.get(f"{API}/user/emails", json=[])
    revoke = _revoke_call(github, status=500)
    response = callback(api_client, code="the-code", state=start(api_client)["state"])
    assert_error(response, 409, "token_invalid")
    assert run_revocations() == ["retrying"]
    assert revoke.call_count == 1
    assert "failed (provider_unavailable), retrying" in caplog.text
    assert ACCESS_TOKEN not in caplog.text


def test_a_successful_sign_in_revokes_nothing(api_client, github):
    from tests.fixtures.github import sign_in

    revoke = _revoke_call(github)
    assert sign_in(api_client, github).status_code == 200
    assert revoke.call_count == 0


# --- Item 6: the remaining budget, shared by every process, shown on the status endpoints ----


def github_usage_headers(remaining, reset_in_s=900):
    import time

    return {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(int(time.time()) + reset_in_s)}


def test_github_token_status_shows_the_remaining_budget(api_client, github):
    from tests.fixtures.github import API, GITHUB, callback, emails, profile, start

    github.post(f"{GITHUB}/login/oauth/access_token",
                json={"access_token": "gho_SENTINELAT" + "a" * 26, "scope": "read:user"})
    github.get(f"{API}/user", json=profile(), headers=github_usage_headers(4000))
    github.get(f"{API}/user/emails", json=emails(), headers=github_usage_headers(3999))
    assert callback(api_client, code="c", state=start(api_client)["state"]).status_code == 200
    github.post(f"{API}/applications/test-github-client-id/token",
                json={"scopes": ["read:user"], "expires_at": None})
    budget = api_client.get("/api/v1/me/github/token").json()["budget"]
    assert budget["remaining"] in (3999, 4000) and budget["limit"] == 5000
    assert budget["remaining_percent"] == pytest.approx(budget["remaining"] / 50)
    assert budget["resets_at"]


def test_near_the_limit_every_process_backs_off_with_retry_after(api_client, github):
    from integrations.config import clear_client_cache
    from tests.fixtures.github import API, sign_in

    assert sign_in(api_client, github).status_code == 200
    github.get(f"{API}/user/repos", json=[], headers=github_usage_headers(400, reset_in_s=300))
    assert api_client.get("/api/v1/me/github/repos").status_code == 200
    calls = len(github.calls)
    clear_client_cache()  # another worker: a new client, the same (shared) cache
    response = api_client.get("/api/v1/me/github/repos")
    body = assert_error(response, 429, "provider_rate_limited")
    assert 290 <= int(response.headers["Retry-After"]) <= 300 and body["retry_after"] > 0
    assert len(github.calls) == calls  # the last calls were not spent


def test_link_state_shows_the_apps_graph_budget(staff_client, linked):
    from datetime import UTC, datetime, timedelta

    from integrations.usage import APP_BUDGET, ProviderUsage
    from integrations.usage_store import CacheBudget

    assert staff_client.get("/api/v1/facebook/page").json()["budget"] is None
    CacheBudget().record(ProviderUsage("facebook", APP_BUDGET, 28.0,
                                       datetime.now(UTC) + timedelta(minutes=1)))
    budget = staff_client.get("/api/v1/facebook/page").json()["budget"]
    assert budget["used_percent"] == 28.0 and budget["remaining_percent"] == 72.0
    assert budget["remaining"] is None and budget["resets_at"]
