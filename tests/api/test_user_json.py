"""Hot endpoints render plain dicts built without a serializer (`user_json` for /me,
`token_check_json` for /me/github/token, `authorize_json` for the authorize endpoints,
`sign_in_json` for the GitHub callback): they must stay what the documented serializers render,
field for field."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from api.authentication import SessionUserBackend
from api.serializers import (
    AuthorizeOutput,
    UserSerializer,
    authorize_json,
    sign_in_json,
    token_check_json,
    user_json,
)
from api.views.github import GitHubCallbackView
from api.views.me import GitHubTokenView
from integrations.flows import StartedAuthorization
from integrations.models import GitHubAccount
from integrations.token_check import TokenCheck
from integrations.usage import ProviderUsage

pytestmark = pytest.mark.django_db


def test_user_without_github_renders_like_the_serializer():
    user = get_user_model().objects.create_user("plain", email="plain@example.com")
    assert user_json(user) == UserSerializer(user).data
    assert user_json(user)["github"] is None


@pytest.mark.parametrize("expires_at", [None, datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)])
def test_session_user_with_github_renders_like_the_serializer(expires_at):
    user = get_user_model().objects.create_user("github-583231", email="octo@example.com",
                                                is_staff=True)
    GitHubAccount.objects.create(
        user=user, github_id=583231, login="octocat", name="The Octocat", bio="",
        avatar_url="https://avatars.githubusercontent.com/u/583231", access_token="gho_" + "a" * 36,
        scopes="read:user,user:email", token_expires_at=expires_at,
        last_login_at=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC))
    session_user = SessionUserBackend().get_user(user.pk)  # what the session middleware loads
    assert user_json(session_user) == UserSerializer(session_user).data
    user.user_permissions.add(Permission.objects.get(codename="manage_facebook_page"))
    page_manager = SessionUserBackend().get_user(user.pk)
    assert user_json(page_manager) == UserSerializer(page_manager).data
    assert user_json(page_manager)["can_manage_facebook_page"] is True
    assert user_json(session_user)["github"]["scopes"] == ["read:user", "user:email"]


def test_session_user_loads_the_github_account_in_one_query(django_assert_num_queries):
    user = get_user_model().objects.create_user("github-1")
    GitHubAccount.objects.create(user=user, github_id=1, login="octocat", access_token="gho_x")
    with django_assert_num_queries(1):
        session_user = SessionUserBackend().get_user(user.pk)
        assert session_user.github_account.login == "octocat"
    assert "access_token" in session_user.github_account.get_deferred_fields()
    assert session_user.github_account.access_token == "gho_x"  # still there when needed


@pytest.mark.parametrize("check", [
    TokenCheck(valid=True, scopes=("read:user", "user:email"), checked_at=datetime.now(UTC),
               expires_at=datetime(2030, 1, 1, tzinfo=UTC)),
    TokenCheck(valid=False, checked_at=datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=UTC)),
    TokenCheck(valid=True, scopes=("read:user",), checked_at=datetime.now(UTC),
               budget=ProviderUsage(provider="github", key="t", used_percent=12.5,
                                    resets_at=datetime(2030, 1, 1, tzinfo=UTC),
                                    remaining=4375, limit=5000)),
])
def test_token_check_renders_like_the_serializer(check):
    assert token_check_json(check) == GitHubTokenView.Output(check).data


def test_started_authorization_renders_like_the_serializer():
    started = StartedAuthorization(authorize_url="https://github.com/login/oauth/authorize?x=1",
                                   state="s" * 43, expires_at=datetime.now(UTC))
    assert authorize_json(started) == AuthorizeOutput(started).data


@pytest.mark.parametrize("token", [None, ("tok_" + "x" * 60, datetime.now(UTC)), ("tok_y", None)])
def test_sign_in_answer_renders_like_the_serializer(token):
    user = get_user_model().objects.create_user("github-9", email="nine@example.com")
    GitHubAccount.objects.create(user=user, github_id=9, login="nine", access_token="gho_9")
    user = get_user_model().objects.select_related("github_account").get(pk=user.pk)
    expected = {"user": user} | ({"token": token[0], "token_expires_at": token[1]} if token else {})
    rendered = sign_in_json(user, *token) if token else sign_in_json(user)
    assert rendered == GitHubCallbackView.Output(expected).data


def test_sessions_made_before_the_session_user_backend_stay_signed_in(api_client):
    user = get_user_model().objects.create_user("github-7", email="seven@example.com")
    api_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "github-7"


def test_admin_passwords_are_checked_once_by_model_backend():
    from django.contrib.auth import authenticate

    user = get_user_model().objects.create_user("admin-1", password="a-long-password-42")
    assert SessionUserBackend().authenticate(None, username="admin-1",
                                             password="a-long-password-42") is None
    signed_in = authenticate(username="admin-1", password="a-long-password-42")
    assert signed_in == user
    assert signed_in.backend == "django.contrib.auth.backends.ModelBackend"


@pytest.mark.parametrize("grant", ["user", "group", "none", "superuser", "other"])
def test_the_session_user_knows_the_page_permission_without_a_query(
        grant, django_assert_num_queries):
    from django.contrib.auth.models import Group

    from integrations.models import can_manage_facebook_page

    user = get_user_model().objects.create_user("staff-1", is_staff=True,
                                                is_superuser=grant == "superuser")
    permission = Permission.objects.get(codename="manage_facebook_page")
    if grant == "user":
        user.user_permissions.add(permission)
    elif grant == "group":
        group = Group.objects.create(name="page managers")
        group.permissions.add(permission)
        user.groups.add(group)
    elif grant == "other":
        user.user_permissions.add(Permission.objects.get(codename="view_pagepost"))
    session_user = SessionUserBackend().get_user(user.pk)
    with django_assert_num_queries(0):
        answer = can_manage_facebook_page(session_user)
    # The same answer as has_perm on a user loaded the ordinary way.
    plain = ModelBackend().get_user(user.pk)
    assert answer == can_manage_facebook_page(plain) == plain.has_perm(
        "integrations.manage_facebook_page")
    assert answer is (grant in ("user", "group", "superuser"))
