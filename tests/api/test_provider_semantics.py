"""Provider answers as the API tells them (issue 16): our words in `message`, the provider's
for people apart in `provider_message`; our own misconfiguration never blamed on the link; a
bad code answered alike for both providers."""

import pytest

from integrations.errors import AuthorizationFailed, ProviderMisconfigured, TokenInvalid
from integrations.facebook.errors import graph_error
from integrations.models import FacebookPageLink, PagePost
from tests.fixtures.facebook import assert_error, link

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
    assert body["provider_message"] == "Post blocked: <b>Try again</b> later"
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
