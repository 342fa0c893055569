"""Issue 23: scopes beyond the request. A scope that can write, which this site never asked
this person for (someone edited the authorize URL), is not kept: the sign-in is refused, the
whole grant is revoked by the worker (GitHub answers later authorizations with the union of
earlier grants), and the next sign-in gets only what is asked. Read-only extras are kept; the
hook scope is kept for those who may create automations."""

import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from integrations.models import GitHubAccount, GitHubRevocation
from integrations.models.facebook import MANAGE_PERMISSION_CODENAME
from tests.fixtures.github import ACCESS_TOKEN, API, assert_error, run_revocations, sign_in

pytestmark = pytest.mark.django_db
GRANT_URL = f"{API}/applications/test-github-client-id/grant"


def test_a_non_staff_user_with_repo_and_hook_scopes_is_refused_and_the_grant_revoked(
        api_client, github, caplog):
    response = sign_in(api_client, github, scopes="read:user, user:email, repo, admin:repo_hook")
    body = assert_error(response, 403, "scopes_not_requested")
    assert "admin:repo_hook, repo" in body["message"]
    assert not GitHubAccount.objects.exists()  # nothing kept
    assert not get_user_model().objects.exists()
    assert api_client.get("/api/v1/me").status_code in (401, 403)
    revocation = GitHubRevocation.objects.get()
    assert (revocation.kind, revocation.reason) == ("grant", "scopes_not_requested")
    grant = github.delete(GRANT_URL, status=204)
    assert run_revocations() == ["revoked"]
    assert grant.call_count == 1
    assert ACCESS_TOKEN not in caplog.text


def test_after_the_revocation_the_next_sign_in_with_the_right_scopes_works(api_client, github):
    assert sign_in(api_client, github, scopes="read:user, user:email, repo").status_code == 403
    github.reset()
    github.delete(GRANT_URL, status=204)
    run_revocations()
    response = sign_in(api_client, github, scopes="read:user, user:email")
    assert response.status_code == 200, response.content
    assert GitHubAccount.objects.get().scope_list == ["read:user", "user:email"]


def test_a_returning_user_keeps_the_stored_token_untouched_when_refused(api_client, github):
    assert sign_in(api_client, github).status_code == 200
    before = GitHubAccount.objects.values("scopes", "updated_at").get()
    api_client.logout()
    github.reset()
    response = sign_in(api_client, github, scopes="read:user, user:email, delete_repo",
                       token_body={"access_token": "gho_SENTINELNEW" + "d" * 25,
                                   "scope": "read:user,user:email,delete_repo"})
    assert_error(response, 403, "scopes_not_requested")
    assert GitHubAccount.objects.values("scopes", "updated_at").get() == before


def test_read_only_extras_are_kept(api_client, github):
    response = sign_in(api_client, github, scopes="read:user, user:email, read:org")
    assert response.status_code == 200, response.content
    assert "read:org" in GitHubAccount.objects.get().scope_list
    assert not GitHubRevocation.objects.exists()


def test_a_page_manager_keeps_the_hook_scope_the_site_asked_for(api_client, github, settings):
    settings.STAFF_GITHUB_LOGINS = ["583231"]  # staff with the Page permission
    response = sign_in(api_client, github, scopes="read:user, user:email, admin:repo_hook")
    assert response.status_code == 200, response.content
    assert "admin:repo_hook" in GitHubAccount.objects.get().scope_list


def test_staff_without_the_page_permission_get_no_hook_scope(api_client, github, settings):
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github).status_code == 200
    user = GitHubAccount.objects.get().user
    user.user_permissions.remove(Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME))
    api_client.logout()
    response = sign_in(api_client, github, scopes="read:user, user:email, admin:repo_hook")
    assert_error(response, 403, "scopes_not_requested")


def test_even_a_page_manager_is_refused_scopes_the_site_never_asks_for(api_client, github,
                                                                      settings):
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    response = sign_in(api_client, github, scopes="read:user, user:email, admin:repo_hook, repo")
    body = assert_error(response, 403, "scopes_not_requested")
    assert "(repo)" in body["message"]


def test_scopes_the_operator_configured_are_kept(api_client, github, settings):
    settings.GITHUB_SCOPES = ["read:user", "user:email", "public_repo"]
    response = sign_in(api_client, github, scopes="read:user, user:email, public_repo")
    assert response.status_code == 200, response.content


def test_scope_names_outside_githubs_alphabet_are_counted_not_repeated(api_client, github):
    response = sign_in(api_client, github, scopes="read:user, user:email, <img src=x>, repo")
    body = assert_error(response, 403, "scopes_not_requested")
    assert "(repo, 2 other)" in body["message"] and "<" not in body["message"]


def test_the_revocation_task_carries_the_rows_id_never_the_token(
        api_client, github, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(api_client, github, scopes="read:user, user:email, repo")
    assert_error(response, 403, "scopes_not_requested")
    revocation = GitHubRevocation.objects.get()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "integrations.tasks.revoke_github_credential"
    assert queued.args_kwargs["args"] == [revocation.pk]
    assert ACCESS_TOKEN not in json.dumps(queued.args_kwargs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM integrations_githubrevocation")
        (stored,) = cursor.fetchone()
    assert stored and ACCESS_TOKEN not in stored  # encrypted at rest


def test_without_a_database_to_record_it_the_grant_is_revoked_inline(api_client, github,
                                                                     caplog):
    grant = github.delete(GRANT_URL, status=204)
    with mock.patch("integrations.services.github.schedule_revocation",
                    side_effect=OperationalError("database is gone")):
        response = sign_in(api_client, github, scopes="read:user, user:email, repo")
    assert_error(response, 403, "scopes_not_requested")
    assert grant.call_count == 1  # the grant, as the worker would have
    assert not GitHubRevocation.objects.exists()
    assert ACCESS_TOKEN not in caplog.text
