"""The session principal never outlives a change, whether it comes from the shared cache
(api.principal, PRINCIPAL_CACHE on) or from the prepared query (api.authentication, the default).

Each test warms the cache with a request, changes what the principal depends on the way an
admin, a service or the person would, and checks the very next request as an attacker hoping
for the old answer would. The request-level tests run with both sources.
"""

import pickle

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from api.authentication import SessionUserBackend
from api.principal import get_principal, invalidate_user, restore
from integrations.models import GitHubAccount
from integrations.models.facebook import MANAGE_PERMISSION_CODENAME
from tests.api.test_github_account import GRANT_URL
from tests.fixtures.facebook import assert_error, page_manager
from tests.fixtures.github import ACCESS_TOKEN, sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()
STAFF_ONLY = "/api/v1/facebook/page/posts"  # staff with the Page permission; no provider call


def both_sources(test):
    """Run the test with the principal from the shared cache and from the prepared query."""
    test = pytest.mark.usefixtures("principal_source")(test)
    return pytest.mark.parametrize("principal_source", ["shared cache", "prepared query"],
                                   indirect=True)(test)


@pytest.fixture
def principal_source(request, settings) -> str:
    settings.PRINCIPAL_CACHE = request.param == "shared cache"
    return request.param


def page_permission() -> Permission:
    return Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME)


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="api.authentication.SessionUserBackend")
    return client


def me(client) -> dict:
    response = client.get("/api/v1/me")
    assert response.status_code == 200, response.content
    return response.json()


def warmed(user) -> APIClient:
    """A signed-in client whose principal is in the cache, allowed everywhere staff are."""
    client = client_of(user)
    assert me(client)["can_manage_facebook_page"] is True
    assert client.get(STAFF_ONLY).status_code == 200
    return client


def test_a_cached_principal_costs_the_session_query_only(django_assert_num_queries):
    client = client_of(page_manager())
    me(client)
    with django_assert_num_queries(1):  # the session row; the user comes from the cache
        assert me(client)["can_manage_facebook_page"] is True


def test_the_cache_holds_no_token_and_no_password(signed_in):
    user = GitHubAccount.objects.get().user
    user.set_password("correct horse battery staple")  # an admin password as well
    user.save()
    signed_in.force_login(user, backend="api.authentication.SessionUserBackend")
    me(signed_in)
    entry = cache.get(f"principal:{user.pk}")
    assert entry["account"]["login"] == "octocat"
    assert {"access_token", "refresh_token"}.isdisjoint(entry["account"])
    assert "password" not in entry["user"]
    dumped = pickle.dumps(entry)
    assert ACCESS_TOKEN.encode() not in dumped and user.password.encode() not in dumped
    # The token is still there for whoever needs it: read from the database on use.
    assert restore(entry).github_account.access_token == ACCESS_TOKEN


@both_sources
def test_a_revoked_permission_is_refused_at_the_next_request():
    user = page_manager()
    client = warmed(user)
    user.user_permissions.remove(page_permission())
    assert me(client)["can_manage_facebook_page"] is False
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_a_permission_revoked_from_the_permission_side_is_refused():
    user = page_manager()
    client = warmed(user)
    page_permission().user_set.remove(user)
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
@pytest.mark.parametrize("revoke", [
    lambda group, user: group.permissions.remove(page_permission()),
    lambda group, user: page_permission().group_set.clear(),
    lambda group, user: group.user_set.remove(user),
    lambda group, user: group.user_set.clear(),
    lambda group, user: user.groups.clear(),
    lambda group, user: group.delete(),
], ids=["group-loses-permission", "permission-leaves-groups", "user-leaves-group",
        "group-emptied", "user-leaves-all-groups", "group-deleted"])
def test_a_permission_held_through_a_group_is_refused_once_taken_away(revoke):
    user = User.objects.create_user("grouped", is_staff=True)
    group = Group.objects.create(name="page managers")
    group.permissions.add(page_permission())
    user.groups.add(group)
    client = warmed(user)
    revoke(group, user)
    assert me(client)["can_manage_facebook_page"] is False
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_a_permission_granted_is_seen_at_the_next_request():
    user = User.objects.create_user("helper", is_staff=True)
    client = client_of(user)
    assert me(client)["can_manage_facebook_page"] is False
    Group.objects.create(name="managers").permissions.add(page_permission())
    Group.objects.get(name="managers").user_set.add(user)
    assert me(client)["can_manage_facebook_page"] is True


@both_sources
def test_a_deleted_permission_is_refused():
    client = warmed(page_manager())
    page_permission().delete()
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_a_renamed_permission_is_refused():
    client = warmed(page_manager())
    permission = page_permission()
    permission.codename = "renamed_permission"
    permission.save()
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_a_deleted_user_is_signed_out_at_the_next_request():
    user = page_manager()  # no GitHub account: nothing else is deleted with the user
    client = warmed(user)
    user.delete()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


@both_sources
def test_a_changed_github_account_is_seen_at_the_next_request(signed_in):
    assert me(signed_in)["github"]["scopes"] == ["read:user", "user:email"]
    account = GitHubAccount.objects.get()
    account.scopes = "read:user,user:email,admin:repo_hook"  # an incremental consent elsewhere
    account.save()
    assert me(signed_in)["github"]["scopes"] == ["read:user", "user:email", "admin:repo_hook"]


@both_sources
def test_a_deleted_github_account_is_seen_at_the_next_request(signed_in):
    assert me(signed_in)["github"]["login"] == "octocat"
    GitHubAccount.objects.get().delete()  # the user stays (an admin's unlink)
    assert me(signed_in)["github"] is None


@both_sources
def test_a_deactivated_user_is_signed_out_at_the_next_request():
    user = page_manager()
    client = warmed(user)
    user.is_active = False
    user.save()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")
    assert_error(client.get(STAFF_ONLY), 401, "not_authenticated")


@both_sources
def test_staff_removed_is_refused_at_the_next_request():
    user = page_manager()
    client = warmed(user)
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    assert me(client)["is_staff"] is False
    assert_error(client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_leaving_the_staff_list_is_seen_at_the_next_request(api_client, github, settings):
    settings.STAFF_GITHUB_LOGINS = ["octocat"]
    assert sign_in(api_client, github).status_code == 200
    assert me(api_client)["can_manage_facebook_page"] is True
    other = APIClient()  # another device of the same person, its principal cached
    settings.STAFF_GITHUB_LOGINS = []
    assert sign_in(other, github).status_code == 200
    assert me(api_client)["is_staff"] is False
    assert_error(api_client.get(STAFF_ONLY), 403, "permission_denied")


@both_sources
def test_a_logged_out_session_is_not_served_from_the_cache(signed_in):
    me(signed_in)
    replay = APIClient()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = \
        signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value
    me(replay)  # the stolen cookie works until the person logs out
    assert signed_in.post("/api/v1/auth/logout").status_code == 204
    assert_error(replay.get("/api/v1/me"), 401, "not_authenticated")


@both_sources
def test_a_deleted_account_is_signed_out_on_every_device(api_client, github):
    assert sign_in(api_client, github).status_code == 200
    other = APIClient()
    assert sign_in(other, github).status_code == 200
    me(api_client), me(other)
    github.delete(GRANT_URL, status=204)
    assert api_client.delete("/api/v1/me").status_code == 204
    assert_error(other.get("/api/v1/me"), 401, "not_authenticated")


@both_sources
def test_a_principal_is_never_served_to_another_user():
    first, second = page_manager("first"), User.objects.create_user("second")
    one, two = client_of(first), client_of(second)
    for _ in range(2):  # warm, then cached
        assert me(one)["username"] == "first" and me(one)["can_manage_facebook_page"]
        assert me(two)["username"] == "second" and not me(two)["can_manage_facebook_page"]


@both_sources
def test_a_reused_user_id_does_not_inherit_the_old_session():
    """SQLite may give a deleted user's id to the next one: the old session must not become
    the newcomer's (Django's session hash, which the cache keeps, tells them apart)."""
    old = page_manager("old")
    stale = warmed(old)
    user_id = old.pk
    old.delete()
    newcomer = User.objects.create_user("newcomer", pk=user_id, is_staff=True)
    newcomer.user_permissions.add(page_permission())
    assert_error(stale.get("/api/v1/me"), 401, "not_authenticated")
    assert me(client_of(newcomer))["username"] == "newcomer"


def test_rows_read_before_an_invalidation_are_never_served_after_it():
    """A request that loaded the user, then lost the race to a revocation, stores what it
    read under a version nobody reads any more."""
    user = page_manager()
    backend = SessionUserBackend()
    loads = []

    def racing_load(user_id):
        loaded = backend.load_user(user_id)
        user.user_permissions.remove(page_permission())  # commits while we were loading
        loads.append(user_id)
        return loaded

    assert get_principal(user.pk, load=racing_load).holds_manage_facebook_page  # as it read
    again = get_principal(user.pk, load=lambda uid: (loads.append(uid), backend.load_user(uid))[1])
    assert len(loads) == 2  # the stale entry was not served
    assert not again.holds_manage_facebook_page


@pytest.mark.django_db(transaction=True)  # real commits: on_commit runs as in production
def test_an_entry_stored_during_the_transaction_is_dropped_at_commit():
    """Readers that saw the old rows while the revoking transaction ran cannot outlive it."""
    user = page_manager()
    backend = SessionUserBackend()
    old = backend.load_user(user.pk)
    with transaction.atomic():
        user.groups.clear()  # the same key moved twice in one transaction: one callback
        user.user_permissions.remove(page_permission())
        # Another request, which read the rows before they changed, stores them now.
        get_principal(user.pk, load=lambda uid: old)
        assert get_principal(user.pk, load=backend.load_user).holds_manage_facebook_page
    fresh = get_principal(user.pk, load=backend.load_user)
    assert not fresh.holds_manage_facebook_page


def test_a_new_secret_key_is_a_miss(settings):
    user = page_manager()
    backend = SessionUserBackend()
    get_principal(user.pk, load=backend.load_user)
    loads = []
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
    get_principal(user.pk, load=lambda uid: (loads.append(uid), backend.load_user(uid))[1])
    assert loads == [user.pk]


def test_a_password_change_signs_the_session_with_the_new_password():
    user = page_manager()
    backend = SessionUserBackend()
    get_principal(user.pk, load=backend.load_user)
    cached = get_principal(user.pk, load=backend.load_user)
    assert cached.get_session_auth_hash() == user.get_session_auth_hash()
    cached.set_password("a new password")
    cached.save()
    assert cached.get_session_auth_hash() != user.get_session_auth_hash()
    assert cached.get_session_auth_hash() == User.objects.get(pk=user.pk).get_session_auth_hash()


def test_an_explicit_invalidation_reloads():
    user = page_manager()
    backend = SessionUserBackend()
    loads = []

    def counting(uid):
        loads.append(uid)
        return backend.load_user(uid)

    get_principal(user.pk, load=counting)
    get_principal(user.pk, load=counting)
    invalidate_user(user.pk)
    get_principal(user.pk, load=counting)
    assert loads == [user.pk, user.pk]


def test_without_a_shared_cache_every_request_reads_the_database(settings,
                                                                django_assert_num_queries):
    """An in-memory cache per process would keep a revoked permission alive in the others."""
    settings.PRINCIPAL_CACHE = False
    client = client_of(page_manager())
    me(client)
    with django_assert_num_queries(2):  # the session, then the user
        me(client)


def test_a_sign_in_s_last_login_does_not_move_the_version_but_any_other_change_does():
    """update_last_login saves `last_login` alone at every sign-in: no principal depends on it,
    so it costs no Redis write; a save naming any other field still invalidates."""
    user = page_manager()
    key = f"principal:v:{user.pk}"
    invalidate_user(user.pk)
    version = cache.get(key)
    user.save(update_fields=["last_login"])
    assert cache.get(key) == version
    user.is_staff = False
    user.save(update_fields=["last_login", "is_staff"])
    assert cache.get(key) != version
