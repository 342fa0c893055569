"""Incremental authorization (S52): staff ask GitHub for `admin:repo_hook` through the usual
sign-in, with the same state and PKCE rules; nobody else can, and the grant lands only on the
staff member who asked."""

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.models import GitHubAccount
from tests.automations.conftest import client_for, make_staff
from tests.fixtures.assertions import assert_error
from tests.fixtures.github import (
    API,
    GITHUB,
    callback,
    emails,
    mock_sign_in,
    profile,
    run_revocations,
)

pytestmark = pytest.mark.django_db
GRANTED = {"access_token": "gho_SENTINELNEW" + "c" * 25, "token_type": "bearer",
           "scope": "read:user,user:email,admin:repo_hook"}


def ask(http, **body):
    return http.post("/api/v1/auth/github/authorize", {"scopes": ["admin:repo_hook"], **body},
                       format="json")


def test_staff_get_an_authorize_url_with_the_extra_scope_and_pkce(db):
    response = ask(client_for(make_staff(scopes="read:user,user:email")))
    assert response.status_code == 201, response.content
    query = parse_qs(urlsplit(response.json()["authorize_url"]).query)
    assert query["scope"] == ["read:user user:email admin:repo_hook"]
    assert query["code_challenge_method"] == ["S256"] and query["state"]


def test_the_grant_is_stored_on_the_staff_members_account(db, github):
    staff = make_staff(scopes="read:user,user:email")
    client = client_for(staff)
    state = ask(client).json()["state"]
    github.post(f"{GITHUB}/login/oauth/access_token", json=GRANTED)
    github.get(f"{API}/user", json=profile(),
               headers={"X-OAuth-Scopes": "read:user, user:email, admin:repo_hook"})
    github.get(f"{API}/user/emails", json=emails())
    response = callback(client, code="the-code", state=state)
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == staff.pk
    account = GitHubAccount.objects.get(user=staff)
    assert "admin:repo_hook" in account.scope_list
    assert account.access_token == GRANTED["access_token"]


def test_non_staff_and_anonymous_cannot_ask_for_more(db, plain_client, api_client):
    assert_error(ask(plain_client), 403, "permission_denied")
    assert_error(ask(api_client), 403, "permission_denied")


def test_apps_and_unknown_scopes_are_refused(db):
    client = client_for(make_staff())
    assert_error(ask(client, client="app", code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbu"
                                                          "GJSstw-cM",
                     redirect_uri="com.example.app:/cb"), 400, "validation_error")
    body = assert_error(client.post("/api/v1/auth/github/authorize", {"scopes": ["repo"]},
                                    format="json"), 400, "validation_error")
    assert "scopes" in body["fields"]


def test_the_state_cannot_be_finished_from_another_users_session(db, github):
    staff_client = client_for(make_staff())
    state = ask(staff_client).json()["state"]
    other = client_for(make_staff("other-staff", github_id=9919, login="mona"))
    other.cookies = staff_client.cookies  # the same browser binding, another signed-in user
    other.force_login(make_staff("third", github_id=1000001, login="unverified"))
    mock_sign_in(github, token_body=GRANTED)
    assert_error(callback(other, code="the-code", state=state), 400, "state_mismatch")


def test_a_grant_signed_in_as_another_github_account_is_refused(db, github):
    staff = make_staff(scopes="read:user,user:email")
    client = client_for(staff)
    state = ask(client).json()["state"]
    mock_sign_in(github, token_body=GRANTED, user=profile(github_id=9919, login="mona"))
    revoke = github.delete(f"{API}/applications/test-github-client-id/token", status=204)
    assert_error(callback(client, code="the-code", state=state), 409, "account_mismatch")
    assert run_revocations() == ["revoked"]
    assert revoke.call_count == 1  # the unstored token is not left valid at GitHub
    assert "admin:repo_hook" not in GitHubAccount.objects.get(user=staff).scope_list
    assert not GitHubAccount.objects.filter(github_id=9919).exists()
