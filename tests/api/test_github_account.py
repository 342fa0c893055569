"""The signed-in user's endpoints: profile, token validity, repos, logout, deletion, refresh."""

import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from integrations.models import GitHubAccount, GitHubRevocation
from integrations.services.revocations import attempt_revocation
from tests.fixtures.github import (
    ACCESS_TOKEN,
    API,
    CHECK_URL,
    GITHUB,
    assert_error,
    expiring_token_body,
    sign_in,
)

pytestmark = pytest.mark.django_db

GRANT_URL = f"{API}/applications/test-github-client-id/grant"


def test_me_needs_a_session_or_token(api_client):
    assert_error(api_client.get("/api/v1/me"), 401, "not_authenticated")
    response = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION="Token nope")
    assert_error(response, 401, "authentication_failed")


def test_me_shows_the_profile_without_tokens(signed_in):
    response = signed_in.get("/api/v1/me")
    body = response.json()
    assert body["github"]["login"] == "octocat"
    assert body["github"]["avatar_url"].startswith("https://")
    assert "SENTINEL" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_token_validity_is_checked_with_github(signed_in, github):
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user", "user:email"],
                                 "expires_at": None})
    response = signed_in.get("/api/v1/me/github/token")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["scopes"] == ["read:user", "user:email"]
    assert body["checked_at"]
    assert "SENTINEL" not in response.content.decode()
    request = github.calls[0].request
    assert request.headers["Authorization"].startswith("Basic ")


def test_revoked_token_is_reported_invalid(signed_in, github):
    github.post(CHECK_URL, status=404, json={"message": "Not Found"})
    body = signed_in.get("/api/v1/me/github/token").json()
    assert body["valid"] is False


def test_repos_are_paginated(signed_in, github):
    repo = {"id": 1, "name": "hello", "full_name": "octocat/hello", "private": False,
            "html_url": "https://github.com/octocat/hello", "description": None,
            "language": "Python", "stargazers_count": 3, "updated_at": "2026-01-01T00:00:00Z"}
    github.get(f"{API}/user/repos", json=[repo] * 30,
               headers={"Link": f'<{API}/user/repos?page=2>; rel="next"'})
    body = signed_in.get("/api/v1/me/github/repos").json()
    assert body["page"] == 1 and body["next_page"] == 2
    assert body["results"][0]["full_name"] == "octocat/hello"
    assert_error(signed_in.get("/api/v1/me/github/repos?page=0"), 400, "validation_error")


def test_logout_ends_the_session_and_needs_csrf(api_client, github, settings):
    assert sign_in(api_client, github).status_code == 200
    csrf = APIClient(enforce_csrf_checks=True)
    csrf.cookies = api_client.cookies
    assert_error(csrf.post("/api/v1/auth/logout"), 403, "csrf_failed")
    token = api_client.cookies[settings.CSRF_COOKIE_NAME].value
    old_session = api_client.cookies[settings.SESSION_COOKIE_NAME].value
    assert csrf.post("/api/v1/auth/logout", HTTP_X_CSRFTOKEN=token).status_code == 204
    replay = APIClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_session
    assert replay.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_unsafe_method_of_a_session_needs_csrf_and_safe_ones_do_not(api_client, github,
                                                                         method):
    """api.authentication skips DRF's CSRF check for GET, HEAD and OPTIONS only."""
    assert sign_in(api_client, github).status_code == 200
    csrf = APIClient(enforce_csrf_checks=True)
    csrf.cookies = api_client.cookies
    assert_error(getattr(csrf, method)("/api/v1/me"), 403, "csrf_failed")
    assert csrf.get("/api/v1/me").status_code == 200
    assert csrf.head("/api/v1/me").status_code == 200
    assert csrf.options("/api/v1/me").status_code == 200

def test_delete_account_deletes_everything_and_the_worker_revokes_the_grant(
        signed_in, github, django_capture_on_commit_callbacks):
    grant = github.delete(GRANT_URL, status=204)
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in.delete("/api/v1/me").status_code == 204
    assert get_user_model().objects.count() == 0
    assert GitHubAccount.objects.count() == 0
    assert signed_in.get("/api/v1/me").status_code == 401
    revocation = GitHubRevocation.objects.get()
    assert (revocation.kind, revocation.reason, revocation.github_id) == (
        "grant", "account_deleted", 583231)
    # The task carries the row's id, never the token; the row keeps it encrypted.
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "integrations.tasks.revoke_github_credential"
    assert queued.args_kwargs["args"] == [revocation.pk]
    assert ACCESS_TOKEN not in json.dumps(queued.args_kwargs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM integrations_githubrevocation")
        (stored,) = cursor.fetchone()
    assert stored and ACCESS_TOKEN not in stored
    assert grant.call_count == 0  # not inline: the worker does it
    assert attempt_revocation(revocation_id=revocation.pk) == "revoked"
    assert grant.call_count == 1
    revocation.refresh_from_db()
    assert revocation.status == "done" and not revocation.token


def test_delete_account_works_when_github_is_down_and_logs_no_token(signed_in, github, caplog,
                                                                    settings):
    settings.REVOCATION_MAX_ATTEMPTS = 3
    github.delete(GRANT_URL, status=503, body="<html>down</html>")
    with caplog.at_level(logging.DEBUG):
        assert signed_in.delete("/api/v1/me").status_code == 204
        assert get_user_model().objects.count() == 0
        revocation = GitHubRevocation.objects.get()
        outcomes = [attempt_revocation(revocation_id=revocation.pk) for _ in range(4)]
    assert outcomes == ["retrying", "retrying", "failed", "not pending"]
    revocation.refresh_from_db()
    assert (revocation.status, revocation.attempts, revocation.last_error) == (
        "failed", 3, "provider_unavailable")
    assert revocation.next_attempt_at is None and revocation.finished_at is not None
    assert f"revocation {revocation.pk} failed after 3 attempts" in caplog.text
    assert "SENTINEL" not in caplog.text


def sign_in_with_an_expired_token(api_client, github) -> None:
    """Sign in with an expiring token, then let it expire: the next use must refresh it."""
    sign_in(api_client, github, token_body=expiring_token_body())
    GitHubAccount.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    github.reset()


def test_expired_token_is_refreshed_and_the_refresh_token_rotates(api_client, github):
    sign_in_with_an_expired_token(api_client, github)
    github.post(f"{GITHUB}/login/oauth/access_token", json={
        "access_token": "ghu_NEWTOKEN" + "c" * 30, "refresh_token": "ghr_NEWREFRESH" + "d" * 60,
        "expires_in": "28800", "refresh_token_expires_in": "15897600", "scope": "",
        "token_type": "bearer"})
    github.post(CHECK_URL, json={"scopes": [], "expires_at": None})
    body = api_client.get("/api/v1/me/github/token").json()
    assert body["valid"] is True
    account = GitHubAccount.objects.get()
    assert account.access_token.startswith("ghu_NEWTOKEN")
    assert account.refresh_token.startswith("ghr_NEWREFRESH")
    assert account.token_expires_at > timezone.now() + timedelta(hours=7)
    refresh = github.calls[0].request
    assert "grant_type=refresh_token" in refresh.body


def test_failed_refresh_means_relink_not_500(api_client, github):
    sign_in_with_an_expired_token(api_client, github)
    github.post(f"{GITHUB}/login/oauth/access_token", json={
        "error": "bad_refresh_token", "error_description": "The refresh token is invalid."})
    assert api_client.get("/api/v1/me/github/token").json()["valid"] is False
    assert_error(api_client.get("/api/v1/me/github/repos"), 409, "token_invalid")


def test_admin_shows_github_accounts_with_masked_tokens(api_client, github, admin_client):
    sign_in(api_client, github)
    account = GitHubAccount.objects.get()
    for url in ("/admin/integrations/githubaccount/",
                f"/admin/integrations/githubaccount/{account.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "octocat" in response.content.decode()
        assert "SENTINEL" not in response.content.decode()


def test_staff_list_by_numeric_id_and_removal_takes_staff_back(api_client, github, settings):
    from tests.fixtures.github import profile

    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github).json()["user"]["is_staff"] is True
    api_client.post("/api/v1/auth/logout")
    github.reset()
    settings.STAFF_GITHUB_LOGINS = []
    assert sign_in(api_client, github, user=profile()).json()["user"]["is_staff"] is False


def test_a_recycled_login_listed_by_id_gets_no_staff(api_client, github, settings):
    from tests.fixtures.github import profile

    settings.STAFF_GITHUB_LOGINS = ["583231"]
    body = sign_in(api_client, github, user=profile(github_id=2002, login="octocat")).json()
    assert body["user"]["is_staff"] is False


def test_staff_set_in_the_admin_is_kept(api_client, github, settings):
    sign_in(api_client, github)
    get_user_model().objects.update(is_staff=True)
    api_client.post("/api/v1/auth/logout")
    github.reset()
    assert sign_in(api_client, github).json()["user"]["is_staff"] is True


def test_a_lost_encryption_key_means_relink_not_500(api_client, github, settings):
    from cryptography.fernet import Fernet

    sign_in(api_client, github)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key is gone
    assert api_client.get("/api/v1/me").status_code == 200
    assert api_client.get("/api/v1/me/github/token").json()["valid"] is False
    assert_error(api_client.get("/api/v1/me/github/repos"), 409, "token_invalid")
    api_client.post("/api/v1/auth/logout")
    github.reset()
    assert sign_in(api_client, github).status_code == 200  # signing in again repairs it
    assert GitHubAccount.objects.get().access_token == ACCESS_TOKEN


def test_a_user_left_without_its_github_row_is_reattached(api_client, github):
    sign_in(api_client, github)
    user_id = get_user_model().objects.get().pk
    GitHubAccount.objects.all().delete()
    api_client.post("/api/v1/auth/logout")
    github.reset()
    response = sign_in(api_client, github)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user_id


def test_a_deactivated_user_cannot_sign_in(api_client, github):
    sign_in(api_client, github)
    get_user_model().objects.update(is_active=False)
    api_client.post("/api/v1/auth/logout")
    github.reset()
    assert_error(sign_in(api_client, github), 403, "account_disabled")
    assert api_client.get("/api/v1/me").status_code == 401


def test_refreshed_token_expiry_is_what_the_check_reports(api_client, github):
    sign_in_with_an_expired_token(api_client, github)
    github.post(f"{GITHUB}/login/oauth/access_token", json={
        "access_token": "ghu_NEWTOKEN" + "c" * 30, "refresh_token": "ghr_NEW" + "d" * 60,
        "expires_in": 28800, "scope": "", "token_type": "bearer"})
    github.post(CHECK_URL, json={"scopes": [], "expires_at": None})
    body = api_client.get("/api/v1/me/github/token").json()
    reported = timezone.datetime.fromisoformat(body["expires_at"])
    assert reported > timezone.now() + timedelta(hours=7)


def test_delete_account_with_a_lost_token_skips_the_revocation(signed_in, github, settings):
    from cryptography.fernet import Fernet

    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert signed_in.delete("/api/v1/me").status_code == 204
    assert len(github.calls) == 0
    assert get_user_model().objects.count() == 0


def test_a_revocation_that_failed_for_good_is_shown_in_the_admin_and_can_be_retried(
        client, settings, django_capture_on_commit_callbacks):
    settings.REVOCATION_MAX_ATTEMPTS = 1
    revocation = GitHubRevocation.objects.create(
        kind="grant", token=ACCESS_TOKEN, reason="account_deleted", github_id=583231,
        status="failed", attempts=1, last_error="provider_unavailable")
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 12))
    listing = client.get("/admin/integrations/githubrevocation/").content.decode()
    assert "account_deleted" in listing and "provider_unavailable" in listing
    detail = client.get(f"/admin/integrations/githubrevocation/{revocation.pk}/change/")
    assert ACCESS_TOKEN not in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/integrations/githubrevocation/", {
            "action": "try_again", "_selected_action": [revocation.pk]})
    revocation.refresh_from_db()
    assert (revocation.status, revocation.attempts) == ("pending", 0)
    assert DBTaskResult.objects.get().args_kwargs["args"] == [revocation.pk]
