"""The shared cache (REDIS_URL): Django's RedisCache, failing open when Redis is down.

Throttle counters and the short-lived provider validity checks live in the cache. Losing them
for a while is cheap (throttles let requests through, validity is asked again), whereas an
exception would turn a Redis outage into 500s and a sign-in outage. So every cache call that
fails on Redis logs a warning and answers like a miss; `ping()` tells /api/v1/health the truth.
Short socket timeouts and no retries keep a black-holed Redis from stalling requests.

Django's client builds a new `redis.Redis` for every cache call (copying some 200 response
callbacks each time: about a quarter of a millisecond, several times per request). A Redis
client is thread-safe and holds nothing but its pool, so ours keeps one per pool.

`count_in_window` is the throttles' counter in one atomic round trip (a Lua script), where
Django's `add` + `incr` took three or four.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 0.5

# The window's counter: the first request of a window (or a counter somehow left without an
# expiry) gives it the window's length. Answers the count and the milliseconds the window has left.
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
local left_ms = redis.call('PTTL', KEYS[1])
if left_ms < 0 then
  left_ms = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], left_ms)
end
return {count, left_ms}
"""


def _missing(args, kwargs):
    return None


def _default(args, kwargs):
    """`get(key, default=None, ...)`: the caller's default, as on a miss."""
    return kwargs["default"] if "default" in kwargs else (args[1] if len(args) > 1 else None)


# Method → what it answers when Redis is down (a miss, nothing stored, nothing deleted).
_FALLBACKS = {
    "get": _default, "get_many": lambda a, k: {}, "has_key": lambda a, k: False,
    "add": lambda a, k: False, "set": _missing,
    "set_many": lambda a, k: list(a[0] if a else k.get("data", {})),  # the keys not stored
    "touch": lambda a, k: False, "delete": lambda a, k: False, "delete_many": _missing,
    "incr": _missing, "clear": lambda a, k: False,
    "count_in_window": _missing,  # the throttle lets the request through
}


def _fail_open(method, fallback):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            logger.warning("cache unavailable (%s on %s): failing open", type(exc).__name__,
                           method.__name__)
            return fallback(args, kwargs)
    return wrapper


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, with one `redis.Redis` per connection pool instead of one per call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._window_script = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def count_in_window(self, key, window_ms: int) -> tuple[int, int]:
        client = self.get_client(key, write=True)
        if self._window_script is None:  # its SHA1, computed once; Redis keeps the script
            self._window_script = client.register_script(_COUNT_IN_WINDOW)
        count, left_ms = self._window_script(keys=[key], args=[window_ms], client=client)
        return count, left_ms


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        timeout = options.pop("timeout_s", DEFAULT_TIMEOUT_S)
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("socket_timeout", timeout)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def count_in_window(self, key, window_s: int, version=None) -> tuple[int, float] | None:
        """Count a request in the fixed window `key` (`window_s` long, from its first request):
        (this request's number in it, seconds until it ends), or None when Redis is down."""
        key = self.make_and_validate_key(key, version=version)
        count, left_ms = self._cache.count_in_window(key, int(window_s * 1000))
        return count, left_ms / 1000

    def ping(self) -> bool:
        """A real round trip to Redis (the cache methods themselves never raise)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except RedisError:
            return False


for _name, _fallback in _FALLBACKS.items():  # Django's methods and count_in_window alike
    setattr(FailOpenRedisCache, _name, _fail_open(getattr(FailOpenRedisCache, _name), _fallback))
