"""integrations.prepared: a query compiled once answers exactly as the ORM's `.first()` does."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext

from integrations.models import GitHubAccount
from integrations.models.facebook import HOLDS_PAGE_PERMISSION, page_manager_flag
from integrations.prepared import PreparedLookup
from integrations.services import github as github_service
from tests.fixtures.facebook import page_manager

pytestmark = pytest.mark.django_db


def account_query(github_id):
    return (GitHubAccount.objects.select_related("user").defer("access_token", "refresh_token")
            .annotate(**page_manager_flag(OuterRef("user_id"))).filter(github_id=github_id))


@pytest.fixture
def accounts():
    expires_at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    staff = GitHubAccount.objects.create(user=page_manager(), github_id=1, login="staff",
                                         access_token="gho_SENTINEL1", token_expires_at=expires_at)
    other = GitHubAccount.objects.create(user=get_user_model().objects.create_user("other"),
                                         github_id=2, login="other", access_token="gho_SENTINEL2")
    return staff, other


def test_it_loads_what_first_loads(accounts):
    lookup = PreparedLookup(account_query)
    for github_id in (1, 2):
        expected = account_query(github_id).first()
        with CaptureQueriesContext(connection) as queries:
            found = lookup.first(github_id)
            user = found.user  # loaded with it, as select_related does
        assert len(queries.captured_queries) == 1
        assert type(found) is GitHubAccount and found.pk == expected.pk
        assert {k: v for k, v in found.__dict__.items() if k != "_state"} == \
            {k: v for k, v in expected.__dict__.items() if k != "_state"}
        assert user.__dict__.keys() == expected.user.__dict__.keys()
        assert user.username == expected.user.username
        assert getattr(found, HOLDS_PAGE_PERMISSION) is (github_id == 1)
    assert lookup.first(1).token_expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert "access_token" not in lookup.first(1).__dict__  # deferred, read on use
    assert lookup.first(1).access_token == "gho_SENTINEL1"


def test_an_unknown_value_finds_nothing(accounts):
    assert PreparedLookup(account_query).first(404) is None


def test_it_is_compiled_once_per_thread_and_database(accounts, monkeypatch):
    lookup = PreparedLookup(account_query)
    built = []
    real = lookup._build
    monkeypatch.setattr(lookup, "_build", lambda value: (built.append(value), real(value))[1])
    assert lookup.first(1).login == "staff"
    assert lookup.first(2).login == "other"
    assert lookup.first(1).login == "staff"
    assert len(built) == 1


def test_a_query_that_repeats_the_value_is_refused(accounts):
    lookup = PreparedLookup(lambda value: GitHubAccount.objects.filter(github_id=value,
                                                                       user_id=value))
    with pytest.raises(ValueError):
        lookup.first(1)


def test_the_sign_in_lookup_locks_the_row_and_sees_the_page_permission(accounts):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        account = github_service._LOCKED_ACCOUNT.first(1)
    sql = [q["sql"] for q in queries.captured_queries if "githubaccount" in q["sql"]]
    assert len(sql) == 1
    assert ("FOR UPDATE" in sql[0]) is connection.features.has_select_for_update
    assert account.login == "staff" and account.user.is_staff is True
    assert getattr(account, HOLDS_PAGE_PERMISSION) is True


def test_a_state_is_found_by_its_hash_and_only_for_its_own_purpose():
    """consume_flow's lookup (a string value): another flow kind's state is unknown here."""
    from integrations.errors import StateInvalid
    from integrations.flows import consume_flow, start_flow
    from integrations.models import FlowPurpose, OAuthFlow

    started = start_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, redirect_uri="https://x/cb",
                         binding="b" * 43)
    with pytest.raises(StateInvalid):
        consume_flow(purpose=FlowPurpose.GITHUB_LOGIN, state=started.state, binding="b" * 43)
    assert OAuthFlow.objects.get().consumed_at is None
    flow = consume_flow(purpose=FlowPurpose.FACEBOOK_PAGE_LINK, state=started.state,
                        binding="b" * 43)
    assert flow.redirect_uri == "https://x/cb" and flow.consumed_at is None  # as read
    assert OAuthFlow.objects.get().consumed_at is not None
