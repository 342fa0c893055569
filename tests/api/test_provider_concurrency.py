"""A per-process cap on requests waiting on a provider: when full, 503 provider_busy at once.

A hung provider then holds at most PROVIDER_CONCURRENCY threads; health, /me and the other
views keep theirs. The "hung" request here is one whose provider call is still running while
further requests arrive (a nested request on the same server handler, so no timing is involved).
"""

from unittest import mock

import pytest

from integrations.errors import ProviderTimeout
from integrations.services import github as github_service
from tests.fixtures.github import assert_error, callback

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
