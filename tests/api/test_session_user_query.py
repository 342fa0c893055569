"""The session user's prepared query (integrations.prepared) loads exactly what the ORM's own
query loads, in one query, compiling once per thread."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.sql.compiler import SQLCompiler

from api.authentication import SessionUserBackend, _session_user_query
from integrations.models import GitHubAccount
from integrations.models.facebook import HOLDS_PAGE_PERMISSION
from integrations.prepared import PreparedLookup
from tests.api.test_principal_cache import page_permission
from tests.fixtures.facebook import page_manager
from tests.fixtures.github import ACCESS_TOKEN

pytestmark = pytest.mark.django_db
User = get_user_model()


def orm_user(user_id):
    return _session_user_query(user_id).get()


def loaded_columns(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def assert_same_as_the_orm(user_id):
    prepared, expected = SessionUserBackend().load_user(user_id), orm_user(user_id)
    assert loaded_columns(prepared) == loaded_columns(expected)
    assert prepared.get_deferred_fields() == expected.get_deferred_fields()
    account = expected._state.fields_cache["github_account"]
    if account is None:
        assert prepared._state.fields_cache["github_account"] is None
        with pytest.raises(GitHubAccount.DoesNotExist):
            prepared.github_account  # noqa: B018 (as the ORM's user: no account, no query)
    else:
        assert loaded_columns(prepared.github_account) == loaded_columns(account)
        assert prepared.github_account.get_deferred_fields() == {"access_token",
                                                                 "refresh_token"}
    return prepared


def test_a_signed_in_user_with_a_github_account_is_loaded_as_the_orm_loads_it(signed_in):
    account = GitHubAccount.objects.get()
    user = assert_same_as_the_orm(account.user_id)
    assert user.github_account.login == "octocat"
    assert getattr(user, HOLDS_PAGE_PERMISSION) is False
    # The token stays out of the query and is read (and decrypted) only when asked for.
    assert user.github_account.access_token == ACCESS_TOKEN


def test_the_page_permission_held_directly_or_through_a_group():
    direct = page_manager("direct")
    grouped = User.objects.create_user("grouped", is_staff=True)
    group = Group.objects.create(name="managers")
    group.permissions.add(page_permission())
    grouped.groups.add(group)
    plain = User.objects.create_user("plain")
    for user, holds in ((direct, True), (grouped, True), (plain, False)):
        assert getattr(assert_same_as_the_orm(user.pk), HOLDS_PAGE_PERMISSION) is holds


def test_a_missing_or_inactive_user_is_none():
    inactive = User.objects.create_user("gone-quiet", is_active=False)
    backend = SessionUserBackend()
    assert backend.load_user(inactive.pk + 1000) is None
    assert backend.load_user(inactive.pk) is None


def test_one_query_and_no_compiling_after_the_first(django_assert_num_queries, monkeypatch):
    user = page_manager()
    backend = SessionUserBackend()
    backend.load_user(user.pk)  # this thread's plan
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql",
                        lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    with django_assert_num_queries(1):
        assert backend.load_user(user.pk).username == user.username
    assert compiled == []


def test_each_thread_compiles_its_own_query_on_its_own_connection():
    query = PreparedLookup(_session_user_query)
    user = page_manager()
    compiled = []

    def compiled_in_a_thread():
        compiled.append(query._compile("default"))

    thread = threading.Thread(target=compiled_in_a_thread)
    thread.start()
    thread.join()
    assert query.first(user.pk).username == user.username
    mine = query._local.compiled["default"]
    assert compiled[0].compiler.connection is not mine.compiler.connection
    query.first(user.pk)
    assert query._local.compiled["default"] is mine  # kept, not compiled again


def test_a_query_that_does_not_name_its_key_once_is_refused():
    with pytest.raises(ValueError, match="exactly once"):
        PreparedLookup(lambda key: User.objects.all()).first(1)
    with pytest.raises(ValueError, match="exactly once"):
        PreparedLookup(lambda key: User.objects.filter(pk=key, id__gte=key)).first(1)
