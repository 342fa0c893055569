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


@pytest.fixture
def in_memory_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "backend.cache.FailOpenRedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": "test-throttles"}}
    cache.clear()
    yield cache._cache.get_client(write=True)
    cache.clear()


def test_the_window_allows_its_rate_then_refuses_until_it_ends(api_client, three_per_minute,
                                                               in_memory_cache, monkeypatch):
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


def test_on_redis_the_window_allows_its_rate_then_refuses_until_it_ends(
        api_client, three_per_minute, redis_cache):
    assert [authorize(api_client).status_code for _ in range(3)] == [201, 201, 201]
    refused = authorize(api_client)
    body = assert_error(refused, 429, "throttled")
    assert 59 <= int(refused["Retry-After"]) == body["retry_after"] <= 60  # the window's rest
    # One counter per client and window, expiring with the window (no second key for its start).
    [key] = redis_cache.keys("*throttle:oauth_start:*")
    assert int(redis_cache.get(key)) == 4 and 59_000 <= redis_cache.pttl(key) <= 60_000


def test_on_redis_a_new_window_starts_when_the_last_one_expired(api_client, three_per_minute,
                                                                redis_cache):
    assert [authorize(api_client).status_code for _ in range(4)] == [201, 201, 201, 429]
    [key] = redis_cache.keys("*throttle:oauth_start:*")
    redis_cache.delete(key)  # as Redis does when the window's time is up
    assert authorize(api_client).status_code == 201
    assert int(redis_cache.get(key)) == 1


def test_on_redis_a_counter_left_without_expiry_gets_the_window(api_client, three_per_minute,
                                                                redis_cache):
    """A counter that somehow lost its expiry would refuse the client for ever."""
    key = cache.make_key("throttle:oauth_start:127.0.0.1")
    redis_cache.set(key, 3)
    refused = authorize(api_client)
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 60
    assert 59_000 <= redis_cache.pttl(key) <= 60_000


def test_on_redis_racing_requests_are_each_counted_once(three_per_minute, redis_cache):
    """INCR in one script: of 20 racing requests exactly the rate passes."""
    from concurrent.futures import ThreadPoolExecutor

    from django.test import RequestFactory
    from rest_framework.request import Request

    from api.views.github import GitHubAuthorizeView

    request = Request(RequestFactory().post("/", REMOTE_ADDR="192.0.2.7"))
    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(
            lambda _: ScopedThrottle().allow_request(request, GitHubAuthorizeView()), range(20)))
    assert allowed.count(True) == 3


def test_views_without_a_scope_are_not_counted(signed_in, monkeypatch):
    def counted(self):
        raise AssertionError("counted a request of a view without a throttle_scope")

    monkeypatch.setattr(ScopedThrottle, "_count", counted)
    assert signed_in.get("/api/v1/me").status_code == 200
