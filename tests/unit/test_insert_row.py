"""integrations.prepared.insert_row: a flow is written with SQL made once, as create() would
have written it, and a model with save signals still goes through create()."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.db.models.sql.compiler import SQLInsertCompiler
from django.utils import timezone

from integrations.flows import _sha256, consume_flow, start_flow
from integrations.models import FlowClient, FlowPurpose, GitHubAccount, OAuthFlow
from integrations.prepared import insert_row

pytestmark = pytest.mark.django_db


def _no_compiled_insert(self, *args, **kwargs):
    raise AssertionError("an INSERT compiled by the ORM")


def test_a_browser_flow_is_written_without_compiling_an_insert(monkeypatch):
    monkeypatch.setattr(SQLInsertCompiler, "as_sql", _no_compiled_insert)
    before = timezone.now()
    started = start_flow(purpose=FlowPurpose.GITHUB_LOGIN, redirect_uri="https://e.com/cb",
                         binding="session-binding")
    flow = OAuthFlow.objects.get(state_hash=_sha256(started.state))
    assert (flow.purpose, flow.client, flow.redirect_uri) == (
        FlowPurpose.GITHUB_LOGIN, FlowClient.BROWSER, "https://e.com/cb")
    assert flow.binding_hash == _sha256("session-binding") and flow.user_id is None
    assert flow.code_challenge == started.code_challenge and flow.consumed_at is None
    assert before <= flow.created_at <= timezone.now() and flow.expires_at == started.expires_at
    with connection.cursor() as cursor:  # the verifier is encrypted at rest, read back in clear
        cursor.execute("SELECT code_verifier FROM integrations_oauthflow WHERE id = %s",
                       [flow.pk])
        stored = cursor.fetchone()[0]
    assert flow.code_verifier and stored != flow.code_verifier
    assert consume_flow(purpose=FlowPurpose.GITHUB_LOGIN, state=started.state,
                        binding="session-binding").pk == flow.pk


def test_an_app_flow_keeps_its_user_and_challenge(django_user_model):
    user = django_user_model.objects.create_user("staff")
    started = start_flow(purpose=FlowPurpose.GITHUB_LOGIN, redirect_uri="app:/cb",
                         binding="c" * 43, user=user, client=FlowClient.APP,
                         code_challenge="c" * 43)
    flow = OAuthFlow.objects.get(state_hash=_sha256(started.state))
    assert (flow.user_id, flow.client, flow.code_challenge, flow.code_verifier) == (
        user.pk, FlowClient.APP, "c" * 43, None)


def test_a_duplicate_state_is_refused_like_create():
    from django.db import IntegrityError, transaction

    values = {"state_hash": "a" * 64, "purpose": FlowPurpose.GITHUB_LOGIN, "client": "app",
              "binding_hash": "b" * 64, "redirect_uri": "app:/cb", "code_challenge": "c",
              "created_at": timezone.now(), "expires_at": timezone.now() + timedelta(minutes=1)}
    insert_row(OAuthFlow, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(OAuthFlow, **values)
    assert OAuthFlow.objects.count() == 1


def test_unknown_or_missing_automatic_fields_are_refused():
    with pytest.raises(TypeError, match="unknown fields"):
        insert_row(OAuthFlow, state_hash="a" * 64, created_at=timezone.now(),
                   expires_at=timezone.now(), colour="red")
    with pytest.raises(TypeError, match="created_at"):
        insert_row(OAuthFlow, state_hash="a" * 64, expires_at=timezone.now())


def test_a_model_with_save_receivers_is_created_through_the_orm(django_user_model):
    """GitHubAccount saves invalidate cached principals (api.principal): never skipped."""
    assert post_save.has_listeners(GitHubAccount)
    user = django_user_model.objects.create_user("octocat")
    saved = []

    def receiver(sender, instance, created, **kwargs):
        saved.append((instance.login, created))

    post_save.connect(receiver, sender=GitHubAccount)
    try:
        insert_row(GitHubAccount, user_id=user.pk, github_id=1, login="octocat",
                   last_login_at=timezone.now())
    finally:
        post_save.disconnect(receiver, sender=GitHubAccount)
    assert saved == [("octocat", True)]
