"""REDIS_URL: throttles counted in Redis, and a Redis outage that never becomes a 500.

Throttles fail open (and log) while Redis is down; health says `cache: unavailable` but stays
200, so a load balancer does not take every host out because of the one Redis they share.
"""

import logging

import pytest
from django.core.cache import cache

from tests.fixtures.processes import free_port

pytestmark = pytest.mark.django_db


def _redis_cache(url: str) -> dict:
    return {"default": {"BACKEND": "backend.cache.FailOpenRedisCache", "LOCATION": url,
                        "KEY_PREFIX": "test-shared-cache"}}


def _low_start_limit(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "oauth_start": rate}}


def _authorize(api_client):
    return api_client.post("/api/v1/auth/github/authorize", {}, format="json")


@pytest.fixture
def down_redis_url() -> str:
    """A Redis URL where nothing listens (connection refused, as when Redis is stopped)."""
    return f"redis://127.0.0.1:{free_port()}/0"


def test_settings_select_the_shared_cache_only_with_redis_url():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"] == (
        "backend.cache.FailOpenRedisCache" if settings.REDIS_URL
        else "django.core.cache.backends.locmem.LocMemCache")


def test_throttle_counts_live_in_redis_and_health_says_cache_ok(api_client, settings,
                                                                 redis_url):
    settings.CACHES = _redis_cache(redis_url)
    _low_start_limit(settings, "2/min")
    cache.clear()
    assert [_authorize(api_client).status_code for _ in range(3)] == [201, 201, 429]
    assert any(key.startswith(b"test-shared-cache:") for key in
               cache._cache.get_client().keys("*"))
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok", "cache": "ok"}
    cache.clear()


def test_redis_down_sign_in_still_starts_throttles_fail_open_and_log(api_client, settings,
                                                                     down_redis_url, caplog):
    settings.CACHES = _redis_cache(down_redis_url)
    _low_start_limit(settings, "1/min")
    with caplog.at_level(logging.WARNING, logger="backend.cache"):
        statuses = [_authorize(api_client).status_code for _ in range(3)]
    assert statuses == [201, 201, 201]  # the limit cannot be counted: let sign-ins through
    assert "cache unavailable (ConnectionError on count_in_window): failing open" in caplog.text


def test_redis_down_health_is_degraded_not_down(api_client, settings, down_redis_url):
    settings.CACHES = _redis_cache(down_redis_url)
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "tasks": "ok",
                               "cache": "unavailable"}


def test_redis_down_cache_calls_answer_like_misses(settings, down_redis_url):
    settings.CACHES = _redis_cache(down_redis_url)
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    assert cache.get("k", default=[]) == []
    cache.set("k", 1)
    assert cache.add("k", 1) is False and cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("k", 5) == 5
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]  # not stored
    cache.delete_many(["a"])
    assert cache.ping() is False


def test_a_silent_redis_is_a_miss_after_one_short_timeout_without_retries(settings):
    """A Redis address that accepts but never answers must not hold requests for long."""
    import socket

    with socket.socket() as listener:  # accepts nothing, answers nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        settings.CACHES = {"default": {**_redis_cache(f"redis://127.0.0.1:{port}/0")["default"],
                                       "OPTIONS": {"timeout_s": 0.2}}}
        assert cache.get("k", "miss") == "miss"
        pool = cache._cache._get_connection_pool(write=False)
        assert pool.connection_kwargs["socket_timeout"] == 0.2
        assert pool.connection_kwargs["socket_connect_timeout"] == 0.2
        assert pool.connection_kwargs["retry"].get_retries() == 0


def test_one_redis_client_serves_every_call_and_every_thread(settings, redis_url):
    """Django builds a redis.Redis per cache call; ours keeps one per pool (thread-safe)."""
    from concurrent.futures import ThreadPoolExecutor

    settings.CACHES = _redis_cache(redis_url)
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.set("k", 1)
    assert cache.get("k") == 1 and cache._cache.get_client() is client
    backend = cache._cache  # one backend object, called from four threads at once
    with ThreadPoolExecutor(4) as pool:
        clients = set(pool.map(lambda _: id(backend.get_client()), range(8)))
    assert clients == {id(client)}
    cache.clear()
