"""Issue 23: GitHub sign-in's staff status is for the API's staff features, never the Django
admin. The admin is for superusers (`createsuperuser`) and the usernames in ADMIN_SITE_USERS."""

import pytest
from django.contrib.auth import get_user_model

from integrations.models import GitHubAccount
from tests.fixtures.github import sign_in

pytestmark = pytest.mark.django_db
ADMIN_PAGES = ("/admin/", "/admin/password_change/", "/admin/integrations/githubaccount/",
               "/admin/auth/user/")


def refused(response) -> bool:
    """The admin sends those it does not let in to its login page."""
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.fixture
def octocat(api_client, github, settings):
    """Made staff (with the Page permission) by the GitHub staff list, signed in."""
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github).status_code == 200
    user = GitHubAccount.objects.get().user
    assert user.is_staff
    return api_client


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_from_github_sign_in_gets_no_admin_page(octocat, url):
    assert refused(octocat.get(url))


def test_staff_from_github_sign_in_keeps_the_apis_staff_features(octocat):
    me = octocat.get("/api/v1/me").json()
    assert me["is_staff"] is True and me["can_manage_facebook_page"] is True
    assert octocat.get("/api/v1/automations").status_code == 200


def test_staff_from_github_sign_in_cannot_set_a_password_through_the_admin(octocat):
    before = GitHubAccount.objects.get().user.password
    response = octocat.post("/admin/password_change/", {
        "old_password": "", "new_password1": "Fresh-passw0rd!", "new_password2":
        "Fresh-passw0rd!"})
    assert refused(response)
    user = GitHubAccount.objects.get().user
    assert user.password == before and not user.check_password("Fresh-passw0rd!")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_superuser_uses_the_admin(client, url):
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 12))
    assert client.get(url).status_code == 200


def test_a_username_in_admin_site_users_uses_the_admin(octocat, settings):
    settings.ADMIN_SITE_USERS = ["github-583231"]
    assert octocat.get("/admin/").status_code == 200


def test_admin_site_users_needs_staff_status_too(client, settings):
    settings.ADMIN_SITE_USERS = ["listed"]
    client.force_login(get_user_model().objects.create_user("listed", password="x" * 12))
    assert refused(client.get("/admin/"))
