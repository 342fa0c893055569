"""api.throttles.ScopedThrottle: a counter per client and window, at most N per window, and
a Retry-After that says when the window ends."""

import pytest
from django.core.cache import cache

from api.throttles import ScopedThrottle
from tests.fixtures.github import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "oauth_start": "3/min"}}


def authorize(client):
    return client.post("/api/v1/auth/github/authorize", {}, format="json")


def test_the_window_allows_its_rate_then_refuses_until_it_ends(api_client, three_per_minute,
                                                               monkeypatch):
    clock = iter([1000.0, 1001.0, 1002.0, 1020.0])
    monkeypatch.setattr(ScopedThrottle, "timer", lambda self: next(clock))
    assert [authorize(api_client).status_code for _ in range(3)] == [201, 201, 201]
    refused = authorize(api_client)
    body = assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) == body["retry_after"] == 40  # 60 s from the first


def test_the_count_is_one_number_whatever_the_rate(api_client, settings):
    """DRF kept every request time of the window (a list as long as the rate, pickled twice a
    request); the count is one integer, incremented in place."""
    for _ in range(5):
        assert authorize(api_client).status_code == 201
    assert cache.get("throttle:oauth_start:127.0.0.1") == 5


def test_views_without_a_scope_are_not_counted(signed_in, monkeypatch):
    def counted(self):
        raise AssertionError("counted a request of a view without a throttle_scope")

    monkeypatch.setattr(ScopedThrottle, "_count", counted)
    assert signed_in.get("/api/v1/me").status_code == 200
