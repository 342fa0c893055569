"""Expired flows are purged from authorize, at most once a minute per process (S34)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.flows import PeriodicPurge, start_flow
from integrations.models import FlowPurpose, OAuthFlow

pytestmark = pytest.mark.django_db


def old_flow(state_hash: str) -> OAuthFlow:
    return OAuthFlow.objects.create(
        state_hash=state_hash, purpose=FlowPurpose.GITHUB_LOGIN, client="browser",
        binding_hash="b" * 64, redirect_uri="https://example.com/cb", code_challenge="c",
        expires_at=timezone.now() - timedelta(hours=2))


def test_purges_on_first_call_then_waits_for_the_interval():
    clock = [1000.0]
    purge = PeriodicPurge()
    purge.timer = lambda: clock[0]
    old_flow("a" * 64)
    assert purge() == 1
    old_flow("b" * 64)
    clock[0] += purge.interval_s - 1
    assert purge() == 0 and OAuthFlow.objects.count() == 1
    clock[0] += 1
    assert purge() == 1 and OAuthFlow.objects.count() == 0


def test_authorize_purges_flows_expired_over_an_hour_ago(monkeypatch):
    import integrations.flows as flows

    monkeypatch.setattr(flows, "purge_expired_flows_periodically", PeriodicPurge())
    old_flow("a" * 64)
    start_flow(purpose=FlowPurpose.GITHUB_LOGIN, redirect_uri="https://example.com/cb",
               binding="session-binding")
    assert OAuthFlow.objects.count() == 1
    assert OAuthFlow.objects.get().expires_at > timezone.now()
