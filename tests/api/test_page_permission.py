"""Page management is its own permission (S32, issue 16 item 13): staff without
`integrations.manage_facebook_page` get 403 everywhere; STAFF_GITHUB_LOGINS grants it once;
an admin can take it away; /me tells the SPA; the admin hides the way to (re)link."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from integrations.models import GitHubAccount
from integrations.models.facebook import MANAGE_PERMISSION_CODENAME
from tests.api.test_facebook_access import STAFF_ENDPOINTS, call
from tests.fixtures.facebook import assert_error
from tests.fixtures.github import sign_in

pytestmark = pytest.mark.django_db


def may_manage(user) -> bool:
    return get_user_model().objects.get(pk=user.pk).has_perm(
        "integrations." + MANAGE_PERMISSION_CODENAME)


@pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
def test_staff_without_the_page_permission_is_403(staff_without_page_permission, linked,
                                                  method, url, body):
    assert_error(call(staff_without_page_permission, method, url, body), 403,
                 "permission_denied")
    assert linked.calls == []


def test_me_tells_the_spa_whether_the_page_may_be_managed(staff_client,
                                                          staff_without_page_permission,
                                                          plain_client):
    assert staff_client.get("/api/v1/me").json()["can_manage_facebook_page"] is True
    helper = staff_without_page_permission.get("/api/v1/me").json()
    assert helper["is_staff"] is True and helper["can_manage_facebook_page"] is False
    assert plain_client.get("/api/v1/me").json()["can_manage_facebook_page"] is False


def test_staff_list_grants_the_permission_and_an_admin_removal_sticks(api_client, github,
                                                                     settings):
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert sign_in(api_client, github).status_code == 200
    user = GitHubAccount.objects.get().user
    assert user.is_staff and may_manage(user)
    # An admin takes it away from this one staff member…
    user.user_permissions.remove(Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME))
    api_client.logout()
    assert sign_in(api_client, github).status_code == 200
    # …and the next sign-in does not hand it back (staff stays).
    user = get_user_model().objects.get(pk=user.pk)
    assert user.is_staff and not may_manage(user)
    assert api_client.get("/api/v1/me").json()["can_manage_facebook_page"] is False


def test_leaving_the_staff_list_takes_staff_and_the_permission_back(api_client, github,
                                                                    settings):
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    sign_in(api_client, github)
    settings.STAFF_GITHUB_LOGINS = []
    api_client.logout()
    sign_in(api_client, github)
    user = GitHubAccount.objects.get().user
    assert not user.is_staff and not may_manage(user)


def test_admin_offers_relinking_only_to_those_with_the_permission(client, linked, settings):
    settings.ADMIN_SITE_USERS = ["helper"]  # an operator let this staff member in
    helper = get_user_model().objects.create_user("helper", is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_facebookpagelink"))
    client.force_login(helper)
    page = client.get("/admin/integrations/facebookpagelink/")
    assert page.status_code == 200
    assert f'href="{settings.PUBLIC_URL}/facebook"' not in page.content.decode()


def test_the_sign_in_answer_reads_the_permission_as_has_perm_would(api_client, github,
                                                                  settings):
    """The sign-in loads the permission with the account row (no has_perm queries): direct,
    through a group, granted or taken back by the staff list in the same sign-in."""
    def answer() -> bool:
        api_client.logout()
        response = sign_in(api_client, github)
        assert response.status_code == 200
        return response.json()["user"]["can_manage_facebook_page"]

    settings.STAFF_GITHUB_LOGINS = ["583231"]
    assert answer() is True  # granted by the list in this very sign-in
    assert answer() is True  # held directly, read from the account's query
    user = GitHubAccount.objects.get().user
    permission = Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME)
    user.user_permissions.remove(permission)
    assert answer() is False
    managers = Group.objects.create(name="page managers")
    managers.permissions.add(permission)
    user.groups.add(managers)
    assert answer() is True  # through a group
    settings.STAFF_GITHUB_LOGINS = []
    assert answer() is False  # no longer staff (the group stays, staff is what it takes)
    settings.STAFF_GITHUB_LOGINS = ["583231"]
    user.groups.clear()
    assert answer() is True  # back on the list: granted again, directly
    assert may_manage(user)
