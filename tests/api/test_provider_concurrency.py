"""A per-process cap on requests waiting on a provider: when full, 503 provider_busy at once.

A hung provider then holds at most PROVIDER_CONCURRENCY threads; health, /me and the other
views keep theirs. The "hung" request here is one whose provider call is still running while
further requests arrive (a nested request on the same server handler, so no timing is involved).
Views whose answer may come from a cache take their slot only at their first provider call.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from automations.models import Automation
from integrations.errors import ProviderTimeout
from integrations.models import GitHubAccount, OAuthFlow
from integrations.provider_slots import claim_provider_slot
from integrations.services import github as github_service
from tests.automations.conftest import HOOKS, client_for, create, hook_answer, make_staff
from tests.fixtures.github import (
    ACCESS_TOKEN,
    CHECK_URL,
    GITHUB,
    assert_error,
    callback,
    expiring_token_body,
    mock_sign_in,
    sign_in,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_slot(settings):
    settings.PROVIDER_CONCURRENCY = 1


def _while_a_callback_waits_on_github(api_client, during):
    """Run `during()` while a GitHub callback is inside its provider call; return both."""
    seen = {}

    def hung_sign_in(**kwargs):
        seen["during"] = during()
        raise ProviderTimeout(provider="github")

    with mock.patch.object(github_service, "sign_in_with_github", side_effect=hung_sign_in):
        first = callback(api_client, code="c", state="A" * 43)
    return first, seen["during"]


def test_a_provider_bound_request_beyond_the_cap_is_answered_503_at_once(api_client, one_slot):
    calls = []

    def second_callback():
        with mock.patch.object(github_service, "sign_in_with_github",
                               side_effect=lambda **kw: calls.append(kw)):
            return callback(api_client, code="c", state="B" * 43)

    first, second = _while_a_callback_waits_on_github(api_client, second_callback)
    assert_error(first, 504, "provider_unavailable")
    assert_error(second, 503, "provider_busy")
    assert second["Retry-After"] == "2" and second.json()["retry_after"] == 2
    assert calls == []  # refused before the view: the provider was never asked


def test_other_views_keep_answering_while_the_cap_is_full(api_client, one_slot):
    def others():
        return [api_client.get("/api/v1/health").status_code,
                api_client.post("/api/v1/auth/github/authorize", {}, format="json").status_code,
                api_client.get("/api/v1/me").status_code]

    _, statuses = _while_a_callback_waits_on_github(api_client, others)
    assert statuses == [200, 201, 401]


def test_the_slot_is_given_back_after_an_error(api_client, one_slot):
    for _ in range(3):  # each waits on the provider, fails, and frees its slot
        first, _ = _while_a_callback_waits_on_github(api_client, lambda: None)
        assert_error(first, 504, "provider_unavailable")


def test_only_the_declared_methods_take_a_slot(api_client, one_slot, django_user_model):
    user = django_user_model.objects.create_user("github-1")
    api_client.force_authenticate(user)

    def history_and_profile():
        return [api_client.get("/api/v1/me").status_code,
                api_client.delete("/api/v1/me").status_code]

    _, statuses = _while_a_callback_waits_on_github(api_client, history_and_profile)
    assert statuses[0] == 200  # GET /me never waits on GitHub
    assert statuses[1] == 503  # DELETE /me revokes the grant at GitHub: capped


# --- Slots taken at the first provider call (provider_bound_lazily) ---------------------------



def github_asked(github) -> int:
    return len(github.calls)


def test_a_cached_token_check_answers_while_the_cap_is_full(one_slot, signed_in, github):
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    assert signed_in.get("/api/v1/me/github/token").status_code == 200  # now cached

    _, during = _while_a_callback_waits_on_github(
        signed_in, lambda: signed_in.get("/api/v1/me/github/token"))
    assert during.status_code == 200 and during.json()["valid"] is True
    assert github_asked(github) == 1  # only the first check asked GitHub


def test_an_uncached_token_check_is_refused_while_the_cap_is_full(one_slot, signed_in, github):
    github.post(CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    _, during = _while_a_callback_waits_on_github(
        signed_in, lambda: signed_in.get("/api/v1/me/github/token"))
    assert_error(during, 503, "provider_busy")
    assert during["Retry-After"] == "2" and during.json()["retry_after"] == 2
    assert github_asked(github) == 0
    assert signed_in.get("/api/v1/me/github/token").status_code == 200  # once a slot is free


def test_a_refused_check_leaves_an_expired_token_unrefreshed(one_slot, api_client, github):
    sign_in(api_client, github, token_body=expiring_token_body())
    GitHubAccount.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    before = GitHubAccount.objects.get()
    github.reset()

    _, during = _while_a_callback_waits_on_github(
        api_client, lambda: api_client.get("/api/v1/me/github/token"))
    assert_error(during, 503, "provider_busy")
    assert github_asked(github) == 0  # the single-use refresh token was never sent
    after = GitHubAccount.objects.get()
    assert (after.refresh_token, after.updated_at) == (before.refresh_token, before.updated_at)


def test_a_slot_taken_at_the_first_call_is_given_back_after_the_response(one_slot, signed_in,
                                                                          github):
    github.post(CHECK_URL, status=503)  # GitHub fails: 502, and the slot is given back
    assert_error(signed_in.get("/api/v1/me/github/token"), 502, "provider_unavailable")
    github.replace("POST", CHECK_URL, json={"token": ACCESS_TOKEN, "scopes": ["read:user"]})
    for _ in range(2):  # with one slot, each would be refused if a slot had been kept
        cache.clear()
        assert signed_in.get("/api/v1/me/github/token").status_code == 200
    first, _ = _while_a_callback_waits_on_github(signed_in, lambda: None)
    assert_error(first, 504, "provider_unavailable")  # taken up front: the slot was free


def test_a_request_making_two_provider_calls_takes_one_slot(one_slot, api_client, github):
    sign_in(api_client, github, token_body=expiring_token_body())
    GitHubAccount.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    github.reset()
    github.post(f"{GITHUB}/login/oauth/access_token", json=expiring_token_body(
        access_token="ghu_NEWTOKEN" + "c" * 30))
    github.post(CHECK_URL, json={"scopes": [], "expires_at": None})

    response = api_client.get("/api/v1/me/github/token")  # a refresh, then the check
    assert response.status_code == 200 and response.json()["valid"] is True
    assert github_asked(github) == 2


def test_a_cached_page_state_answers_while_the_cap_is_full(one_slot, staff_client, linked,
                                                           monkeypatch):
    asked = linked.debug_token  # the fake asks for a slot as HttpClient.send() does
    monkeypatch.setattr(linked, "debug_token",
                        lambda token: (claim_provider_slot("facebook"), asked(token))[1])
    assert staff_client.get("/api/v1/facebook/page").status_code == 200  # checks now cached

    _, during = _while_a_callback_waits_on_github(
        staff_client, lambda: staff_client.get("/api/v1/facebook/page"))
    assert during.status_code == 200 and during.json()["token"]["valid"] is True

    cache.clear()
    _, during = _while_a_callback_waits_on_github(
        staff_client, lambda: staff_client.get("/api/v1/facebook/page"))
    assert_error(during, 503, "provider_busy")


def test_an_automation_edit_answers_while_the_cap_is_full_but_a_hook_change_waits(one_slot,
                                                                                   github):
    client = client_for(make_staff())
    github.post(HOOKS, status=201, json=hook_answer(4242))
    assert create(client).status_code == 201
    url = f"/api/v1/automations/{Automation.objects.get().pk}"
    github.reset()

    def edit_then_disable():
        return [client.patch(url, {"message_template": "New: {tag}"}, format="json"),
                client.patch(url, {"enabled": False}, format="json")]

    _, (edited, disabled) = _while_a_callback_waits_on_github(client, edit_then_disable)
    assert edited.status_code == 200  # no hook change: GitHub is not needed
    assert_error(disabled, 503, "provider_busy")  # deleting the hook needs GitHub
    automation = Automation.objects.get()
    assert (automation.enabled, automation.hook_id) == (True, 4242)  # nothing saved before it
    assert automation.message_template == "New: {tag}"
    assert github_asked(github) == 0


def test_the_sign_in_callback_is_refused_up_front_and_its_state_kept(one_slot, api_client, github):
    state = start(api_client)["state"]
    _, during = _while_a_callback_waits_on_github(
        api_client, lambda: callback(api_client, code="the-code", state=state))
    assert_error(during, 503, "provider_busy")
    assert github_asked(github) == 0
    assert OAuthFlow.objects.get().consumed_at is None

    mock_sign_in(github)  # a slot is free again: the same state signs in
    assert callback(api_client, code="the-code", state=state).status_code == 200
